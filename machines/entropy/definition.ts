import type { ProtocolDefinition } from '../protocol-definition.js';
import { type ElectionStrategy, electLeaders } from './elect-leaders.js';
import { decodeEntropyMessage, type EntropyInput, entropyMachine } from './machine.js';

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

export const entropyProtocol: ProtocolDefinition<EntropyOptions, typeof entropyMachine> = {
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
      elect: (peers, n, entropy) => electLeaders(peers, n, entropy, { strategy }),
    };
  },
  view: (snapshot) => ({
    role: snapshot.context.elected.includes(snapshot.context.id) ? 'leader' : 'follower',
    leader: snapshot.context.elected[0] ?? null,
    term: snapshot.context.round ?? undefined,
    leaders: snapshot.context.elected,
  }),
};
