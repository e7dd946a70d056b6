/** The models family of the native engine (see native/src/binding/binding_models.cc). */
import { addon } from './core.ts';

/** Raw addon functions of this family. */
export interface ModelsAddon {}

export const modelsAddon = addon as unknown as ModelsAddon;
