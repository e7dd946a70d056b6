/**
 * Run by weight-spill.test.ts in a child process whose environment sets LATENTFLOW_SPILL_DIR: loads the
 * tiny-sd single file with q8_0 weights and prints one JSON line: the weight memory it owns and maps beyond
 * the f16 load's, where its q8_0 tensors live ("mapped" / "owned"), a sum of their values, and the spill files this process maps
 * (the path /proc/self/smaps names: "<dir>/#<inode> (deleted)" for an O_TMPFILE file).
 */
import { loadCheckpointInfo, loadModel, native } from '../../../native/index.ts';
import { spillFiles } from '../../helpers/resident.ts';

const file = 'test/fixtures/tiny-sd/tiny-sd.safetensors';
const f16 = await loadCheckpointInfo(file, 'f16');
const q8 = await loadCheckpointInfo(file, 'q8_0', { withData: true });
const model = await loadModel(file, { weights: 'q8_0' });
const spills = spillFiles();
model.dispose();
console.log(JSON.stringify({
  ownedMore: q8.memory.weightsBytes - f16.memory.weightsBytes,
  mappedMore: q8.memory.mappedBytes - f16.memory.mappedBytes,
  storage: [...new Set(q8.tensors.filter((t) => t.dtype === 'Q8_0').map((t) => t.storage))],
  quantizedBytes: q8.tensors.filter((t) => t.dtype === 'Q8_0').reduce((a, t) => a + (t.shape.reduce((x, y) => x * y, 1) / 32) * 34, 0),
  spills,
  // The quantized values, widened and summed in a fixed order: the same wherever the blocks live.
  valueSum: q8.tensors.filter((t) => t.dtype === 'Q8_0').reduce((a, t) => a + (t.data as Float32Array).reduce((x, y) => x + y, 0), 0),
  mappedAfter: native.memoryStats().mappedCurrent,
}));
