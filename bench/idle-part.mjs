import { NodeCluster } from './node-processes.mjs';
import {
  CLUSTER_SIZE,
  IDLE_WINDOW_SECONDS,
  IDLE_WINDOWS,
  idleRows,
  measureSettledIdle,
  SETTLE_SECONDS,
  TIMING,
} from './raft-part.mjs';

/**
 * Only the Raft part's settled idle measurement, side by side with the bare-socket floor
 * (about a minute and a half): for comparing builds without the failover runs.
 */
export async function idlePart(_runs, log) {
  const cluster = await NodeCluster.create(CLUSTER_SIZE, TIMING);
  const { ratios, settled } = await cluster.measure(() => measureSettledIdle(cluster, log));
  return {
    rows: idleRows(ratios, settled),
    settings: {
      clusterSize: CLUSTER_SIZE,
      ...TIMING,
      settleSeconds: SETTLE_SECONDS,
      idleWindows: IDLE_WINDOWS,
      idleWindowSeconds: IDLE_WINDOW_SECONDS,
    },
    raw: { settled, ratios },
  };
}
