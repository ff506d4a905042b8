import { closeSync, fsyncSync, openSync, readFileSync, renameSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import type { DurableState } from '../../machines/protocol-definition.js';
import { MAX_TERM } from '../../machines/raft/messages.js';
import { makeDirectory } from './make-directory.js';

const FILE = 'election-state.json';

/**
 * Term and vote on disk. Writes are synchronous on purpose: the runtime must not let a
 * vote leave the node before it is durable, and the write sits between the machine's
 * `persist` and `send` emits. Each write goes to a temporary file, is fsynced, renamed over
 * the old one and the directory fsynced, so a crash leaves the old state or the new, never
 * a torn one.
 */
export class DurableStore {
  private readonly path: string;

  constructor(private readonly dir: string) {
    makeDirectory(dir);
    this.path = join(dir, FILE);
  }

  /** The saved state, or undefined on first start. Throws on a corrupt file. */
  load(): DurableState | undefined {
    let text: string;
    try {
      text = readFileSync(this.path, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw err;
    }
    const parsed: unknown = JSON.parse(text);
    if (!isDurableState(parsed)) {
      throw new Error(`${this.path} does not hold a valid term and vote; refusing to start`);
    }
    return { term: parsed.term, votedFor: parsed.votedFor };
  }

  save(state: DurableState): void {
    const tmp = `${this.path}.tmp`;
    const fd = openSync(tmp, 'w', 0o600);
    try {
      writeSync(fd, JSON.stringify({ term: state.term, votedFor: state.votedFor }));
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, this.path);
    const dirFd = openSync(this.dir, 'r');
    try {
      fsyncSync(dirFd);
    } finally {
      closeSync(dirFd);
    }
  }
}

function isDurableState(v: unknown): v is DurableState {
  if (typeof v !== 'object' || v === null) return false;
  const s = v as Record<string, unknown>;
  return (
    typeof s.term === 'number' &&
    Number.isSafeInteger(s.term) &&
    s.term >= 0 &&
    s.term <= MAX_TERM &&
    (s.votedFor === null || typeof s.votedFor === 'string')
  );
}
