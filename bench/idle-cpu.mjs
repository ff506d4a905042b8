import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { waitForStableLeader } from './leader-polling.mjs';

function clockTicksPerSecond() {
  try {
    return Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
  } catch {
    return 100;
  }
}

/** utime + stime of a process, in clock ticks (proc(5): fields 14 and 15 of /proc/PID/stat). */
function cpuTicks(pid) {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // The command name (field 2) may hold spaces and parentheses; fields after it do not.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return Number(fields[11]) + Number(fields[12]);
}

/**
 * CPU used by each node of a settled cluster over `seconds` with nothing polling it, as a
 * percentage of one core.
 */
export async function measureIdleCpu(cluster, seconds) {
  const { leader } = await waitForStableLeader(cluster.httpPorts);
  const hz = clockTicksPerSecond();
  const before = cluster.ids.map((_, i) => cpuTicks(cluster.pid(i)));
  const start = performance.now();
  await new Promise((resolve) => setTimeout(resolve, seconds * 1000));
  const after = cluster.ids.map((_, i) => cpuTicks(cluster.pid(i)));
  const elapsed = (performance.now() - start) / 1000;
  const { leader: leaderAfter } = await waitForStableLeader(cluster.httpPorts);
  const perNode = cluster.ids.map((id, i) => ({
    id,
    leader: id === leader,
    percent: ((after[i] - before[i]) / hz / elapsed) * 100,
  }));
  return { perNode, seconds: elapsed, leaderChanged: leader !== leaderAfter };
}
