import { defineNode, type HostServices, int, socket, type WidgetProblem } from '../schema.ts';
import { formatBytes, memoryBudget, MemoryBudgetError } from '../system/memory.ts';

/** Bytes of the latent this node makes: batch x 4 x height/8 x width/8 float32. */
export function latentBytes(width: number, height: number, batch: number): number {
  return batch * 4 * Math.floor(height / 8) * Math.floor(width / 8) * Float32Array.BYTES_PER_ELEMENT;
}

/**
 * The latent refused when it alone is over the memory budget (exact: it is what run() allocates, and
 * every later node needs more than it). The budget is the host's (LATENTFLOW_MEMORY_BUDGET_GB) or what
 * the machine has available now (memoryBudget).
 */
export function latentBudgetProblem(widgets: { width: number; height: number; batch_size: number }, services: HostServices): WidgetProblem | null {
  const bytes = latentBytes(widgets.width, widgets.height, widgets.batch_size);
  const budgetBytes = memoryBudget(services);
  if (bytes <= budgetBytes) return null;
  const input = widgets.batch_size > 1 ? 'batch_size' : widgets.width >= widgets.height ? 'width' : 'height';
  return {
    input,
    message:
      `a ${widgets.width}x${widgets.height} latent of batch ${widgets.batch_size} needs ${formatBytes(bytes)}, more than the memory budget of ${formatBytes(budgetBytes)}; ` +
      `lower ${input === 'batch_size' ? 'batch_size (or width and height)' : 'width and height'}, or raise the budget (LATENTFLOW_MEMORY_BUDGET_GB) on a machine with more memory.`,
    details: { reason: 'over_memory_budget', bytes, budgetBytes },
  };
}

/** A latent refused at run time (the budget shrank since validation): an out-of-memory refusal with the figures. */
export class LatentMemoryError extends MemoryBudgetError {
  override name = 'LatentMemoryError';
}

export default defineNode({
  type: 'EmptyLatentImage',
  version: 1,
  category: 'latent',
  displayName: 'Empty Latent Image',
  description: 'An all-zero latent for a picture of the given size (multiples of 8 pixels); the sampler adds the noise.',
  inputs: {
    width: int({ default: 512, min: 64, max: 8192, step: 8, description: 'Picture width in pixels (a multiple of 8).' }),
    height: int({ default: 512, min: 64, max: 8192, step: 8, description: 'Picture height in pixels (a multiple of 8).' }),
    batch_size: int({ default: 1, min: 1, max: 64, description: 'Pictures made at once.' }),
  },
  outputs: { LATENT: socket('LATENT') },
  checkWidgets(widgets, services) {
    const problem = latentBudgetProblem(widgets, services);
    return problem ? [problem] : [];
  },
  run(input, ctx) {
    for (const [name, value] of [['width', input.width], ['height', input.height]] as const) {
      if (value % 8 !== 0) throw new Error(`${name} ${value} is not a multiple of 8; use ${Math.round(value / 8) * 8}.`);
    }
    // Checked again here: validation may have run on another machine, or memory may have gone since.
    const problem = latentBudgetProblem(input, ctx.services);
    if (problem) throw new LatentMemoryError(`input "${problem.input}": ${problem.message}`, { input: problem.input, ...problem.details });
    const shape = [input.batch_size, 4, input.height / 8, input.width / 8] as const;
    return { LATENT: { samples: new Float32Array(shape[0] * shape[1] * shape[2] * shape[3]), shape } };
  },
});
