// ComfyUI's API with an SDXL checkpoint: an unmodified ComfyUI client (comfy-ui-client from npm) queues
// the SDXL fixture's txt2img from the diffusers folder (DPM++ 2M Karras) and downloads the picture,
// which is the reference within 2/255; object_info lists CLIPTextEncodeSDXL and CLIPTextEncodeSDXLRefiner with ComfyUI's inputs.
import fs from 'node:fs';
import path from 'node:path';

import { ComfyUIClient } from 'comfy-ui-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { startTestServer, type TestServer } from '../../helpers/server.ts';
import { compareToReference, makeSdxlModelsDir, SDXL_FIXTURES, sdxlGraph } from '../../helpers/sdxl.ts';

let t: TestServer;
let modelsDir: string;
beforeAll(async () => {
  modelsDir = makeSdxlModelsDir();
  t = await startTestServer({ modelsDir });
});
afterAll(async () => {
  await t.close();
  fs.rmSync(modelsDir, { recursive: true, force: true });
});

describe('ComfyUI API with SDXL', () => {
  it('a ComfyUI client runs the SDXL fixture workflow and gets the reference picture', async () => {
    const client = new ComfyUIClient(t.address, 'comfy-sdxl');
    await client.connect();
    try {
      const info = await client.getObjectInfo('CLIPTextEncodeSDXL');
      expect(Object.keys(info.CLIPTextEncodeSDXL.input.required)).toEqual(
        ['clip', 'width', 'height', 'crop_w', 'crop_h', 'target_width', 'target_height', 'text_g', 'text_l'],
      );
      const refiner = await client.getObjectInfo('CLIPTextEncodeSDXLRefiner');
      expect(Object.keys(refiner.CLIPTextEncodeSDXLRefiner.input.required)).toEqual(['ascore', 'width', 'height', 'text', 'clip']);
      const images = await client.getImages(sdxlGraph('diffusers', 'dpmpp_2m', 'comfy-sdxl') as never);
      const [ref] = images['7'];
      const png = Buffer.from(await ref.blob.arrayBuffer());
      expect(compareToReference(png, path.join(SDXL_FIXTURES, 'expected', 'pipeline_dpmpp_2m_karras.png')).max).toBeLessThanOrEqual(2);
    } finally {
      await client.disconnect();
    }
  });
});
