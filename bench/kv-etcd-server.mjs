// An etcd server for the KV benchmark: free loopback ports, a temporary data directory,
// stopped by its pid; and a watcher that timestamps the keys it deletes.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Etcd3 } from 'etcd3';
import { freePorts } from '../dist/src/cli/free-ports.js';
import { wallClock } from './kv-failover.mjs';

const ETCD = '/usr/bin/etcd';

export async function startEtcd() {
  const [port, peerPort] = await freePorts(2);
  const dir = mkdtempSync(join(tmpdir(), 'electorate-bench-etcd-'));
  const client = `http://127.0.0.1:${port}`;
  const peer = `http://127.0.0.1:${peerPort}`;
  const child = spawn(
    ETCD,
    [
      '--name',
      'bench',
      '--data-dir',
      join(dir, 'etcd'),
      '--listen-client-urls',
      client,
      '--advertise-client-urls',
      client,
      '--listen-peer-urls',
      peer,
      '--initial-advertise-peer-urls',
      peer,
      '--initial-cluster',
      `bench=${peer}`,
    ],
    { stdio: 'ignore' },
  );
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.once('error', () => {});
  const deadline = Date.now() + 30_000;
  for (;;) {
    try {
      const res = await fetch(`${client}/health`, { signal: AbortSignal.timeout(1000) });
      if (res.ok && (await res.json()).health === 'true') break;
    } catch {}
    if (Date.now() > deadline || child.exitCode !== null) {
      child.kill('SIGKILL');
      rmSync(dir, { recursive: true, force: true });
      throw new Error(`etcd did not start on port ${port} (is the etcd-server package installed?)`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  return {
    hostPort: `127.0.0.1:${port}`,
    async stop() {
      if (child.exitCode === null) child.kill('SIGKILL');
      await exited;
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/**
 * Every key under `prefix` that etcd deletes (a lease expiring, a revoke), timestamped
 * here as the event arrives, with the value the key held: an observer independent of the
 * candidates.
 */
export async function watchDeletes(hostPort, prefix) {
  const client = new Etcd3({ hosts: `http://${hostPort}` });
  const deletes = []; // { value, at }
  const watcher = await client.watch().prefix(prefix).withPreviousKV().create();
  watcher.on('delete', (_kv, previous) =>
    deletes.push({ value: previous?.value.toString(), at: wallClock() }),
  );
  return {
    /** The first deletion of a key holding `value` after `at`. */
    after: (value, at) => deletes.find((d) => d.value === value && d.at > at),
    async stop() {
      await watcher.cancel();
      client.close();
    },
  };
}
