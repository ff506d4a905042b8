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
 * A cluster of `electorate node` processes on 127.0.0.1, each with a diag server. Nodes are
 * n1..nN; `stop(i)` and `start(i)` let a benchmark crash and restart one.
 */
export class NodeCluster {
  static async create(size, timing) {
    const ports = await freePorts(size * 2);
    return new NodeCluster(size, ports.slice(0, size), ports.slice(size), timing);
  }

  constructor(size, peerPorts, httpPorts, timing) {
    this.ids = Array.from({ length: size }, (_, i) => `n${i + 1}`);
    this.peerPorts = peerPorts;
    this.httpPorts = httpPorts;
    this.timing = timing;
    this.children = new Array(size);
    this.stderr = this.ids.map(() => '');
  }

  args(i) {
    const peers = this.ids.map((id, j) => `${id}=127.0.0.1:${this.peerPorts[j]}`).join(',');
    return [
      CLI,
      'node',
      '--protocol',
      'raft',
      '--id',
      this.ids[i],
      '--listen',
      `127.0.0.1:${this.peerPorts[i]}`,
      '--peers',
      peers,
      '--http',
      `127.0.0.1:${this.httpPorts[i]}`,
      '--heartbeat',
      String(this.timing.heartbeatMs),
      '--election-timeout',
      `${this.timing.electionTimeoutMs[0]}-${this.timing.electionTimeoutMs[1]}`,
      '--log',
      'none',
    ];
  }

  start(i) {
    // stdout is not read, so it must not be a pipe that could fill and stall the node.
    const child = spawn(process.execPath, this.args(i), { stdio: ['ignore', 'ignore', 'pipe'] });
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
