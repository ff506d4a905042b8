import { type LesOptions, lesProtocol } from '../../machines/les/definition.js';
import type { TransportLogic } from '../../transports/types.js';
import type { CommonOptions, HostedProtocol } from './hosted-election.js';

/** Options of `createElection({ protocol: 'les', ... })`. */
export interface LesElectionOptions extends CommonOptions, LesOptions {
  protocol: 'les';
  /** This node's advertised `host:port`: peers reach it there and know it by it. */
  id: string;
  /** Addresses asked every loop whether or not they are members (this node's may be one). */
  seeds: string[];
  /** The HTTP transport (`httpTransport`), or any that carries LES messages. */
  transport: TransportLogic;
  /** Called once per address refused as a member: outside allowMembers, or the list is full. */
  onRefused?: (refusal: LesRefusal) => void;
}

/** An address a LES node would not take as a member, and why. */
export interface LesRefusal {
  address: string;
  reason: 'not-allowed' | 'max-members';
}

/** Les hosted by `createElection`. */
export const lesHosting: HostedProtocol<LesOptions, typeof lesProtocol.logic, LesElectionOptions> =
  {
    ...lesProtocol,
    hosted: (options) => ({
      peers: [],
      edge: options.transport,
      name: 'les',
      onEffect: (effect) => {
        if (effect.type !== 'refused') return undefined;
        const { address, reason } = effect as { type: 'refused' } & LesRefusal;
        const { onRefused } = options;
        return {
          dropped: 'refused',
          ...(onRefused === undefined ? {} : { notify: () => onRefused({ address, reason }) }),
        };
      },
    }),
  };
