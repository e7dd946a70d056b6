/**
 * The TypeScript face of latentflow's native engine: the only module above native/ that touches the
 * addon. Heavy calls return Promises (they run on a libuv worker thread, so the event loop never
 * blocks); errors are `NativeError`s whose `code` is a status name such as "SDN_STATUS_BAD_FORMAT".
 * Each family lives in its own file under native/ts/ and is re-exported here.
 *
 * @example
 *   import { native } from '../native/index.ts';
 *   native.threadsSet(2);
 *   console.log(native.memoryStats().activationsPeak);
 */
export * from './ts/core.ts';
export * from './ts/io.ts';
export * from './ts/models.ts';
export * from './ts/attention.ts';
export * from './ts/lora.ts';
export * from './ts/taesd.ts';
export * from './ts/upscale.ts';
export * from './ts/controlnet.ts';
