/**
 * The mask painter (ComfyUI's mask editor for LoadImage): the picture scaled to fit the window with a layer to
 * paint on at the picture's own resolution; brush and eraser, brush size (slider, `[` and `]`), undo of a
 * stroke, clear, save and cancel. Mouse, pen and touch all paint (pointer events). Saving uploads the painted
 * layer as the picture's alpha (painted = transparent, so LoadImage's MASK is 1 there) and points the node at
 * the new file (mask-painter-store.ts). A picture that already has a mask opens with it painted.
 *
 * Keys while open: Escape cancels, B brush, E eraser, [ and ] size, Ctrl+Z undoes the last stroke; every other
 * key stays in the painter, so the editor's shortcuts (delete, undo of the graph) never act behind it.
 */
import { useCallback, useEffect, useLayoutEffect, useRef, useState, type PointerEvent as ReactPointerEvent } from 'react';

import { imageUrl } from '../api/client.ts';
import { errorMessage, toast } from '../app/ui-store.ts';
import { brushRange, fitScale, maskUploadPixels, stepBrush, takeExistingMask, UndoStack } from './mask-canvas.ts';
import { nameOfImageRef } from './image-name.ts';
import { closeMaskPainter, saveMask, useMaskPainter, type MaskPainterTarget } from './mask-painter-store.ts';
import './MaskPainter.css';

type Tool = 'brush' | 'eraser';
interface Point {
  x: number;
  y: number;
}

/** The paint's colour (shown at partial opacity over the picture; only its alpha is saved). */
const MASK_COLOR = [255, 45, 120] as const;
const MASK_CSS = `rgb(${MASK_COLOR.join(', ')})`;
/** Room around the picture inside the stage (px). */
const STAGE_PADDING = 16;

export function MaskPainter() {
  const target = useMaskPainter((s) => s.target);
  if (!target) return null;
  return <MaskPainterDialog key={`${target.nodeId}:${nameOfImageRef(target.picture)}`} target={target} />;
}

function MaskPainterDialog({ target }: { target: MaskPainterTarget }) {
  const name = nameOfImageRef(target.picture);
  const root = useRef<HTMLDivElement>(null);
  const stage = useRef<HTMLDivElement>(null);
  const pictureCanvas = useRef<HTMLCanvasElement>(null);
  const maskCanvas = useRef<HTMLCanvasElement>(null);
  const cursor = useRef<HTMLDivElement>(null);
  const undoStack = useRef(new UndoStack<ImageData>());
  const stroke = useRef<{ pointerId: number; last: Point } | null>(null);
  const lastPointer = useRef<Point | null>(null);

  const [picture, setPicture] = useState<{ width: number; height: number } | null>(null);
  const [box, setBox] = useState({ width: 0, height: 0 });
  const [tool, setTool] = useState<Tool>('brush');
  const [size, setSize] = useState(16);
  const [undoSteps, setUndoSteps] = useState(0);
  const [saving, setSaving] = useState(false);

  const range = picture ? brushRange(picture.width, picture.height) : { min: 1, max: 64, initial: 16 };
  const scale = picture ? fitScale(picture.width, picture.height, box.width - 2 * STAGE_PADDING, box.height - 2 * STAGE_PADDING) : 1;
  // The handlers below read these through refs, so they stay the same functions while painting.
  const live = useRef({ tool, size, scale, range, saving });
  live.current = { tool, size, scale, range, saving };

  const maskContext = () => maskCanvas.current?.getContext('2d', { willReadFrequently: true }) ?? null;

  // Load the picture: draw it, take an existing mask (alpha) into the paint layer, show it opaque.
  useEffect(() => {
    let cancelled = false;
    const image = new Image();
    image.src = imageUrl(target.picture);
    image
      .decode()
      .then(() => {
        const pictureEl = pictureCanvas.current;
        const maskEl = maskCanvas.current;
        if (cancelled || !pictureEl || !maskEl) return;
        const { naturalWidth: width, naturalHeight: height } = image;
        pictureEl.width = maskEl.width = width;
        pictureEl.height = maskEl.height = height;
        const pictureCtx = pictureEl.getContext('2d', { willReadFrequently: true })!;
        pictureCtx.drawImage(image, 0, 0);
        const pixels = pictureCtx.getImageData(0, 0, width, height);
        const painted = new ImageData(width, height);
        if (takeExistingMask(pixels.data, painted.data, MASK_COLOR)) {
          pictureCtx.putImageData(pixels, 0, 0);
          maskEl.getContext('2d', { willReadFrequently: true })!.putImageData(painted, 0, 0);
        }
        setSize(brushRange(width, height).initial);
        setPicture({ width, height });
      })
      .catch((error) => {
        if (cancelled) return;
        toast('error', `Could not open "${name}" for painting: ${errorMessage(error)}`);
        closeMaskPainter();
      });
    return () => {
      cancelled = true;
      image.src = '';
    };
  }, [target.picture, name]);

  // Fit the picture to the stage, now and whenever the window changes size.
  useLayoutEffect(() => {
    const el = stage.current;
    if (!el) return;
    const measure = () => setBox({ width: el.clientWidth, height: el.clientHeight });
    measure();
    const observer = new ResizeObserver(measure);
    observer.observe(el);
    return () => observer.disconnect();
  }, []);

  // Focus the painter when it opens; give focus back to what opened it when it closes. Free the canvases' memory.
  useEffect(() => {
    const opener = document.activeElement as HTMLElement | null;
    root.current?.querySelector<HTMLElement>('button[data-tool="brush"]')?.focus();
    const undo = undoStack.current;
    const canvases = [pictureCanvas.current, maskCanvas.current];
    return () => {
      undo.clear();
      for (const canvas of canvases) if (canvas) canvas.width = canvas.height = 0;
      if (opener?.isConnected) opener.focus();
    };
  }, []);

  const placeCursor = useCallback(() => {
    const el = cursor.current;
    const at = lastPointer.current;
    if (!el) return;
    if (!at) {
      el.hidden = true;
      return;
    }
    const { size: brush, scale: s } = live.current;
    const diameter = Math.max(2, brush * s);
    el.hidden = false;
    el.style.width = el.style.height = `${diameter}px`;
    el.style.transform = `translate(${at.x * s - diameter / 2}px, ${at.y * s - diameter / 2}px)`;
  }, []);
  useEffect(placeCursor, [size, scale, placeCursor]);

  const snapshot = useCallback(() => {
    const ctx = maskContext();
    const el = maskCanvas.current;
    if (!ctx || !el || el.width === 0) return;
    undoStack.current.push(ctx.getImageData(0, 0, el.width, el.height));
    setUndoSteps(undoStack.current.size);
  }, []);

  const undo = useCallback(() => {
    const previous = undoStack.current.pop();
    if (previous) maskContext()?.putImageData(previous, 0, 0);
    setUndoSteps(undoStack.current.size);
  }, []);

  const clear = useCallback(() => {
    const el = maskCanvas.current;
    if (!el) return;
    snapshot();
    maskContext()?.clearRect(0, 0, el.width, el.height);
  }, [snapshot]);

  const paint = useCallback((from: Point, to: Point) => {
    const ctx = maskContext();
    if (!ctx) return;
    const { tool: current, size: brush } = live.current;
    ctx.save();
    ctx.globalCompositeOperation = current === 'eraser' ? 'destination-out' : 'source-over';
    ctx.fillStyle = ctx.strokeStyle = MASK_CSS;
    ctx.lineWidth = brush;
    ctx.lineCap = 'round';
    ctx.lineJoin = 'round';
    ctx.beginPath();
    if (from.x === to.x && from.y === to.y) {
      ctx.arc(to.x, to.y, brush / 2, 0, 2 * Math.PI);
      ctx.fill();
    } else {
      ctx.moveTo(from.x, from.y);
      ctx.lineTo(to.x, to.y);
      ctx.stroke();
    }
    ctx.restore();
  }, []);

  /** A pointer position in picture pixels. */
  const pointOf = (event: { clientX: number; clientY: number }): Point => {
    const el = maskCanvas.current!;
    const rect = el.getBoundingClientRect();
    return { x: ((event.clientX - rect.left) * el.width) / Math.max(1, rect.width), y: ((event.clientY - rect.top) * el.height) / Math.max(1, rect.height) };
  };

  const onPointerDown = (event: ReactPointerEvent<HTMLCanvasElement>) => {
    if (!picture || stroke.current || live.current.saving) return;
    if (event.pointerType === 'mouse' && event.button !== 0) return;
    event.preventDefault();
    try {
      event.currentTarget.setPointerCapture(event.pointerId); // the stroke goes on outside the canvas
    } catch {
      // A pointer the browser no longer tracks: paint without capture.
    }
    const at = pointOf(event);
    snapshot();
    stroke.current = { pointerId: event.pointerId, last: at };
    paint(at, at);
    lastPointer.current = at;
    placeCursor();
  };

  const onPointerMove = (event: ReactPointerEvent<HTMLCanvasElement>) => {
    const current = stroke.current;
    if (current && event.pointerId === current.pointerId) {
      const events = event.nativeEvent.getCoalescedEvents?.() ?? [];
      for (const e of events.length > 0 ? events : [event.nativeEvent]) {
        const at = pointOf(e);
        paint(current.last, at);
        current.last = at;
      }
    }
    if (!current || event.pointerId === current.pointerId) {
      lastPointer.current = event.pointerType === 'touch' && !current ? null : pointOf(event);
      placeCursor();
    }
  };

  const onPointerEnd = (event: ReactPointerEvent<HTMLCanvasElement>) => {
    if (stroke.current?.pointerId !== event.pointerId) return;
    stroke.current = null;
    if (event.pointerType === 'touch') {
      lastPointer.current = null;
      placeCursor();
    }
  };

  const onPointerLeave = () => {
    if (stroke.current) return;
    lastPointer.current = null;
    placeCursor();
  };

  const save = useCallback(async () => {
    const el = maskCanvas.current;
    const ctx = maskContext();
    if (!el || !ctx || el.width === 0 || live.current.saving) return;
    setSaving(true);
    const { width, height } = el;
    const upload = document.createElement('canvas');
    upload.width = width;
    upload.height = height;
    upload.getContext('2d')!.putImageData(new ImageData(maskUploadPixels(ctx.getImageData(0, 0, width, height).data), width, height), 0, 0);
    const blob = await new Promise<Blob | null>((resolve) => upload.toBlob(resolve, 'image/png'));
    upload.width = upload.height = 0;
    if (!blob) {
      toast('error', 'Could not encode the mask as PNG (the browser refused); try a smaller picture.');
      setSaving(false);
      return;
    }
    if ((await saveMask(target, blob)) !== null) closeMaskPainter();
    else setSaving(false);
  }, [target]);

  // The painter owns the keyboard while it is open.
  useEffect(() => {
    const onKey = (event: KeyboardEvent) => {
      const ctrl = event.ctrlKey || event.metaKey;
      const key = event.key;
      const plain = !ctrl && !event.altKey;
      let handled = true;
      if (key === 'Escape') closeMaskPainter();
      else if (plain && key === '[') setSize(stepBrush(live.current.size, -1, live.current.range));
      else if (plain && key === ']') setSize(stepBrush(live.current.size, 1, live.current.range));
      else if (plain && key.toLowerCase() === 'b') setTool('brush');
      else if (plain && key.toLowerCase() === 'e') setTool('eraser');
      else if (ctrl && !event.shiftKey && key.toLowerCase() === 'z') undo();
      else if (key === 'Tab') handled = keepFocusInside(event, root.current);
      else handled = false;
      if (handled) event.preventDefault();
      // Handled or not, the editor behind does not see it (the painter's own controls still get their default actions).
      event.stopPropagation();
    };
    window.addEventListener('keydown', onKey, true);
    return () => window.removeEventListener('keydown', onKey, true);
  }, [undo]);

  const frame = picture ? { width: `${Math.max(1, Math.floor(picture.width * scale))}px`, height: `${Math.max(1, Math.floor(picture.height * scale))}px` } : { width: '0px', height: '0px' };

  return (
    <div ref={root} className="lf-mask-painter" role="dialog" aria-modal="true" aria-label={`Paint a mask on ${name}`} data-testid="mask-painter">
      <header className="lf-mask-toolbar">
        <h2>Mask</h2>
        <span className="lf-mask-name" title={name}>
          {name}
          {picture && ` (${picture.width}×${picture.height})`}
        </span>
        <div className="lf-mask-tools" role="group" aria-label="Tool">
          <button type="button" data-tool="brush" aria-pressed={tool === 'brush'} onClick={() => setTool('brush')} title="Paint the mask (B)">
            Brush
          </button>
          <button type="button" data-tool="eraser" aria-pressed={tool === 'eraser'} onClick={() => setTool('eraser')} title="Erase the mask (E)">
            Eraser
          </button>
        </div>
        <label className="lf-mask-size">
          Size
          <input
            type="range"
            min={range.min}
            max={range.max}
            step={1}
            value={Math.min(size, range.max)}
            onChange={(e) => setSize(Number(e.target.value))}
            aria-label="Brush size in picture pixels ([ and ])"
          />
          <output>{size}px</output>
        </label>
        <button type="button" onClick={undo} disabled={undoSteps === 0} title="Undo the last stroke (Ctrl+Z)">
          Undo
        </button>
        <button type="button" onClick={clear} disabled={!picture} title="Remove the whole mask">
          Clear
        </button>
        <span className="lf-mask-spacer" />
        <button type="button" onClick={closeMaskPainter} title="Close without saving (Escape)">
          Cancel
        </button>
        <button type="button" className="lf-primary" onClick={() => void save()} disabled={!picture || saving} title="Save as a new picture in input/clipspace and use it">
          {saving ? 'Saving…' : 'Save'}
        </button>
      </header>
      <div ref={stage} className="lf-mask-stage">
        <div className="lf-mask-frame" style={frame} data-tool={tool}>
          <canvas ref={pictureCanvas} className="lf-mask-picture" aria-hidden="true" />
          <canvas
            ref={maskCanvas}
            className="lf-mask-layer"
            data-testid="mask-canvas"
            aria-label="Mask layer: paint with the mouse, a pen or a finger"
            onPointerDown={onPointerDown}
            onPointerMove={onPointerMove}
            onPointerUp={onPointerEnd}
            onPointerCancel={onPointerEnd}
            onPointerLeave={onPointerLeave}
          />
          <div ref={cursor} className="lf-mask-cursor" hidden />
        </div>
        {!picture && <p className="lf-mask-loading">Loading {name}…</p>}
      </div>
      <p className="lf-mask-hint">Painted parts become transparent in the saved copy, so LoadImage's MASK is 1 there. B brush · E eraser · [ ] size · Ctrl+Z undo · Escape cancel</p>
    </div>
  );
}

/** Tab and Shift+Tab cycle through the painter's controls; returns whether it moved the focus itself. */
function keepFocusInside(event: KeyboardEvent, container: HTMLElement | null): boolean {
  if (!container) return false;
  const focusable = [...container.querySelectorAll<HTMLElement>('button:not([disabled]), input:not([disabled])')];
  if (focusable.length === 0) return false;
  const first = focusable[0];
  const last = focusable[focusable.length - 1];
  const active = document.activeElement as HTMLElement | null;
  const inside = active !== null && container.contains(active);
  if (event.shiftKey && (!inside || active === first)) {
    last.focus();
    return true;
  }
  if (!event.shiftKey && (!inside || active === last)) {
    first.focus();
    return true;
  }
  return false;
}
