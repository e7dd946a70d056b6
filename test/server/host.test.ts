import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import { afterAll, describe, expect, it } from 'vitest';

import type { RunEvent } from '../../protocol/index.ts';
import { createHost, relieveMemoryPressure } from '../../server/host.ts';
import { executeGraph } from '../../server/runner/execute.ts';
import { makeModelsDir, tinyTxt2img } from '../helpers/server.ts';

const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'lf-host-'));
const modelsDir = makeModelsDir();
afterAll(() => {
  fs.rmSync(dataDir, { recursive: true, force: true });
  fs.rmSync(modelsDir, { recursive: true, force: true });
});

describe('host', () => {
  it('keeps loaded models cached between runs, and unloads them under memory pressure', async () => {
    const host = createHost({ dataDir, modelsDir });
    const run = async () => {
      const events: RunEvent[] = [];
      const result = await executeGraph(tinyTxt2img({ steps: 1 }), host.registry, { cache: host.cache, services: { paths: host.paths }, onEvent: (e) => events.push(e) });
      expect(result.status).toBe('success');
      return events.filter((e) => e.type === 'executing').map((e) => (e as { node: string }).node);
    };
    expect(await run()).toContain('4');
    expect(await run()).not.toContain('4'); // the loader's model stays loaded
    host.underMemoryPressure = () => false;
    expect(relieveMemoryPressure(host)).toBe(false);
    expect(host.cache.size).toBeGreaterThan(0);
    host.underMemoryPressure = () => true;
    expect(relieveMemoryPressure(host)).toBe(true);
    expect(host.cache.size).toBe(0);
    expect(await run()).toContain('4'); // loaded again
  });
});
