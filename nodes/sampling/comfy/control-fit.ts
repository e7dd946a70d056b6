// Whether a sampling run's ControlNets were made for its model: a ControlNet reads the model's text
// conditioning (its cross-attention width: 768 for SD 1.x, 1024 for SD 2.x, 2048 for SDXL), an SDXL ControlNet
// also the model's added conditioning (pooled text embedding and sizes, SDXL's `y`: 2816 wide), and its residuals
// must fit the UNet's skips; a T2I-Adapter is SDXL's or SD 1.x's. A mismatched pair (an SD 1.x ControlNet on an SDXL checkpoint, or the reverse)
// is refused before the first step, naming the inputs and the fix, instead of failing deep in the engine.

import type { ControlNetRef, ModelHandle } from '../../../native/index.ts';

/** The family a cross-attention width stands for, for messages. */
function family(width: number | undefined, sdxl: boolean): string {
  if (sdxl) return `SDXL (${width === undefined ? 'no text attention' : `context ${width} wide`}, with pooled text and size conditioning)`;
  if (width === 768) return 'SD 1.x (context 768 wide)';
  if (width === 1024) return 'SD 2.x (context 1024 wide)';
  return `a model with context ${width} wide`;
}

/** Throws when a ControlNet of `controls` was made for another model family than `model`. */
export function checkControlsFitModel(model: ModelHandle, controls: readonly { controlnet: ControlNetRef }[]): void {
  const unet = model.info.unet;
  const modelSdxl = unet.addition_embed_type === 'text_time';
  const modelAdded = modelSdxl ? unet.projection_class_embeddings_input_dim : undefined;
  for (const { controlnet } of controls) {
    const netSdxl = controlnet.addedWidth !== undefined;
    if (controlnet.contextWidth === undefined && !netSdxl) {
      // No text attention and no added conditioning: a T2I-Adapter (the UNet call checks its feature widths, but SDXL's
      // places its features for SDXL's UNet and SD 1.x's for SD 1.x's), or an SD 1.x ControlNet of transformer depth 0 everywhere.
      if (controlnet.adapterXl === undefined || controlnet.adapterXl === modelSdxl) continue;
      throw new Error(
        `the T2I-Adapter (the control_net input of ControlNetApply / ControlNetApplyAdvanced) was made for ${controlnet.adapterXl ? 'SDXL' : 'SD 1.x / 2.x'}, ` +
          `but the model input is ${family(unet.cross_attention_dim, modelSdxl)}; load an adapter made for this checkpoint with ControlNetLoader, ` +
          `or sample with a checkpoint of the adapter's family.`,
      );
    }
    const width = controlnet.contextWidth ?? unet.cross_attention_dim; // none read: any width fits
    if (width === unet.cross_attention_dim && netSdxl === modelSdxl && controlnet.addedWidth === modelAdded) continue;
    const sameWidth = width === unet.cross_attention_dim && netSdxl === modelSdxl;
    throw new Error(
      `the ControlNet (the control_net input of ControlNetApply / ControlNetApplyAdvanced) was made for ${family(controlnet.contextWidth, netSdxl)}` +
        (sameWidth ? ` with added conditioning ${controlnet.addedWidth} wide` : '') +
        `, but the model input is ${family(unet.cross_attention_dim, modelSdxl)}` +
        (sameWidth ? ` with added conditioning ${modelAdded} wide` : '') +
        `; load a ControlNet made for this checkpoint with ControlNetLoader, or sample with a checkpoint of the ControlNet's family.`,
    );
  }
}
