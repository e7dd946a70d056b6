/** The io family of the native engine (see native/src/binding/binding_io.cc). */
import { addon } from './core.ts';

/** Raw addon functions of this family. */
export interface IoAddon {}

export const ioAddon = addon as unknown as IoAddon;
