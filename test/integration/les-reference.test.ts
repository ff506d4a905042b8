/**
 * Interoperation with the reference implementation itself (protosam/les, a Python script
 * needing flask and requests). It is not part of this repository, so these tests run only
 * when LES_REFERENCE names a copy of les-example.py:
 *
 *   LES_REFERENCE=path/to/les-example.py npx vitest run test/integration/les-reference.test.ts
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { afterEach, describe, expect, it } from 'vitest';
import { type LesNode, lesAddresses, lesNode } from './les-cluster.js';
import { waitFor } from './wait-for.js';

const SCRIPT = process.env.LES_REFERENCE;
const running: LesNode[] = [];
const children: ChildProcess[] = [];

afterEach(async () => {
  await Promise.all(running.splice(0).map((n) => n.stop()));
  for (const child of children.splice(0)) {
    if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) continue;
    process.kill(child.pid, 'SIGKILL');
  }
});

function startReference(address: string, seeds: string[]): ChildProcess {
  const port = address.slice(address.lastIndexOf(':') + 1);
  const child = spawn(
    'python3',
    [
      SCRIPT!,
      '--bind-interface',
      '127.0.0.1',
      '--bind-port',
      port,
      '--advertise-addr',
      address,
      '--seeds',
      seeds.join(','),
      '--loop-rate',
      '1',
    ],
    { stdio: 'ignore' },
  );
  children.push(child);
  return child;
}

interface State {
  members: string[];
  leader: string | false;
}

async function referenceState(address: string): Promise<State | undefined> {
  try {
    const res = await fetch(`http://${address}/state`);
    return res.ok ? ((await res.json()) as State) : undefined;
  } catch {
    return undefined;
  }
}

describe.skipIf(SCRIPT === undefined)('les with the reference implementation', () => {
  it('follows an older reference node, then takes over from it; the reference follows back', async () => {
    const [ref, a, b] = await lesAddresses(3);
    const seeds = [ref!, a!, b!];
    const child = startReference(ref!, seeds);
    await waitFor(async () => (await referenceState(ref!)) !== undefined, 20_000, 'reference up');
    const nodes = [
      lesNode(a!, seeds, { loopMs: 1000 }),
      lesNode(b!, seeds, { loopMs: 1000, push: false }),
    ];
    for (const n of nodes) {
      running.push(n);
      await n.start();
    }
    await waitFor(
      async () =>
        (await referenceState(ref!))?.leader === ref &&
        nodes.every((n) => n.election.status().leader === ref),
      30_000,
      'everyone to follow the reference node',
    );
    process.kill(child.pid!, 'SIGKILL');
    await waitFor(
      () => nodes.every((n) => n.election.status().leader === a) && nodes[0]!.election.isLeader,
      30_000,
      'the older electorate node to take over',
    );
    // Restarted, the reference node is junior and follows.
    startReference(ref!, seeds);
    await waitFor(
      async () => (await referenceState(ref!))?.leader === a,
      30_000,
      'the restarted reference node to follow',
    );
    await waitFor(
      () => nodes.every((n) => n.election.status().members.some((m) => m.id === ref)),
      30_000,
      'the restarted reference node to be a member again',
    );
    expect(nodes[0]!.election.isLeader).toBe(true);
  }, 120_000);
});
