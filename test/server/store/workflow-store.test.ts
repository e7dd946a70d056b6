import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import { afterEach, beforeEach, describe, expect, it } from 'vitest';

import { PathError } from '../../../server/store/paths.ts';
import { StaleRevisionError, WorkflowExistsError, WorkflowNotFoundError, WorkflowStore } from '../../../server/store/workflow-store.ts';

let dir: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lf-wf-'));
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('WorkflowStore', () => {
  it('creates, reads, updates with revisions, renames and deletes', () => {
    const store = new WorkflowStore(dir);
    const created = store.create('txt2img', { nodes: [1] });
    expect(created.revision).toBe(1);
    expect(() => store.create('txt2img', {})).toThrow(WorkflowExistsError);
    const updated = store.update('txt2img', { nodes: [1, 2] }, 1);
    expect(updated.revision).toBe(2);
    expect(store.get('txt2img').workflow).toEqual({ nodes: [1, 2] });
    const renamed = store.rename('txt2img', 'portrait', 2);
    expect(renamed.name).toBe('portrait');
    expect(store.has('txt2img')).toBe(false);
    expect(store.list().map((w) => w.name)).toEqual(['portrait']);
    store.delete('portrait', 3);
    expect(() => store.get('portrait')).toThrow(WorkflowNotFoundError);
  });

  it('racing saves based on the same revision: one wins whole, the other is stale', () => {
    const store = new WorkflowStore(dir);
    store.create('shared', { v: 'original' });
    const a = { v: 'from A', big: 'a'.repeat(100_000) };
    const b = { v: 'from B', big: 'b'.repeat(100_000) };
    store.update('shared', a, 1);
    expect(() => store.update('shared', b, 1)).toThrow(StaleRevisionError);
    expect(store.get('shared').workflow).toEqual(a);
  });

  it('refuses unsafe names', () => {
    const store = new WorkflowStore(dir);
    for (const name of ['../x', '.hidden', 'a/b', '']) expect(() => store.create(name, {})).toThrow(PathError);
  });
});
