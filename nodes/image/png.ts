/**
 * PNG encoding and decoding with text chunks, enough for SaveImage (RGB with the workflow embedded in
 * tEXt chunks "prompt" and "workflow", as ComfyUI writes them), LoadImage (8/16-bit gray, gray+alpha,
 * RGB, RGBA and palette images, non-interlaced) and reading a workflow back out of a saved picture.
 * Written from the PNG specification (RFC 2083 / W3C PNG 2nd edition); zlib comes from node:zlib.
 *
 * @example
 *   const png = encodePng({ width: 2, height: 1, channels: 3, data: new Uint8Array(6) }, { prompt: '{}' });
 *   readPngText(png).prompt; // '{}'
 */
import zlib from 'node:zlib';

/** 8-bit interleaved pixels, row-major, top row first. */
export interface RasterImage {
  width: number;
  height: number;
  channels: 1 | 2 | 3 | 4;
  data: Uint8Array;
}

/** A PNG that is malformed, unsupported or too large; `message` says which. */
export class PngError extends Error {
  override name = 'PngError';
}

const SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
/** Largest picture decoded (pixels); protects against decompression bombs. */
export const PNG_MAX_PIXELS = 64 * 1024 * 1024;

const CRC_TABLE = (() => {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
})();

function crc32(bytes: Uint8Array, crc = 0xffffffff): number {
  for (let i = 0; i < bytes.length; i++) crc = CRC_TABLE[(crc ^ bytes[i]) & 0xff] ^ (crc >>> 8);
  return crc;
}

function chunk(type: string, body: Uint8Array): Buffer {
  const out = Buffer.alloc(12 + body.length);
  out.writeUInt32BE(body.length, 0);
  out.write(type, 4, 'latin1');
  Buffer.from(body.buffer, body.byteOffset, body.byteLength).copy(out, 8);
  const crc = crc32(out.subarray(8, 8 + body.length), crc32(out.subarray(4, 8))) ^ 0xffffffff;
  out.writeUInt32BE(crc >>> 0, 8 + body.length);
  return out;
}

/**
 * Encodes 8-bit gray/gray+alpha/RGB/RGBA pixels as a PNG. `text` becomes tEXt chunks (keyword: Latin-1
 * letters, value: any string; non-Latin-1 values are written as iTXt so nothing is lost).
 */
export function encodePng(image: RasterImage, text: Record<string, string> = {}): Buffer {
  const { width, height, channels, data } = image;
  if (!Number.isInteger(width) || !Number.isInteger(height) || width < 1 || height < 1) {
    throw new PngError(`cannot encode a ${width}x${height} image`);
  }
  if (data.length !== width * height * channels) {
    throw new PngError(`pixel data has ${data.length} bytes, ${width}x${height}x${channels} needs ${width * height * channels}`);
  }
  const colorType = { 1: 0, 2: 4, 3: 2, 4: 6 }[channels];
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header[8] = 8; // bit depth
  header[9] = colorType;
  // compression, filter, interlace: 0
  const stride = width * channels;
  const raw = Buffer.alloc((stride + 1) * height);
  for (let y = 0; y < height; y++) {
    // Filter "Up" (2) except on the first row: cheap and compresses smooth pictures well.
    const rowStart = y * (stride + 1);
    raw[rowStart] = y === 0 ? 0 : 2;
    for (let x = 0; x < stride; x++) {
      const v = data[y * stride + x];
      raw[rowStart + 1 + x] = y === 0 ? v : (v - data[(y - 1) * stride + x]) & 0xff;
    }
  }
  const parts = [SIGNATURE, chunk('IHDR', header), ...textChunks(text)];
  parts.push(chunk('IDAT', zlib.deflateSync(raw, { level: 6 })));
  parts.push(chunk('IEND', new Uint8Array(0)));
  return Buffer.concat(parts);
}

/** tEXt chunks (iTXt for values beyond Latin-1, so nothing is lost), one per entry. */
function textChunks(text: Record<string, string>): Buffer[] {
  const parts: Buffer[] = [];
  for (const [keyword, value] of Object.entries(text)) {
    if (!/^[\x20-\x7e\xa1-\xff]{1,79}$/.test(keyword) || keyword.startsWith(' ') || keyword.endsWith(' ')) {
      throw new PngError(`"${keyword}" is not a valid PNG text keyword (1-79 Latin-1 characters)`);
    }
    if (/^[\x00-\xff]*$/.test(value)) {
      parts.push(chunk('tEXt', Buffer.concat([Buffer.from(keyword, 'latin1'), Buffer.from([0]), Buffer.from(value, 'latin1')])));
    } else {
      // iTXt: keyword \0 compression-flag compression-method language \0 translated-keyword \0 text(UTF-8)
      parts.push(chunk('iTXt', Buffer.concat([Buffer.from(keyword, 'latin1'), Buffer.from([0, 0, 0, 0, 0]), Buffer.from(value, 'utf8')])));
    }
  }
  return parts;
}

/**
 * A PNG (another encoder's) with text chunks added right after its IHDR; the pixels are not touched.
 *
 * @example
 *   const png = withPngText(await sharp(raw, { raw }).png().toBuffer(), { workflow: '{}' });
 */
export function withPngText(png: Uint8Array, text: Record<string, string>): Buffer {
  const bytes = Buffer.from(png.buffer, png.byteOffset, png.byteLength);
  readPngHeader(bytes); // a PNG whose first chunk is IHDR
  const afterHeader = 8 + 12 + 13;
  return Buffer.concat([bytes.subarray(0, afterHeader), ...textChunks(text), bytes.subarray(afterHeader)]);
}

interface Chunk {
  type: string;
  body: Buffer;
}

function* chunks(png: Uint8Array): Generator<Chunk> {
  const buf = Buffer.from(png.buffer, png.byteOffset, png.byteLength);
  if (buf.length < 8 || !buf.subarray(0, 8).equals(SIGNATURE)) throw new PngError('not a PNG file (bad signature)');
  let pos = 8;
  while (pos < buf.length) {
    if (pos + 12 > buf.length) throw new PngError('truncated PNG: a chunk header is cut off');
    const length = buf.readUInt32BE(pos);
    const type = buf.toString('latin1', pos + 4, pos + 8);
    if (!/^[A-Za-z]{4}$/.test(type)) throw new PngError(`malformed PNG: bad chunk type at byte ${pos}`);
    if (pos + 12 + length > buf.length) throw new PngError(`truncated PNG: chunk ${type} runs past the end of the file`);
    const body = buf.subarray(pos + 8, pos + 8 + length);
    const crc = (crc32(body, crc32(buf.subarray(pos + 4, pos + 8))) ^ 0xffffffff) >>> 0;
    if (crc !== buf.readUInt32BE(pos + 8 + length)) throw new PngError(`corrupt PNG: CRC mismatch in chunk ${type}`);
    yield { type, body };
    if (type === 'IEND') return;
    pos += 12 + length;
  }
  throw new PngError('truncated PNG: no IEND chunk');
}

/** Inflates a compressed text chunk; corrupt or oversized data is a PngError (zlib's own errors never escape). */
function inflateText(bytes: Buffer, type: string, keyword: string): Buffer {
  try {
    return zlib.inflateSync(bytes, { maxOutputLength: 64 << 20 });
  } catch (error) {
    throw new PngError(`corrupt PNG: the compressed ${type} chunk "${keyword}" cannot be inflated (${(error as Error).message})`);
  }
}

function textOf(c: Chunk): [string, string] | undefined {
  const nul = c.body.indexOf(0);
  if (nul < 1) return undefined;
  const keyword = c.body.toString('latin1', 0, nul);
  if (c.type === 'tEXt') return [keyword, c.body.toString('latin1', nul + 1)];
  if (c.type === 'zTXt') return [keyword, inflateText(c.body.subarray(nul + 2), c.type, keyword).toString('latin1')];
  if (c.type === 'iTXt') {
    const compressed = c.body[nul + 1] === 1;
    let p = c.body.indexOf(0, nul + 3); // end of language tag
    if (p < 0) return undefined;
    p = c.body.indexOf(0, p + 1); // end of translated keyword
    if (p < 0) return undefined;
    const payload = c.body.subarray(p + 1);
    const bytes = compressed ? inflateText(payload, c.type, keyword) : payload;
    return [keyword, bytes.toString('utf8')];
  }
  return undefined;
}

/** The text chunks (tEXt, zTXt, iTXt) of a PNG, without decoding its pixels. */
export function readPngText(png: Uint8Array): Record<string, string> {
  const text: Record<string, string> = {};
  for (const c of chunks(png)) {
    if (c.type === 'IDAT') continue;
    const entry = textOf(c);
    if (entry) text[entry[0]] = entry[1];
  }
  return text;
}

/** What a PNG's header (its first chunk, IHDR) says, read without inflating anything. */
export interface PngHeader {
  width: number;
  height: number;
  bitDepth: number;
  colorType: number;
  interlace: number;
}

/**
 * Reads the IHDR chunk, which the PNG specification puts first: the picture's size is known from the
 * first 33 bytes, before any image data is inflated (a 261 KB file can claim 8192x8192 pixels).
 */
export function readPngHeader(png: Uint8Array): PngHeader {
  const first = chunks(png.subarray(0, Math.min(png.length, 8 + 12 + 13))).next();
  if (first.done || first.value.type !== 'IHDR') throw new PngError('malformed PNG: the first chunk is not IHDR');
  const body = first.value.body;
  if (body.length !== 13) throw new PngError('malformed PNG: IHDR has the wrong length');
  return { width: body.readUInt32BE(0), height: body.readUInt32BE(4), bitDepth: body[8], colorType: body[9], interlace: body[12] };
}

function paeth(a: number, b: number, c: number): number {
  const p = a + b - c;
  const pa = Math.abs(p - a), pb = Math.abs(p - b), pc = Math.abs(p - c);
  return pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
}

/** Decodes a PNG to 8-bit pixels (16-bit samples keep their high byte; palettes are expanded to RGB/RGBA). */
export function decodePng(png: Uint8Array): RasterImage & { text: Record<string, string> } {
  let width = 0, height = 0, depth = 0, colorType = -1, interlace = 0;
  let palette: Buffer | undefined;
  let transparency: Buffer | undefined;
  const idat: Buffer[] = [];
  const text: Record<string, string> = {};
  for (const c of chunks(png)) {
    if (c.type === 'IHDR') {
      if (c.body.length !== 13) throw new PngError('malformed PNG: IHDR has the wrong length');
      width = c.body.readUInt32BE(0);
      height = c.body.readUInt32BE(4);
      depth = c.body[8];
      colorType = c.body[9];
      interlace = c.body[12];
    } else if (c.type === 'PLTE') palette = c.body;
    else if (c.type === 'tRNS') transparency = c.body;
    else if (c.type === 'IDAT') idat.push(c.body);
    else {
      const entry = textOf(c);
      if (entry) text[entry[0]] = entry[1];
    }
  }
  if (colorType < 0) throw new PngError('malformed PNG: no IHDR chunk');
  if (width < 1 || height < 1) throw new PngError(`malformed PNG: ${width}x${height} pixels`);
  if (width * height > PNG_MAX_PIXELS) throw new PngError(`PNG is ${width}x${height}: larger than the ${PNG_MAX_PIXELS} pixel limit`);
  if (interlace !== 0) throw new PngError('interlaced (Adam7) PNGs are not supported: save the image without interlacing');
  const samplesPerPixel = ({ 0: 1, 2: 3, 3: 1, 4: 2, 6: 4 } as Record<number, number>)[colorType];
  if (!samplesPerPixel) throw new PngError(`unsupported PNG colour type ${colorType}`);
  const okDepth = colorType === 3 ? [1, 2, 4, 8].includes(depth) : colorType === 0 ? [1, 2, 4, 8, 16].includes(depth) : [8, 16].includes(depth);
  if (!okDepth) throw new PngError(`unsupported PNG bit depth ${depth} for colour type ${colorType}`);
  if (colorType === 3 && !palette) throw new PngError('malformed PNG: palette image without PLTE');
  if (idat.length === 0) throw new PngError('malformed PNG: no image data (IDAT)');

  const bitsPerPixel = samplesPerPixel * depth;
  const stride = Math.ceil((width * bitsPerPixel) / 8);
  const bpp = Math.max(1, bitsPerPixel >> 3); // filter byte distance
  let raw: Buffer;
  try {
    raw = zlib.inflateSync(Buffer.concat(idat), { maxOutputLength: (stride + 1) * height + 1 });
  } catch (error) {
    throw new PngError(`corrupt PNG image data: ${(error as Error).message}`);
  }
  if (raw.length < (stride + 1) * height) throw new PngError('truncated PNG image data');

  const rows = Buffer.alloc(stride * height);
  for (let y = 0; y < height; y++) {
    const filter = raw[y * (stride + 1)];
    const src = raw.subarray(y * (stride + 1) + 1, (y + 1) * (stride + 1));
    const row = rows.subarray(y * stride, (y + 1) * stride);
    const prev = y > 0 ? rows.subarray((y - 1) * stride, y * stride) : undefined;
    for (let x = 0; x < stride; x++) {
      const a = x >= bpp ? row[x - bpp] : 0;
      const b = prev ? prev[x] : 0;
      const c = prev && x >= bpp ? prev[x - bpp] : 0;
      let v = src[x];
      switch (filter) {
        case 0: break;
        case 1: v += a; break;
        case 2: v += b; break;
        case 3: v += (a + b) >> 1; break;
        case 4: v += paeth(a, b, c); break;
        default: throw new PngError(`corrupt PNG: unknown row filter ${filter}`);
      }
      row[x] = v & 0xff;
    }
  }

  const sample = (y: number, i: number): number => {
    // i-th sample of row y, scaled to 8 bits
    if (depth === 8) return rows[y * stride + i];
    if (depth === 16) return rows[y * stride + 2 * i];
    const perByte = 8 / depth;
    const byte = rows[y * stride + Math.floor(i / perByte)];
    const shift = 8 - depth * ((i % perByte) + 1);
    const v = (byte >> shift) & ((1 << depth) - 1);
    return colorType === 3 ? v : Math.round((v * 255) / ((1 << depth) - 1));
  };

  if (colorType === 3) {
    const hasAlpha = !!transparency;
    const channels = hasAlpha ? 4 : 3;
    const data = new Uint8Array(width * height * channels);
    for (let y = 0; y < height; y++)
      for (let x = 0; x < width; x++) {
        const index = sample(y, x);
        if (3 * index + 2 >= palette!.length) throw new PngError('corrupt PNG: palette index out of range');
        const o = (y * width + x) * channels;
        data[o] = palette![3 * index];
        data[o + 1] = palette![3 * index + 1];
        data[o + 2] = palette![3 * index + 2];
        if (hasAlpha) data[o + 3] = index < transparency!.length ? transparency![index] : 255;
      }
    return { width, height, channels, data, text };
  }
  const channels = samplesPerPixel as 1 | 2 | 3 | 4;
  const data = new Uint8Array(width * height * channels);
  for (let y = 0; y < height; y++)
    for (let i = 0; i < width * channels; i++) data[y * width * channels + i] = sample(y, i);
  return { width, height, channels, data, text };
}
