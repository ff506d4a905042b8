import { createActor, sendTo, setup } from 'xstate';
import type {
  DropReason,
  PeerAddress,
  TransportCommand,
  TransportEvent,
  TransportLogic,
} from '../../transports/index.js';
import { waitFor } from './wait-for.js';

/** The test protocol: `{ n: number }`, marked on the way through so tests can see decode ran. */
export interface TestMessage {
  n: number;
  decoded: true;
}

export function decodeTestMessage(msg: unknown): TestMessage | undefined {
  if (typeof msg !== 'object' || msg === null) return undefined;
  const n = (msg as { n?: unknown }).n;
  return typeof n === 'number' ? { n, decoded: true } : undefined;
}

/** A transport running as the child of a minimal parent machine, with everything it reported. */
export interface TestNode {
  readonly id: string;
  readonly received: Array<{ from: string; msg: unknown }>;
  readonly dropped: Array<{ reason: DropReason; from?: string }>;
  readonly errors: Error[];
  ready: boolean;
  send(to: string, msg: unknown): void;
  stop(): void;
  drops(reason: DropReason): number;
  got(from: string, n: number): boolean;
}

export function startNode(logic: TransportLogic, id: string, peers: PeerAddress[]): TestNode {
  const node: TestNode = {
    id,
    received: [],
    dropped: [],
    errors: [],
    ready: false,
    send: (to, msg) => actor.send({ type: 'send', to, msg }),
    stop: () => actor.stop(),
    drops: (reason) => node.dropped.filter((d) => d.reason === reason).length,
    got: (from, n) =>
      node.received.some((r) => r.from === from && (r.msg as TestMessage | undefined)?.n === n),
  };
  const machine = setup({
    types: { events: {} as TransportEvent | TransportCommand },
    actors: { transport: logic },
  }).createMachine({
    invoke: { id: 'transport', src: 'transport', input: { id, peers, decode: decodeTestMessage } },
    on: {
      send: { actions: sendTo('transport', ({ event }) => event) },
      receive: { actions: ({ event }) => node.received.push({ from: event.from, msg: event.msg }) },
      'transport.ready': {
        actions: () => {
          node.ready = true;
        },
      },
      'transport.error': { actions: ({ event }) => node.errors.push(event.error) },
      'transport.dropped': {
        actions: ({ event }) =>
          node.dropped.push(
            event.from === undefined
              ? { reason: event.reason }
              : { reason: event.reason, from: event.from },
          ),
      },
    },
  });
  const actor = createActor(machine);
  actor.subscribe({ error: (error) => node.errors.push(error as Error) });
  actor.start();
  return node;
}

export function peerList(ports: Record<string, number>): PeerAddress[] {
  return Object.entries(ports).map(([id, port]) => ({ id, address: `127.0.0.1:${port}` }));
}

let sequence = 0;

/**
 * Sends a fresh message from `from` to `to` until it arrives. Resending covers frames lost
 * in the window before a (re)connection is noticed, which the protocol is allowed to lose.
 */
export async function deliver(from: TestNode, to: TestNode, timeoutMs = 3000): Promise<void> {
  sequence += 1;
  const n = sequence;
  let lastSend = 0;
  await waitFor(
    () => {
      if (to.got(from.id, n)) return true;
      if (Date.now() - lastSend >= 100) {
        from.send(to.id, { n });
        lastSend = Date.now();
      }
      return false;
    },
    timeoutMs,
    `${from.id} -> ${to.id} message ${n}`,
  );
}

export async function waitReady(...nodes: TestNode[]): Promise<void> {
  await waitFor(() => nodes.every((node) => node.ready), 3000, 'transports to be ready');
}
