import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import { afterEach, beforeEach, describe, expect, it } from 'vitest';

import { jobError } from '../../../protocol/index.ts';
import { JobStore } from '../../../server/store/job-store.ts';

let dir: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lf-jobs-'));
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

const prompt = { '1': { class_type: 'EmptyLatentImage', inputs: { width: 64, height: 64, batch_size: 1 } } };

describe('JobStore', () => {
  it('queues in order, honours front, claims atomically and records results', () => {
    const store = new JobStore(dir);
    const a = store.enqueue({ prompt });
    const b = store.enqueue({ prompt });
    const c = store.enqueue({ prompt, front: true });
    expect(store.pending().map((j) => j.id)).toEqual([c.id, a.id, b.id]);
    const first = store.claimNext()!;
    expect(first.id).toBe(c.id);
    expect(first.status).toBe('running');
    expect(first.attempts).toBe(1);
    store.finish(first.id, 'success', { outputs: { '9': { images: [] } } });
    expect(store.get(c.id)!.outputs).toEqual({ '9': { images: [] } });
    expect(store.history().jobs.map((j) => j.id)).toEqual([c.id]);
    expect(store.removeQueued(a.id)).toBe(true);
    expect(store.removeQueued(c.id)).toBe(false); // finished jobs are not "queued"
    expect(store.pending().map((j) => j.id)).toEqual([b.id]);
    store.close();
  });

  it('survives a crash: queued jobs stay queued, a running job is re-queued once, then given up', () => {
    let store = new JobStore(dir, { maxAttempts: 2 });
    const queued = store.enqueue({ prompt });
    const running = store.enqueue({ prompt, front: true });
    expect(store.claimNext()!.id).toBe(running.id);
    store.close(); // the process "dies" with one job running

    store = new JobStore(dir, { maxAttempts: 2 });
    expect(store.get(running.id)!.status).toBe('queued');
    expect(store.get(queued.id)!.status).toBe('queued');
    expect(store.claimNext()!.id).toBe(running.id); // second attempt
    store.close(); // dies again

    store = new JobStore(dir, { maxAttempts: 2 });
    const givenUp = store.get(running.id)!;
    expect(givenUp.status).toBe('interrupted');
    expect(givenUp.error).toMatchObject({ code: 'abandoned' });
    expect(store.get(queued.id)!.status).toBe('queued');
    store.close();
  });

  it('pages history newest first and deletes it', () => {
    const store = new JobStore(dir);
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) {
      const job = store.enqueue({ prompt });
      store.claimNext();
      store.finish(job.id, i % 2 ? 'error' : 'success', i % 2 ? { error: jobError('run_failed', 'boom') } : {});
      ids.push(job.id);
    }
    const page = store.history({ offset: 1, limit: 2 });
    expect(page.total).toBe(5);
    expect(page.jobs).toHaveLength(2);
    expect(store.deleteHistory([ids[0]])).toBe(1);
    expect(store.history().total).toBe(4);
    expect(store.deleteHistory()).toBe(4);
    store.close();
  });
});
