import { describe, expect, it } from 'vitest';
import { assign, createActor, sendTo, setup } from 'xstate';
import { faultLink, LinkFaults } from '../../transports/fault-link.js';
import { MemoryNetwork, memoryTransport } from '../../transports/memory.js';
import type { TransportLogic } from '../../transports/types.js';
import { waitFor } from './wait-for.js';

/** A node that only hosts a transport: it records what arrives and sends when told. */
function host(transport: TransportLogic, id: string, peers: string[]) {
  const machine = setup({
    types: {
      context: {} as { got: { from: string; msg: unknown }[]; ready: boolean },
      events: {} as
        | { type: 'receive'; from: string; msg: unknown }
        | { type: 'out'; to: string; msg: unknown }
        | { type: 'transport.ready' },
    },
    actors: { transport },
  }).createMachine({
    context: { got: [], ready: false },
    invoke: {
      id: 'transport',
      src: 'transport',
      input: { id, peers: peers.map((p) => ({ id: p, address: '' })), decode: (m: unknown) => m },
    },
    on: {
      receive: {
        actions: assign({
          got: ({ context, event }) => [...context.got, { from: event.from, msg: event.msg }],
        }),
      },
      'transport.ready': { actions: assign({ ready: true }) },
      out: {
        actions: sendTo('transport', ({ event }) => ({
          type: 'send',
          to: event.to,
          msg: event.msg,
        })),
      },
    },
  });
  return createActor(machine).start();
}

function trio(faults: LinkFaults) {
  const net = new MemoryNetwork();
  const ids = ['a', 'b', 'c'];
  const nodes = Object.fromEntries(
    ids.map((id) => [
      id,
      host(
        faultLink(memoryTransport(net), faults),
        id,
        ids.filter((p) => p !== id),
      ),
    ]),
  );
  const got = (id: string) => nodes[id]!.getSnapshot().context.got;
  return {
    nodes,
    got,
    stop: () => {
      for (const n of Object.values(nodes)) n.stop();
    },
  };
}

describe('faultLink', () => {
  it('passes messages untouched while no fault is set, broadcasts included', async () => {
    const { nodes, got, stop } = trio(new LinkFaults());
    try {
      await waitFor(
        () => Object.values(nodes).every((n) => n.getSnapshot().context.ready),
        2000,
        'ready',
      );
      nodes.a!.send({ type: 'out', to: '*', msg: { n: 1 } });
      await waitFor(() => got('b').length === 1 && got('c').length === 1, 2000, 'the broadcast');
      expect(got('b')[0]).toEqual({ from: 'a', msg: { n: 1 } });
    } finally {
      stop();
    }
  });

  it('cuts a partition both ways and counts the drops; heal joins it again', async () => {
    const faults = new LinkFaults();
    const { nodes, got, stop } = trio(faults);
    try {
      faults.partition([['a'], ['b', 'c']]);
      nodes.a!.send({ type: 'out', to: '*', msg: 'x' });
      nodes.b!.send({ type: 'out', to: 'a', msg: 'y' });
      nodes.b!.send({ type: 'out', to: 'c', msg: 'z' });
      await waitFor(() => got('c').length === 1, 2000, 'b to reach c');
      expect(got('a')).toEqual([]);
      expect(got('b')).toEqual([]);
      expect(faults.faultCounts()).toEqual(
        expect.arrayContaining([
          { from: 'a', to: 'b', dropped: 1, delayed: 0 },
          { from: 'a', to: 'c', dropped: 1, delayed: 0 },
          { from: 'b', to: 'a', dropped: 1, delayed: 0 },
        ]),
      );
      faults.heal();
      nodes.a!.send({ type: 'out', to: 'b', msg: 'again' });
      await waitFor(() => got('b').length === 1, 2000, 'a to reach b after healing');
    } finally {
      stop();
    }
  });

  it('applies loss and delay to one direction of one link only', async () => {
    let coin = 0;
    // Every other message is lost on a 50% link.
    const faults = new LinkFaults(() => (coin++ % 2 === 0 ? 0.1 : 0.9));
    const { nodes, got, stop } = trio(faults);
    try {
      faults.setLink('a', 'b', { loss: 0.5, delayMs: 0 });
      for (let i = 0; i < 6; i++) nodes.a!.send({ type: 'out', to: 'b', msg: i });
      nodes.b!.send({ type: 'out', to: 'a', msg: 'back' });
      await waitFor(() => got('b').length === 3 && got('a').length === 1, 2000, 'the survivors');
      expect(got('b').map((m) => m.msg)).toEqual([1, 3, 5]);

      faults.setLink('a', 'b', { loss: 0, delayMs: 300 });
      const sentAt = performance.now();
      nodes.a!.send({ type: 'out', to: 'b', msg: 'slow' });
      nodes.a!.send({ type: 'out', to: 'c', msg: 'fast' });
      await waitFor(() => got('c').length === 1, 2000, 'the undelayed message');
      expect(got('b')).toHaveLength(3);
      await waitFor(() => got('b').length === 4, 3000, 'the delayed message');
      expect(performance.now() - sentAt).toBeGreaterThanOrEqual(290);
      expect(faults.links()).toEqual([{ from: 'a', to: 'b', loss: 0, delayMs: 300 }]);
      faults.setLink('a', 'b', { loss: 0, delayMs: 0 });
      expect(faults.links()).toEqual([]);
      expect(() => faults.setLink('a', 'b', { loss: 2, delayMs: 0 })).toThrow(RangeError);
    } finally {
      stop();
    }
  });

  it('isolates one node whatever the partition', async () => {
    const faults = new LinkFaults();
    const { nodes, got, stop } = trio(faults);
    try {
      faults.isolate('c');
      nodes.a!.send({ type: 'out', to: '*', msg: 1 });
      await waitFor(() => got('b').length === 1, 2000, 'a to reach b');
      expect(got('c')).toEqual([]);
      faults.rejoin('c');
      nodes.a!.send({ type: 'out', to: 'c', msg: 2 });
      await waitFor(() => got('c').length === 1, 2000, 'a to reach c');
    } finally {
      stop();
    }
  });
});
