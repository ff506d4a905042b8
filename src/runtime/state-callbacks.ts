import type { Role } from '../../machines/protocol-events.js';

import type { StateCallbacks } from '../protocols/hosted-election.js';

export type { StateCallbacks };

const NAMES: Record<Role, { enter: keyof StateCallbacks; leave: keyof StateCallbacks }> = {
  leader: { enter: 'enterLeader', leave: 'leaveLeader' },
  follower: { enter: 'enterFollower', leave: 'leaveFollower' },
  candidate: { enter: 'enterCandidate', leave: 'leaveCandidate' },
};

/** Reported as an `error` event when a state callback throws, rejects or runs past its timeout. */
export class CallbackError extends Error {
  constructor(
    readonly callback: keyof StateCallbacks,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'CallbackError';
  }
}

/**
 * Runs callbacks one after another, in the order the roles changed, so a user never sees
 * enterLeader before the leaveCandidate that preceded it. A callback that throws, rejects or
 * outlives `timeoutMs` is reported through `onError`; the queue moves on regardless.
 */
export class CallbackRunner {
  private chain: Promise<void> = Promise.resolve();

  constructor(
    private readonly callbacks: StateCallbacks,
    private readonly timeoutMs: number,
    private readonly onError: (error: CallbackError) => void,
  ) {}

  roleChanged(from: Role | undefined, to: Role): void {
    if (from === to) return;
    if (from !== undefined) this.enqueue(NAMES[from].leave);
    this.enqueue(NAMES[to].enter);
  }

  /** The node stopped: it leaves its last role and enters none. */
  stopped(from: Role | undefined): void {
    if (from !== undefined) this.enqueue(NAMES[from].leave);
  }

  /** Resolves once every queued callback has finished or timed out. */
  idle(): Promise<void> {
    return this.chain;
  }

  private enqueue(name: keyof StateCallbacks): void {
    const fn = this.callbacks[name];
    if (fn === undefined) return;
    this.chain = this.chain.then(() => this.run(name, fn));
  }

  private run(name: keyof StateCallbacks, fn: () => unknown): Promise<void> {
    return new Promise<void>((resolve) => {
      let settled = false;
      const timer = setTimeout(() => {
        settled = true;
        this.onError(
          new CallbackError(name, `${name} callback did not finish within ${this.timeoutMs} ms`),
        );
        resolve();
      }, this.timeoutMs);
      timer.unref();
      const done = (error?: unknown) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        if (error !== undefined) {
          const reason = error instanceof Error ? error.message : String(error);
          this.onError(
            new CallbackError(name, `${name} callback failed: ${reason}`, { cause: error }),
          );
        }
        resolve();
      };
      try {
        Promise.resolve(fn()).then(
          () => done(),
          (err: unknown) => done(err ?? new Error('rejected')),
        );
      } catch (err) {
        done(err ?? new Error('threw'));
      }
    });
  }
}
