import { type AnyActorLogic, emit, sendTo, setup } from 'xstate';
import type { DropReason, TransportInput, TransportLogic } from '../../transports/types.js';

export interface NodeInput {
  protocol: unknown;
  transport: TransportInput;
}

export type NodeEvent =
  | { type: 'receive'; from: string; msg: unknown }
  | { type: 'send'; to: string; msg: unknown }
  | { type: 'resign'; to?: string }
  | { type: 'transport.ready' }
  | { type: 'transport.error'; error: Error }
  | { type: 'transport.dropped'; reason: DropReason; from?: string };

export type NodeEmitted =
  | { type: 'received'; from: string }
  | { type: 'transport.ready' }
  | { type: 'transport.error'; error: Error }
  | { type: 'transport.dropped'; reason: DropReason; from?: string };

/**
 * One node: a protocol machine and a transport actor invoked side by side. Inbound
 * messages go from the transport to the protocol; the runtime forwards the protocol's
 * emitted sends back here, so an inspector sees every message cross this actor.
 */
export function createNodeMachine(protocol: AnyActorLogic, transport: TransportLogic) {
  return setup({
    types: {
      context: {} as NodeInput,
      input: {} as NodeInput,
      events: {} as NodeEvent,
      emitted: {} as NodeEmitted,
    },
    actors: { protocol, transport },
    actions: {
      deliver: sendTo('protocol', ({ event }) => event),
      transmit: sendTo('transport', ({ event }) => event),
      noteReceipt: emit(({ event }) => ({
        type: 'received' as const,
        from: (event as Extract<NodeEvent, { type: 'receive' }>).from,
      })),
      surface: emit(({ event }) => event as NodeEmitted),
    },
  }).createMachine({
    id: 'node',
    context: ({ input }) => input,
    invoke: [
      {
        id: 'protocol',
        src: 'protocol',
        input: ({ context }: { context: NodeInput }) => context.protocol,
      },
      {
        id: 'transport',
        src: 'transport',
        input: ({ context }: { context: NodeInput }) => context.transport,
      },
    ],
    on: {
      receive: { actions: ['noteReceipt', 'deliver'] },
      send: { actions: 'transmit' },
      resign: { actions: 'deliver' },
      'transport.ready': { actions: 'surface' },
      'transport.error': { actions: 'surface' },
      'transport.dropped': { actions: 'surface' },
    },
  });
}
