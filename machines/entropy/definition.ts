import type { ProtocolDefinition } from '../protocol-definition.js';
import {
  decodeEntropyMessage,
  type ElectFunction,
  type EntropyInput,
  entropyMachine,
} from './machine.js';

/**
 * How `electLeaders` turns entropy into leaders.
 *
 * - `'rendezvous'` ranks every peer by SHA-256(entropy ‖ 0x00 ‖ peer id) and takes the top:
 *   every peer is equally likely to lead, and leaders stay leaders when other peers leave.
 * - `'chainpoint'` reproduces the Go `chainpoint/leader-election` library bit for bit, for
 *   interoperating with peers that run it. It draws far fewer distinct outcomes than its
 *   input suggests; prefer `'rendezvous'` unless you need that compatibility.
 */
export type ElectionStrategy = 'rendezvous' | 'chainpoint';

/** The entropy election's own options (see `EntropyElectionOptions` for the rest). */
export interface EntropyOptions {
  /** Leaders per round (default 1). */
  leaders?: number;
  /** Default 'rendezvous'; 'chainpoint' to agree with peers running the Go library. */
  strategy?: ElectionStrategy;
}

export function checkEntropyOptions(options: EntropyOptions): void {
  const n = options.leaders ?? 1;
  if (!Number.isSafeInteger(n) || n < 1) {
    throw new RangeError(`leaders must be a positive integer, got ${n}`);
  }
  const s = options.strategy ?? 'rendezvous';
  if (s !== 'rendezvous' && s !== 'chainpoint') {
    throw new RangeError(`strategy must be 'rendezvous' or 'chainpoint', got ${String(s)}`);
  }
}

/**
 * The entropy election, with the rule that turns entropy into leaders given by the host
 * (`electLeaders`, which hashes): the definition itself computes nothing impure.
 */
export function entropyProtocol(
  electFor: (strategy: ElectionStrategy) => ElectFunction,
): ProtocolDefinition<EntropyOptions, typeof entropyMachine> {
  return {
    name: 'entropy',
    logic: entropyMachine,
    decode: decodeEntropyMessage,
    leased: false,
    check: checkEntropyOptions,
    input: ({ id, members, options }): EntropyInput => {
      const strategy = options.strategy ?? 'rendezvous';
      return {
        id,
        peers: members.map((m) => m.id),
        leaders: options.leaders ?? 1,
        elect: electFor(strategy),
      };
    },
    view: (snapshot) => ({
      role: snapshot.context.elected.includes(snapshot.context.id) ? 'leader' : 'follower',
      leader: snapshot.context.elected[0] ?? null,
      term: snapshot.context.round ?? undefined,
      leaders: snapshot.context.elected,
    }),
  };
}
