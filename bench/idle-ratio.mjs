import { cpuPercents } from './idle-cpu.mjs';
import { waitForStableLeader } from './leader-polling.mjs';
import { median, worst } from './stats.mjs';

const sleep = (seconds) => new Promise((resolve) => setTimeout(resolve, seconds * 1000));

/**
 * A settled cluster's idle CPU as a multiple of the bare-socket floor (see socket-floor.mjs)
 * running beside it: `windows` measurements of `seconds` each, every one counting the nodes
 * and the floor's processes over the same seconds, so both see the same load. Per window,
 * the leader over the bare sender and the median follower over the median echo. Finding
 * the leader polls every node's /diag, so a window starts `quietSeconds` after that work.
 * A new leader is not settled (its leading code is not compiled yet; on a loaded machine
 * elections happen): a window in which the leader changed, or that would start under a
 * leader other than the last one's, waits `resettleSeconds` and is measured again, up to
 * `retries` times in all; `changes` counts them.
 */
export async function measureIdleRatios(
  cluster,
  floor,
  { windows, seconds, quietSeconds = 1, resettleSeconds = 15, retries = 3 },
) {
  const pids = [...cluster.ids.map((_, i) => cluster.pid(i)), floor.senderPid, ...floor.echoPids];
  const nodes = cluster.ids.length;
  const measured = [];
  let settledLeader = (await waitForStableLeader(cluster.httpPorts)).leader;
  let changes = 0;
  while (measured.length < windows) {
    const { leader } = await waitForStableLeader(cluster.httpPorts);
    if (leader !== settledLeader && retries > 0) {
      changes++;
      retries--;
      settledLeader = leader;
      await sleep(resettleSeconds);
      continue;
    }
    await sleep(quietSeconds);
    const percents = await cpuPercents(pids, seconds);
    const { leader: after } = await waitForStableLeader(cluster.httpPorts);
    const leaderChanged = leader !== after;
    if (leaderChanged && retries > 0) {
      changes++;
      retries--;
      settledLeader = after;
      await sleep(resettleSeconds);
      continue;
    }
    const perNode = cluster.ids.map((id, i) => ({
      id,
      leader: id === leader,
      percent: percents[i],
    }));
    const [sender, ...echoes] = percents.slice(nodes);
    const leaderPercent = perNode.find((n) => n.leader)?.percent ?? Number.NaN;
    const followers = perNode.filter((n) => !n.leader).map((n) => n.percent);
    measured.push({
      perNode,
      leaderChanged,
      sender,
      echoes,
      leaderRatio: leaderPercent / sender,
      followerRatio: median(followers) / median(echoes),
    });
  }
  const summary = (values) => ({ median: median(values), worst: worst(values) });
  return {
    windows: measured,
    seconds,
    leaderChanges: changes,
    leaderRatio: summary(measured.map((w) => w.leaderRatio)),
    followerRatio: summary(measured.map((w) => w.followerRatio)),
  };
}

/** One window as a log line: every process's share of a core and the two ratios. */
export function describeWindow(w, i) {
  const nodes = w.perNode
    .map((n) => `${n.id}${n.leader ? '*' : ''} ${n.percent.toFixed(2)}`)
    .join(', ');
  const echoes = w.echoes.map((p) => p.toFixed(2)).join(' ');
  return (
    `idle window ${i + 1}: nodes ${nodes} %; bare sender ${w.sender.toFixed(2)} %, echoes ${echoes} %; ` +
    `leader/sender ${w.leaderRatio.toFixed(2)}×, follower/echo ${w.followerRatio.toFixed(2)}×` +
    (w.leaderChanged ? ' (leader changed)' : '')
  );
}

/** The settled figures of a ratio measurement: each node's median over the windows. */
export function settledPercents(ratios) {
  const ids = ratios.windows[0].perNode.map((n) => n.id);
  const perNode = ids.map((id, i) => ({
    id,
    leader: ratios.windows.filter((w) => w.perNode[i].leader).length > ratios.windows.length / 2,
    percent: median(ratios.windows.map((w) => w.perNode[i].percent)),
  }));
  return {
    perNode,
    sender: median(ratios.windows.map((w) => w.sender)),
    echo: median(ratios.windows.flatMap((w) => w.echoes)),
  };
}
