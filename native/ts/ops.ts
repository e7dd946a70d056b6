/** The ops family of the native engine (see native/src/binding/binding_ops.cc). */
import { addon } from './core.ts';

/** Raw addon functions of this family. */
export interface OpsAddon {}

export const opsAddon = addon as unknown as OpsAddon;
