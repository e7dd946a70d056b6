/**
 * Saved workflows as JSON files in `<data>/workflows/<name>.json`, each with a revision number.
 * An update names the revision it was based on; a stale one fails with `StaleRevisionError` (HTTP 409)
 * instead of overwriting someone else's save. Writes go to a temporary file and are renamed into place,
 * so a reader never sees half a file; read-check-write happens synchronously inside one event-loop turn,
 * so two racing saves in this process cannot both win.
 */
import fs from 'node:fs';
import path from 'node:path';

import { checkFileName } from './paths.ts';

export interface StoredWorkflow {
  name: string;
  revision: number;
  updatedAt: string;
  workflow: unknown;
}

export class StaleRevisionError extends Error {
  override name = 'StaleRevisionError';
  constructor(readonly workflowName: string, readonly expected: number, readonly actual: number) {
    super(`workflow "${workflowName}" is at revision ${actual}, not ${expected}: reload it, then save again`);
  }
}

export class WorkflowNotFoundError extends Error {
  override name = 'WorkflowNotFoundError';
  constructor(readonly workflowName: string) {
    super(`there is no saved workflow "${workflowName}"`);
  }
}

export class WorkflowExistsError extends Error {
  override name = 'WorkflowExistsError';
  constructor(readonly workflowName: string) {
    super(`a workflow named "${workflowName}" already exists: pick another name or update it`);
  }
}

export class WorkflowStore {
  readonly dir: string;

  constructor(dataDir: string) {
    this.dir = path.join(dataDir, 'workflows');
    fs.mkdirSync(this.dir, { recursive: true });
  }

  private file(name: string): string {
    return path.join(this.dir, `${checkFileName(name, 'workflow name')}.json`);
  }

  list(): Omit<StoredWorkflow, 'workflow'>[] {
    const out: Omit<StoredWorkflow, 'workflow'>[] = [];
    for (const entry of fs.readdirSync(this.dir)) {
      if (!entry.endsWith('.json')) continue;
      try {
        const stored = JSON.parse(fs.readFileSync(path.join(this.dir, entry), 'utf8')) as StoredWorkflow;
        out.push({ name: stored.name, revision: stored.revision, updatedAt: stored.updatedAt });
      } catch {
        // A file that is not ours (or was edited by hand into invalid JSON) is skipped, not fatal.
      }
    }
    return out.sort((a, b) => a.name.localeCompare(b.name));
  }

  get(name: string): StoredWorkflow {
    const file = this.file(name);
    if (!fs.existsSync(file)) throw new WorkflowNotFoundError(name);
    return JSON.parse(fs.readFileSync(file, 'utf8')) as StoredWorkflow;
  }

  has(name: string): boolean {
    return fs.existsSync(this.file(name));
  }

  create(name: string, workflow: unknown): StoredWorkflow {
    if (this.has(name)) throw new WorkflowExistsError(name);
    return this.write({ name, revision: 1, updatedAt: new Date().toISOString(), workflow });
  }

  /** Replaces the workflow if `expectedRevision` is current; returns the new record. */
  update(name: string, workflow: unknown, expectedRevision: number): StoredWorkflow {
    const current = this.get(name);
    if (current.revision !== expectedRevision) throw new StaleRevisionError(name, expectedRevision, current.revision);
    return this.write({ name, revision: current.revision + 1, updatedAt: new Date().toISOString(), workflow });
  }

  rename(name: string, newName: string, expectedRevision: number): StoredWorkflow {
    const current = this.get(name);
    if (current.revision !== expectedRevision) throw new StaleRevisionError(name, expectedRevision, current.revision);
    if (name !== newName && this.has(newName)) throw new WorkflowExistsError(newName);
    const renamed = this.write({ ...current, name: newName, revision: current.revision + 1, updatedAt: new Date().toISOString() });
    if (name !== newName) fs.rmSync(this.file(name));
    return renamed;
  }

  delete(name: string, expectedRevision?: number): void {
    const current = this.get(name);
    if (expectedRevision !== undefined && current.revision !== expectedRevision) {
      throw new StaleRevisionError(name, expectedRevision, current.revision);
    }
    fs.rmSync(this.file(name));
  }

  private write(record: StoredWorkflow): StoredWorkflow {
    const file = this.file(record.name);
    const temp = `${file}.${process.pid}.${Date.now()}.tmp`;
    try {
      fs.writeFileSync(temp, JSON.stringify(record, null, 2));
      fs.renameSync(temp, file);
    } catch (error) {
      fs.rmSync(temp, { force: true }); // a full disk leaves no half-written file behind
      throw error;
    }
    return record;
  }
}
