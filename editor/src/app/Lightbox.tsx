/** An output image enlarged, with download and previous/next. */
import { imageUrl } from '../api/client.ts';
import { Modal } from './Modal.tsx';
import { useUi } from './ui-store.ts';

export function Lightbox() {
  const lightbox = useUi((s) => s.lightbox);
  if (!lightbox) return null;
  const { images, index } = lightbox;
  const image = images[index];
  const close = () => useUi.setState({ lightbox: null });
  const go = (delta: number) => useUi.setState({ lightbox: { images, index: (index + delta + images.length) % images.length } });
  const url = imageUrl(image);
  return (
    <Modal title={image.filename} onClose={close} wide>
      <div className="lf-lightbox">
        <img src={url} alt={image.filename} />
      </div>
      <footer>
        {images.length > 1 && (
          <>
            <button type="button" onClick={() => go(-1)} aria-label="Previous image">
              ‹
            </button>
            <span>
              {index + 1} / {images.length}
            </span>
            <button type="button" onClick={() => go(1)} aria-label="Next image">
              ›
            </button>
          </>
        )}
        <a className="lf-button lf-primary" href={url} download={image.filename}>
          Download
        </a>
      </footer>
    </Modal>
  );
}
