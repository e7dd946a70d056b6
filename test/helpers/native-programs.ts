/**
 * The engine's C++ programs (native/binding.gyp builds them next to the addon): sdn_ops_test, the op
 * test program (test/native/ops/), sdn_ops_bench, the kernels' benchmark (bench/native/), and sdn_t2i_adapter_test
 * (test/native/models/t2i_adapter/). They are
 * found beside the addon in use: LATENTFLOW_ADDON's folder (the sanitized build of `npm run test:asan`)
 * or native/build/Release.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

export function nativeProgram(name: 'sdn_ops_test' | 'sdn_ops_bench' | 'sdn_t2i_adapter_test'): string {
  const dir = process.env.LATENTFLOW_ADDON ? path.dirname(process.env.LATENTFLOW_ADDON) : path.join(root, 'native/build/Release');
  const file = path.join(dir, name);
  if (!existsSync(file)) throw new Error(`${file} is missing: build the native engine with "npm run build:native"`);
  return file;
}
