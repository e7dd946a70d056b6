/**
 * latentflow-example: a small node pack. Its package.json names this file in `latentflow.nodes`; the
 * default export lists the node types, which register as `latentflow-example/<Type>`.
 *
 * Outside this repository a pack imports `defineNode` and the spec helpers from its latentflow
 * checkout (`latentflow/nodes/schema.ts`), or exports plain objects of the same shape.
 */
import imageBlend from './image-blend.ts';
import imageInvert from './image-invert.ts';
import latentScale from './latent-scale.ts';

export default [imageInvert, imageBlend, latentScale];
