import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { createActor } from 'xstate';
import { type EntropyInput, entropyMachine } from '../../machines/entropy/machine.js';
import { electLeaders } from '../../src/entropy/elect-leaders.js';
import { createElection, type Election } from '../../src/index.js';
import { entropySource, httpEntropySource } from '../../transports/entropy-source.js';
import { waitFor } from '../integration/wait-for.js';

const elect: EntropyInput['elect'] = (peers, n, entropy) => electLeaders(peers, n, entropy);

function actor(id = 'a', peers = ['a', 'b', 'c']) {
  const emitted: { type: string }[] = [];
  const a = createActor(entropyMachine, { input: { id, peers, leaders: 1, elect } });
  a.on('*', (e) => emitted.push(e));
  a.start();
  const feed = (msg: unknown) => a.send({ type: 'receive', from: 'source', msg } as never);
  return { a, emitted, feed };
}

describe('entropyMachine', () => {
  it('elects the same leaders as electLeaders for the current round', () => {
    const { a, emitted, feed } = actor();
    feed({ type: 'entropy', round: 1, value: 'block-1' });
    const expected = electLeaders(['a', 'b', 'c'], 1, 'block-1');
    expect(a.getSnapshot().context.elected).toEqual(expected);
    expect(emitted).toContainEqual({ type: 'leaders', round: 1, leaders: expected });
    expect(emitted).toContainEqual({ type: 'leader', leader: expected[0], term: 1 });
  });

  it('ignores older rounds and counts conflicting values for one round', () => {
    const { a, feed } = actor();
    feed({ type: 'entropy', round: 5, value: 'x' });
    feed({ type: 'entropy', round: 4, value: 'y' });
    expect(a.getSnapshot().context.round).toBe(5);
    feed({ type: 'entropy', round: 5, value: 'z' });
    expect(a.getSnapshot().context.value).toBe('z');
    expect(a.getSnapshot().context.conflicts).toBe(1);
  });

  it('applies a peer list from its round on, whenever it arrives', () => {
    const { a, feed } = actor();
    feed({ type: 'entropy', round: 3, value: 'v' });
    feed({ type: 'peers', fromRound: 2, peers: ['x', 'y'] });
    expect(a.getSnapshot().context.elected).toEqual(electLeaders(['x', 'y'], 1, 'v'));
    feed({ type: 'peers', fromRound: 4, peers: ['q'] });
    expect(a.getSnapshot().context.elected).toEqual(electLeaders(['x', 'y'], 1, 'v'));
    feed({ type: 'entropy', round: 4, value: 'w' });
    expect(a.getSnapshot().context.elected).toEqual(['q']);
  });

  it('reports an empty peer list as a problem instead of throwing', () => {
    const { a, feed } = actor();
    feed({ type: 'peers', fromRound: 0, peers: [] });
    feed({ type: 'entropy', round: 1, value: 'v' });
    expect(a.getSnapshot().context.elected).toEqual([]);
    expect(a.getSnapshot().context.problem).toMatch(/peer/);
  });
});

const running: Election[] = [];
let server: Server | undefined;
afterEach(async () => {
  await Promise.all(running.splice(0).map((e) => e.stop()));
  await new Promise<void>((r) => (server ? server.close(() => r()) : r()));
  server = undefined;
});

describe("createElection({ protocol: 'entropy' })", () => {
  it('agrees across nodes without any network between them', async () => {
    const rounds = [
      { round: 1, value: 'alpha' },
      { round: 2, value: 'beta' },
    ];
    let i = 0;
    const peers = ['a', 'b', 'c', 'd'];
    const nodes = peers.map((id) =>
      createElection({
        protocol: 'entropy',
        id,
        peers,
        leaders: 2,
        source: entropySource(() => rounds[Math.min(i, rounds.length - 1)], { intervalMs: 5 }),
      }),
    );
    running.push(...nodes);
    await Promise.all(nodes.map((n) => n.start()));
    i = 1;
    const expected = electLeaders(peers, 2, 'beta');
    await waitFor(() => nodes.every((n) => n.status().term === 2), 2000, 'round 2 everywhere');
    const leading = nodes.filter((n) => n.isLeader).map((n) => n.status().id);
    expect(leading.sort()).toEqual([...expected].sort());
    expect(nodes.every((n) => n.status().leader === expected[0])).toBe(true);
    expect(nodes[0]!.status().leaders).toEqual(expected);
  });

  it('polls an HTTP beacon, and turns a failing one into error events', async () => {
    let reply: unknown = { round: 7, randomness: 'cafebabe' };
    let status = 200;
    server = createServer((_, res) => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(reply));
    });
    await new Promise<void>((r) => server?.listen(0, '127.0.0.1', r));
    const { port } = server.address() as AddressInfo;
    const e = createElection({
      protocol: 'entropy',
      id: 'a',
      peers: ['a', 'b'],
      source: httpEntropySource({ url: `http://127.0.0.1:${port}/public/latest`, intervalMs: 10 }),
    });
    running.push(e);
    const errors: Error[] = [];
    e.on('error', (err) => errors.push(err));
    await e.start();
    await waitFor(() => e.status().term === 7, 2000, 'round 7');
    expect(e.status().leader).toBe(electLeaders(['a', 'b'], 1, 'cafebabe')[0]);
    reply = { round: 'eight', randomness: 1 };
    await waitFor(() => (e.status().dropped.invalid ?? 0) > 0, 2000, 'invalid reading dropped');
    status = 500;
    await waitFor(() => errors.length > 0, 2000, 'error event');
    expect(errors[0]?.message).toMatch(/answered 500/);
    expect(e.status().term).toBe(7);
  });
});
