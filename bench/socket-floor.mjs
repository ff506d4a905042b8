import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { cpuPercents } from './idle-cpu.mjs';

const PEER = fileURLToPath(new URL('./socket-floor-peer.mjs', import.meta.url));

function spawnPeer(args) {
  const child = fork(PEER, args, { stdio: ['ignore', 'ignore', 'ignore', 'ipc'] });
  const first = new Promise((resolve, reject) => {
    child.once('message', resolve);
    child.once('exit', (code) => reject(new Error(`socket floor peer exited with ${code}`)));
  });
  return { child, first };
}

/**
 * What this machine charges for a settled cluster's traffic with nothing else running: one
 * process writes a heartbeat-sized frame to each of `followers` others every `heartbeatMs`
 * and each writes it straight back. No framing, no JSON, no state machine: a floor under
 * any implementation's idle CPU on the same machine.
 */
export async function measureSocketFloor({ followers, heartbeatMs, seconds }) {
  const echoes = Array.from({ length: followers }, () => spawnPeer(['echo']));
  const children = echoes.map((e) => e.child);
  try {
    const ports = await Promise.all(echoes.map((e) => e.first));
    const beat = spawnPeer(['beat', String(heartbeatMs), ...ports.map(String)]);
    children.unshift(beat.child);
    await beat.first;
    // Let connections open and the first writes settle before counting.
    await new Promise((resolve) => setTimeout(resolve, 2000));
    const [leader, ...rest] = await cpuPercents(
      children.map((c) => c.pid),
      seconds,
    );
    return { leader, followers: rest };
  } finally {
    for (const child of children) child.kill('SIGKILL');
  }
}
