import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { freePorts } from '../dist/src/cli/free-ports.js';

const CLI = fileURLToPath(new URL('../bin/electorate.js', import.meta.url));
const STDERR_KEPT = 4096;

/** Every child this module started and has not yet seen exit, so none outlives the bench. */
const live = new Set();

function killAllNow() {
  for (const child of live) {
    try {
      process.kill(child.pid, 'SIGKILL');
    } catch {}
  }
}

process.on('exit', killAllNow);
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, () => {
    killAllNow();
    process.exit(130);
  });
}

/**
 * A cluster of `electorate node` processes on 127.0.0.1, each with a diag server. `stop(i)`
 * and `start(i)` let a benchmark crash and restart one.
 */
export class NodeCluster {
  /** Raft members n1..nN over TCP. */
  static async create(size, timing) {
    const ports = await freePorts(size * 2);
    const ids = Array.from({ length: size }, (_, i) => `n${i + 1}`);
    const peerPorts = ports.slice(0, size);
    const peers = ids.map((id, j) => `${id}=127.0.0.1:${peerPorts[j]}`).join(',');
    return new NodeCluster(ids, ports.slice(size), (i, httpPort) => [
      'node',
      '--protocol',
      'raft',
      '--id',
      ids[i],
      '--listen',
      `127.0.0.1:${peerPorts[i]}`,
      '--peers',
      peers,
      '--http',
      `127.0.0.1:${httpPort}`,
      '--heartbeat',
      String(timing.heartbeatMs),
      '--election-timeout',
      `${timing.electionTimeoutMs[0]}-${timing.electionTimeoutMs[1]}`,
      '--log',
      'none',
    ]);
  }

  /** Members named `ids`, node i started with the CLI arguments `argsFor(i, httpPort)`. */
  static async withArgs(ids, argsFor) {
    return new NodeCluster(ids, await freePorts(ids.length), argsFor);
  }

  constructor(ids, httpPorts, argsFor) {
    this.ids = ids;
    this.httpPorts = httpPorts;
    this.argsFor = argsFor;
    this.children = new Array(ids.length);
    this.stderr = ids.map(() => '');
  }

  start(i) {
    // stdout is not read, so it must not be a pipe that could fill and stall the node.
    const args = [CLI, ...this.argsFor(i, this.httpPorts[i])];
    const child = spawn(process.execPath, args, { stdio: ['ignore', 'ignore', 'pipe'] });
    live.add(child);
    child.exited = new Promise((resolve) => {
      child.once('exit', () => {
        live.delete(child);
        resolve();
      });
    });
    child.stderr.setEncoding('utf8').on('data', (chunk) => {
      this.stderr[i] = (this.stderr[i] + chunk).slice(-STDERR_KEPT);
    });
    this.children[i] = child;
    return child;
  }

  /**
   * Runs `work` against this cluster and stops every node however it ends; a failure
   * carries what the nodes wrote to stderr, which is usually why.
   */
  async measure(work) {
    try {
      return await work(this);
    } catch (err) {
      const errors = this.errors();
      throw new Error(`${err.message}${errors === '' ? '' : `\nnode stderr:\n${errors}`}`, {
        cause: err,
      });
    } finally {
      await this.stopAll();
    }
  }

  startAll() {
    for (let i = 0; i < this.ids.length; i++) this.start(i);
  }

  pid(i) {
    return this.children[i].pid;
  }

  indexOf(id) {
    return this.ids.indexOf(id);
  }

  /** Sends `signal` to node i by PID and waits for it to exit. */
  async stop(i, signal = 'SIGKILL') {
    const child = this.children[i];
    if (child === undefined || !live.has(child)) return;
    process.kill(child.pid, signal);
    await child.exited;
  }

  async stopAll() {
    await Promise.all(this.ids.map((_, i) => this.stop(i)));
  }

  /** What the nodes wrote to stderr, for explaining a failure. */
  errors() {
    return this.ids
      .map((id, i) => (this.stderr[i] === '' ? '' : `${id}: ${this.stderr[i].trim()}`))
      .filter((s) => s !== '')
      .join('\n');
  }
}
