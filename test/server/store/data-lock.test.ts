import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import { afterAll, describe, expect, it } from 'vitest';

import { DataFolderLock, DataFolderLockedError } from '../../../server/store/data-lock.ts';
import { JobStore } from '../../../server/store/job-store.ts';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lf-lock-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('DataFolderLock', () => {
  it('one holder at a time, even within a process; the refusal names the holder; released on release()', () => {
    const lock = DataFolderLock.acquire(dir);
    let refusal: unknown;
    try {
      DataFolderLock.acquire(dir);
    } catch (error) {
      refusal = error;
    }
    expect(refusal).toBeInstanceOf(DataFolderLockedError);
    expect((refusal as DataFolderLockedError).holderPid).toBe(process.pid);
    expect((refusal as Error).message).toContain(`is in use by another latentflow server (process ${process.pid})`);
    lock.release();
    DataFolderLock.acquire(dir).release();
  });

  it('a JobStore holds the lock while it is open', () => {
    const store = new JobStore(dir);
    expect(() => new JobStore(dir)).toThrow(DataFolderLockedError);
    store.close();
    new JobStore(dir).close();
  });
});
