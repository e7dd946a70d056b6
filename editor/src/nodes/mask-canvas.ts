/**
 * The mask painter's arithmetic, apart from React and the DOM: how the painted layer becomes the alpha ComfyUI's
 * mask editor uploads (painted = transparent, so LoadImage's MASK = 1 - alpha is 1 there), how a picture's
 * existing alpha becomes the painted layer again, the brush sizes, the fit of a picture in the viewport and the
 * undo stack's memory budget.
 *
 * The painted layer is RGBA at the picture's own size; only its alpha matters (0 = not painted, 255 = painted,
 * values between at a stroke's antialiased edge).
 */

/** The RGBA of the picture-sized upload: alpha = 255 - painted, colour 0 (the server keeps only the alpha). */
export function maskUploadPixels(painted: Uint8ClampedArray): Uint8ClampedArray<ArrayBuffer> {
  const out = new Uint8ClampedArray(painted.length);
  for (let i = 3; i < painted.length; i += 4) out[i] = 255 - painted[i];
  return out;
}

/**
 * A picture's pixels split for painting: the painted layer from its alpha (painted = 255 - alpha, drawn in
 * `color`), and the picture made opaque in place (what was masked stays visible under the paint).
 * Returns whether any pixel was masked.
 */
export function takeExistingMask(picture: Uint8ClampedArray, painted: Uint8ClampedArray, color: readonly [number, number, number]): boolean {
  let any = false;
  for (let i = 0; i < picture.length; i += 4) {
    const masked = 255 - picture[i + 3];
    if (masked > 0) {
      any = true;
      painted[i] = color[0];
      painted[i + 1] = color[1];
      painted[i + 2] = color[2];
      painted[i + 3] = masked;
      picture[i + 3] = 255;
    }
  }
  return any;
}

/** The brush's range in picture pixels: 1 to half the longer side (at least 8). */
export function brushRange(width: number, height: number): { min: number; max: number; initial: number } {
  const side = Math.max(width, height);
  const max = Math.max(8, Math.round(side / 2));
  return { min: 1, max, initial: Math.min(max, Math.max(1, Math.round(side / 12))) };
}

/** `[` (direction -1) and `]` (+1): about 15% smaller or larger, at least one pixel, within the range. */
export function stepBrush(size: number, direction: -1 | 1, range: { min: number; max: number }): number {
  const step = Math.max(1, Math.round(size * 0.15));
  return Math.min(range.max, Math.max(range.min, size + direction * step));
}

/** The scale that fits a picture in a box (larger pictures shrink, small ones grow, at most 16x). */
export function fitScale(width: number, height: number, boxWidth: number, boxHeight: number): number {
  if (width <= 0 || height <= 0 || boxWidth <= 0 || boxHeight <= 0) return 1;
  return Math.min(16, boxWidth / width, boxHeight / height);
}

/** Undo snapshots kept: at most this many, and at most UNDO_BUDGET_BYTES of them together. */
export const UNDO_MAX_STEPS = 30;
export const UNDO_BUDGET_BYTES = 256 * 1024 * 1024;

/** The painted layer before each stroke, newest last; the oldest go once over the step or byte budget. */
export class UndoStack<T extends { data: { byteLength: number } }> {
  private readonly items: T[] = [];
  private bytes = 0;

  constructor(
    private readonly maxSteps = UNDO_MAX_STEPS,
    private readonly budgetBytes = UNDO_BUDGET_BYTES,
  ) {}

  push(item: T): void {
    this.items.push(item);
    this.bytes += item.data.byteLength;
    while (this.items.length > this.maxSteps || (this.bytes > this.budgetBytes && this.items.length > 1)) {
      this.bytes -= this.items.shift()!.data.byteLength;
    }
    if (this.bytes > this.budgetBytes) this.clear(); // one snapshot alone is over the budget: no undo
  }

  pop(): T | undefined {
    const item = this.items.pop();
    if (item) this.bytes -= item.data.byteLength;
    return item;
  }

  clear(): void {
    this.items.length = 0;
    this.bytes = 0;
  }

  get size(): number {
    return this.items.length;
  }
}

/** ComfyUI's file name for a painted mask (`clipspace-mask-<n>.png`, in input/clipspace). */
export function maskFileName(now = Date.now()): string {
  return `clipspace-mask-${now}.png`;
}

/** The subfolder of input/ ComfyUI's mask editor saves into. */
export const MASK_SUBFOLDER = 'clipspace';
