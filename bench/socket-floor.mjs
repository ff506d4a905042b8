import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';

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
 * any implementation's idle CPU on the same machine. Started beside a cluster and measured
 * over the same seconds, it sees the same load, so the ratio of the two means something on
 * a machine that is doing other work. `stop()` kills the processes.
 */
export async function startSocketFloor({ followers, heartbeatMs }) {
  const echoes = Array.from({ length: followers }, () => spawnPeer(['echo']));
  const children = echoes.map((e) => e.child);
  const stop = () => {
    for (const child of children) child.kill('SIGKILL');
  };
  try {
    const ports = await Promise.all(echoes.map((e) => e.first));
    const beat = spawnPeer(['beat', String(heartbeatMs), ...ports.map(String)]);
    children.unshift(beat.child);
    await beat.first;
  } catch (err) {
    stop();
    throw err;
  }
  return {
    senderPid: children[0].pid,
    echoPids: children.slice(1).map((c) => c.pid),
    stop,
  };
}
