/** The live step preview (while a sampler runs) and the output images of a node; click to enlarge. */
import { memo } from 'react';

import { imageUrl } from '../api/client.ts';
import type { ImageRef } from '../../../protocol/index.ts';
import { useUi } from '../app/ui-store.ts';

interface NodeImagesProps {
  nodeId: string;
  preview?: string;
  images?: ImageRef[];
  running: boolean;
}

function NodeImagesImpl({ nodeId, preview, images, running }: NodeImagesProps) {
  const showPreview = preview && (running || !images || images.length === 0);
  if (!showPreview && (!images || images.length === 0)) return null;
  return (
    <div className="lf-node-images nodrag">
      {showPreview && <img className="lf-preview" src={preview} alt={`Step preview of node #${nodeId}`} />}
      {!showPreview &&
        images!.map((image, index) => (
          <button
            key={`${image.subfolder}/${image.filename}`}
            type="button"
            className="lf-thumb"
            aria-label={`Enlarge ${image.filename}`}
            onClick={() => useUi.setState({ lightbox: { images: images!, index } })}
          >
            <img src={imageUrl(image)} alt={image.filename} loading="lazy" />
          </button>
        ))}
    </div>
  );
}

export const NodeImages = memo(NodeImagesImpl);
