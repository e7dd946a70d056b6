import { describe, expect, it } from 'vitest';

import { brushRange, fitScale, maskFileName, maskUploadPixels, stepBrush, takeExistingMask, UndoStack } from '../../../../editor/src/nodes/mask-canvas.ts';

describe('mask-canvas', () => {
  it("turns the painted layer into ComfyUI's upload: alpha 255 - painted, colour 0", () => {
    const painted = new Uint8ClampedArray([9, 9, 9, 255, 0, 0, 0, 0, 7, 7, 7, 100]);
    expect([...maskUploadPixels(painted)]).toEqual([0, 0, 0, 0, 0, 0, 0, 255, 0, 0, 0, 155]);
  });

  it("takes a picture's existing alpha as paint and makes the picture opaque", () => {
    const picture = new Uint8ClampedArray([10, 20, 30, 255, 40, 50, 60, 0, 70, 80, 90, 200]);
    const painted = new Uint8ClampedArray(12);
    expect(takeExistingMask(picture, painted, [1, 2, 3])).toBe(true);
    expect([...picture]).toEqual([10, 20, 30, 255, 40, 50, 60, 255, 70, 80, 90, 255]);
    expect([...painted]).toEqual([0, 0, 0, 0, 1, 2, 3, 255, 1, 2, 3, 55]);
    // Round trip: what is saved again is the alpha the picture had.
    expect([...maskUploadPixels(painted)].filter((_, i) => i % 4 === 3)).toEqual([255, 0, 200]);
    expect(takeExistingMask(new Uint8ClampedArray([1, 2, 3, 255]), new Uint8ClampedArray(4), [1, 2, 3])).toBe(false);
  });

  it('sizes the brush in picture pixels and steps it with [ and ] within its range', () => {
    expect(brushRange(64, 48)).toEqual({ min: 1, max: 32, initial: 5 });
    expect(brushRange(4096, 1024)).toEqual({ min: 1, max: 2048, initial: 341 });
    expect(brushRange(2, 2)).toEqual({ min: 1, max: 8, initial: 1 });
    const range = { min: 1, max: 32 };
    expect(stepBrush(5, 1, range)).toBe(6);
    expect(stepBrush(20, 1, range)).toBe(23);
    expect(stepBrush(31, 1, range)).toBe(32);
    expect(stepBrush(1, -1, range)).toBe(1);
    expect(stepBrush(20, -1, range)).toBe(17);
  });

  it('fits any picture in the stage: shrinks large ones, enlarges small ones up to 16x', () => {
    expect(fitScale(4096, 2048, 1000, 800)).toBeCloseTo(1000 / 4096);
    expect(fitScale(64, 64, 1000, 800)).toBe(12.5);
    expect(fitScale(8, 8, 1000, 800)).toBe(16);
    expect(fitScale(0, 8, 1000, 800)).toBe(1);
  });

  it('keeps undo snapshots within a step count and a byte budget', () => {
    const snap = (bytes: number, id: number) => ({ data: { byteLength: bytes }, id });
    const stack = new UndoStack<ReturnType<typeof snap>>(3, 100);
    for (let i = 0; i < 5; i++) stack.push(snap(10, i));
    expect(stack.size).toBe(3);
    expect(stack.pop()?.id).toBe(4);
    stack.push(snap(60, 5)); // 10 + 10 + 60 = 80
    stack.push(snap(31, 6)); // 111, four steps: the oldest go until both limits hold (60 + 31)
    expect(stack.size).toBe(2);
    stack.push(snap(500, 7)); // one snapshot over the budget: no undo at all
    expect(stack.size).toBe(0);
    expect(stack.pop()).toBeUndefined();
  });

  it("names files as ComfyUI's mask editor does", () => {
    expect(maskFileName(1733400000000)).toBe('clipspace-mask-1733400000000.png');
  });
});
