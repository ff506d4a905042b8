import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type CliProcess, ensureBuilt, killSpawned, runCli, startCli } from './cli-process.js';
import { freePorts } from './free-port.js';
import { waitFor } from './wait-for.js';

beforeAll(() => ensureBuilt(), 120_000);
afterEach(() => killSpawned());

const LINE = /^\S+ (\S+) leader=(\S+) term=- role=(\w+)$/;

/** The leader a process last printed, '-' for none, undefined before its first line. */
function lastLeader(proc: CliProcess): string | undefined {
  const lines = proc.lines().filter((l) => LINE.test(l));
  const last = lines[lines.length - 1];
  return last === undefined ? undefined : LINE.exec(last)![2];
}

const agree = (procs: CliProcess[], leader: string) => procs.every((p) => lastLeader(p) === leader);

describe('electorate node --protocol les', () => {
  it("runs the reference's three-terminal demo, and fails over when the leader is killed", async () => {
    const ports = await freePorts(4);
    const httpPort = ports.pop()!;
    const seeds = ports.map((p) => `localhost:${p}`).join(',');
    const procs: CliProcess[] = [];
    for (const port of ports) {
      const extra = procs.length === 2 ? ['--http', `127.0.0.1:${httpPort}`] : [];
      procs.push(
        startCli([
          'node',
          '--protocol',
          'les',
          '--bind-port',
          String(port),
          '--advertise-addr',
          `localhost:${port}`,
          '--seeds',
          seeds,
          '--loop-rate',
          '0.2',
          ...extra,
        ]),
      );
      // Each waits for the one before to serve, so seniority follows the order.
      await waitFor(
        async () => {
          try {
            return (await fetch(`http://127.0.0.1:${port}/ping`)).ok;
          } catch {
            return false;
          }
        },
        15_000,
        `node on ${port} to serve`,
      );
    }
    const [first, second] = ports.map((p) => `localhost:${p}`);
    await waitFor(() => agree(procs, first!), 20_000, 'the first node to lead');
    interface Diag {
      protocol: string;
      leader: string;
      members: { id: string }[];
    }
    const readDiag = async () =>
      (await (await fetch(`http://127.0.0.1:${httpPort}/diag`)).json()) as Diag;
    await waitFor(
      async () => (await readDiag()).members.length === 3,
      20_000,
      'the third node to list every member',
    );
    const diag = await readDiag();
    expect(diag.protocol).toBe('les');
    expect(diag.leader).toBe(first);
    expect(diag.members.map((m) => m.id).sort()).toEqual(seeds.split(',').sort());
    // Over IPv6 loopback too, whichever family localhost resolves to.
    const v6 = await fetch(`http://[::1]:${ports[1]}/state`).catch(() => undefined);
    if (v6 !== undefined) expect(((await v6.json()) as { leader: string }).leader).toBe(first);

    process.kill(procs[0]!.pid, 'SIGKILL');
    await waitFor(() => agree(procs.slice(1), second!), 20_000, 'the second node to take over');
    expect(procs[1]!.lines().at(-1)).toMatch(/ role=leader$/);
  }, 90_000);

  it('refuses bad flags with one line and exit code 2', async () => {
    const proc = await runCli(['node', '--protocol', 'les', '--advertise-addr', 'localhost:1']);
    expect(proc.code).toBe(2);
    expect(proc.stderr).toBe('electorate: missing --seeds HOST:PORT,...\n');
  });
});
