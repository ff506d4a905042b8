// A PostgreSQL 15 server for the KV benchmark: a fresh cluster in a temporary directory on a
// free loopback port, run as `nobody` when the bench runs as root (the server refuses root),
// stopped by its pid.
import { spawn, spawnSync } from 'node:child_process';
import { chownSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { freePorts } from '../dist/src/cli/free-ports.js';

const BIN = '/usr/lib/postgresql/15/bin';
const USER = 'electorate';

function unprivileged() {
  if (process.getuid?.() !== 0) return {};
  const line = readFileSync('/etc/passwd', 'utf8')
    .split('\n')
    .find((l) => l.startsWith('nobody:'));
  const [, , uid, gid] = line?.split(':') ?? [];
  if (uid === undefined) throw new Error('no user nobody to run postgres as');
  return { uid: Number(uid), gid: Number(gid) };
}

async function answers(url) {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 1000 });
  client.on('error', () => {});
  try {
    await client.connect();
    await client.query('SELECT 1');
    return true;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => {});
  }
}

export async function startPostgres() {
  const [port] = await freePorts(1);
  const dir = mkdtempSync(join(tmpdir(), 'electorate-bench-postgres-'));
  const user = unprivileged();
  if (user.uid !== undefined) chownSync(dir, user.uid, user.gid);
  const data = join(dir, 'data');
  const init = spawnSync(
    join(BIN, 'initdb'),
    ['-D', data, '-U', USER, '--auth=trust', '--encoding=UTF8', '--locale=C', '--no-sync'],
    { cwd: dir, encoding: 'utf8', env: { PATH: process.env.PATH ?? '' }, ...user },
  );
  if (init.status !== 0) {
    rmSync(dir, { recursive: true, force: true });
    throw new Error(
      `initdb failed (is the postgresql package installed?): ${init.error?.message ?? ''}${init.stderr ?? ''}`,
    );
  }
  const child = spawn(
    join(BIN, 'postgres'),
    [
      '-D',
      data,
      '-p',
      String(port),
      '-c',
      'listen_addresses=127.0.0.1',
      '-c',
      `unix_socket_directories=${dir}`,
      '-c',
      'shared_buffers=16MB',
    ],
    { cwd: dir, stdio: 'ignore', ...user },
  );
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.once('error', () => {});
  const url = `postgres://${USER}@127.0.0.1:${port}/postgres`;
  const deadline = Date.now() + 30_000;
  while (!(await answers(url))) {
    if (Date.now() > deadline || child.exitCode !== null) {
      child.kill('SIGKILL');
      await exited;
      rmSync(dir, { recursive: true, force: true });
      throw new Error(`postgres did not start on port ${port}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  return {
    url,
    async stop() {
      // SIGINT: fast shutdown, the postmaster ends every backend before it exits.
      if (child.exitCode === null) child.kill('SIGINT');
      await exited;
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
