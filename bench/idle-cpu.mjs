import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
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
 * Nanoseconds on a CPU of every thread of a process (the first field of each thread's
 * schedstat), or undefined without schedstats. A node at 1 % of a core earns 2 ticks a
 * second, so over a few seconds ticks alone cannot tell 1.2× from 1.4×; the scheduler's own
 * count can. Threads that ended are not counted, and Node's (main, V8's platform workers,
 * libuv's) live as long as the process.
 */
function cpuNanos(pid) {
  try {
    let total = 0;
    for (const tid of readdirSync(`/proc/${pid}/task`)) {
      total += Number(readFileSync(`/proc/${pid}/task/${tid}/schedstat`, 'utf8').split(' ')[0]);
    }
    return total;
  } catch {
    return undefined;
  }
}

function cpuSeconds(pids) {
  const nanos = pids.map(cpuNanos);
  if (nanos.every((n) => n !== undefined)) return nanos.map((n) => n / 1e9);
  const hz = clockTicksPerSecond();
  return pids.map((pid) => cpuTicks(pid) / hz);
}

/** CPU used by each process over `seconds`, as a percentage of one core. */
export async function cpuPercents(pids, seconds) {
  const before = cpuSeconds(pids);
  const start = performance.now();
  await new Promise((resolve) => setTimeout(resolve, seconds * 1000));
  const after = cpuSeconds(pids);
  const elapsed = (performance.now() - start) / 1000;
  return pids.map((_, i) => ((after[i] - before[i]) / elapsed) * 100);
}

/**
 * CPU used by each node of a cluster with a stable leader over `seconds` with nothing
 * polling it, as a percentage of one core. `settleSeconds` first lets the processes run
 * unwatched: a node's first minute pays for compiling its hot paths, which a member that
 * runs for days pays once.
 */
export async function measureIdleCpu(cluster, seconds, { settleSeconds = 0 } = {}) {
  await waitForStableLeader(cluster.httpPorts);
  if (settleSeconds > 0) await new Promise((resolve) => setTimeout(resolve, settleSeconds * 1000));
  const { leader } = await waitForStableLeader(cluster.httpPorts);
  const percents = await cpuPercents(
    cluster.ids.map((_, i) => cluster.pid(i)),
    seconds,
  );
  const { leader: leaderAfter } = await waitForStableLeader(cluster.httpPorts);
  const perNode = cluster.ids.map((id, i) => ({
    id,
    leader: id === leader,
    percent: percents[i],
  }));
  return { perNode, seconds, leaderChanged: leader !== leaderAfter };
}
