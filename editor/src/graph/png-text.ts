/**
 * Reads the text chunks of a PNG in the browser (no pixels decoded): tEXt (Latin-1 by the spec; ComfyUI
 * writes UTF-8, which is tried first), zTXt and iTXt (compressed with zlib, inflated by the browser's
 * DecompressionStream). SaveImage (ours and ComfyUI's) embeds the drawn workflow as "workflow" (ComfyUI's UI
 * format: groups, notes, reroutes and layout come back; older latentflow PNGs hold its saved form) and what
 * ran as "prompt" (execution form).
 * Spec: https://www.w3.org/TR/png/#11textinfo
 */
import type { Catalog, SavedWorkflow } from '../../../protocol/index.ts';
import { readWorkflowJson, WorkflowFormatError } from './convert.ts';

const SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
/** Largest inflated text chunk accepted (a workflow is kilobytes). */
const MAX_TEXT_BYTES = 16 << 20;

export class PngTextError extends Error {
  override name = 'PngTextError';
}

export function isPng(bytes: Uint8Array): boolean {
  return bytes.length >= 8 && SIGNATURE.every((b, i) => bytes[i] === b);
}

function decodeText(bytes: Uint8Array): string {
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    return new TextDecoder('latin1').decode(bytes);
  }
}

async function inflate(bytes: Uint8Array): Promise<Uint8Array> {
  const stream = new Blob([bytes as BlobPart]).stream().pipeThrough(new DecompressionStream('deflate'));
  const reader = stream.getReader();
  const parts: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.length;
    if (size > MAX_TEXT_BYTES) {
      await reader.cancel();
      throw new PngTextError(`a compressed PNG text chunk inflates to more than ${MAX_TEXT_BYTES} bytes`);
    }
    parts.push(value);
  }
  const out = new Uint8Array(size);
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}

/** inflate() for a text chunk: corrupt zlib data is a PngTextError naming the chunk, like every other problem. */
async function inflateChunk(bytes: Uint8Array, type: string, keyword: string): Promise<Uint8Array> {
  try {
    return await inflate(bytes);
  } catch (error) {
    if (error instanceof PngTextError) throw error;
    throw new PngTextError(`corrupt PNG: the compressed ${type} chunk "${keyword}" cannot be inflated (${(error as Error).message})`);
  }
}

/** Keyword -> text of every tEXt/zTXt/iTXt chunk. Throws PngTextError for a file that is not a PNG. */
export async function readPngText(bytes: Uint8Array): Promise<Record<string, string>> {
  if (!isPng(bytes)) throw new PngTextError('not a PNG file (wrong signature)');
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const text: Record<string, string> = {};
  let offset = 8;
  while (offset + 12 <= bytes.length) {
    const length = view.getUint32(offset);
    const type = String.fromCharCode(...bytes.subarray(offset + 4, offset + 8));
    const start = offset + 8;
    const end = start + length;
    if (end + 4 > bytes.length) throw new PngTextError(`truncated PNG: chunk ${type} runs past the end of the file`);
    const body = bytes.subarray(start, end);
    if (type === 'IEND') return text;
    if (type === 'tEXt' || type === 'zTXt' || type === 'iTXt') {
      const entry = await textChunk(type, body);
      if (entry) text[entry[0]] = entry[1];
    }
    offset = end + 4; // skip the CRC
  }
  throw new PngTextError('truncated PNG: the file ends before its IEND chunk');
}

async function textChunk(type: string, body: Uint8Array): Promise<[string, string] | undefined> {
  const nul = body.indexOf(0);
  if (nul <= 0) return undefined;
  const keyword = new TextDecoder('latin1').decode(body.subarray(0, nul));
  if (type === 'tEXt') return [keyword, decodeText(body.subarray(nul + 1))];
  if (type === 'zTXt') return [keyword, decodeText(await inflateChunk(body.subarray(nul + 2), type, keyword))];
  // iTXt: keyword\0 compressionFlag compressionMethod languageTag\0 translatedKeyword\0 text
  const compressed = body[nul + 1] === 1;
  let p = body.indexOf(0, nul + 3);
  if (p < 0) return undefined;
  p = body.indexOf(0, p + 1);
  if (p < 0) return undefined;
  const payload = body.subarray(p + 1);
  return [keyword, new TextDecoder('utf-8').decode(compressed ? await inflateChunk(payload, type, keyword) : payload)];
}

/**
 * The workflow a PNG carries: the "workflow" chunk (drawn, any form) when present and readable, else the
 * "prompt" chunk (execution form). Throws PngTextError when there is neither.
 */
export async function workflowFromPng(bytes: Uint8Array, fallbackName = 'from image', catalog?: Catalog): Promise<SavedWorkflow> {
  const text = await readPngText(bytes);
  const problems: string[] = [];
  for (const key of ['workflow', 'prompt'] as const) {
    const raw = text[key];
    if (raw === undefined) continue;
    try {
      return readWorkflowJson(JSON.parse(raw), fallbackName, catalog);
    } catch (error) {
      problems.push(`"${key}": ${error instanceof WorkflowFormatError ? error.message : (error as Error).message}`);
    }
  }
  if (problems.length > 0) throw new PngTextError(`This PNG has workflow text, but it could not be read (${problems.join('; ')}).`);
  throw new PngTextError('This PNG carries no workflow (no "workflow" or "prompt" text chunk); only images saved by SaveImage do.');
}
