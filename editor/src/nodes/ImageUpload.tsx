/** For an image-picking input (LoadImage's `image`): a thumbnail of the picked file and an upload button. */
import { memo, useRef } from 'react';

import { imageUrl } from '../api/client.ts';
import { uploadImageTo } from '../app/files.ts';
import { imageRefOfName } from './image-name.ts';
import { MaskPainterButton } from './MaskPainterButton.tsx';

interface ImageUploadProps {
  nodeId: string;
  input: string;
  value: unknown;
}

function ImageUploadImpl({ nodeId, input, value }: ImageUploadProps) {
  const file = useRef<HTMLInputElement>(null);
  const name = typeof value === 'string' && value !== '' ? value : null;
  return (
    <div className="lf-upload nodrag">
      {name && <img src={imageUrl(imageRefOfName(name))} alt={name} />}
      {name && <MaskPainterButton nodeId={nodeId} input={input} />}
      <button type="button" className="lf-small-button" onClick={() => file.current?.click()}>
        Upload image…
      </button>
      <input
        ref={file}
        type="file"
        accept="image/png,image/jpeg,image/webp"
        hidden
        aria-label={`Upload an image for ${input} of node #${nodeId}`}
        onChange={(e) => {
          const f = e.target.files?.[0];
          if (f) void uploadImageTo(nodeId, input, f);
          e.target.value = '';
        }}
      />
    </div>
  );
}

export const ImageUpload = memo(ImageUploadImpl);
