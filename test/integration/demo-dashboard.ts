import { afterAll, beforeAll } from 'vitest';
import { clusterRecipe } from '../../src/cli/demo-recipes.js';
import {
  type DashboardServer,
  startDashboardServer,
} from '../../src/dashboard/dashboard-server.js';
import { DemoCluster } from '../../src/dashboard/demo-cluster.js';

/**
 * A three-node Raft demo cluster behind its dashboard server, for the enclosing describe:
 * started before its tests, stopped after them. Read the fields inside tests only.
 */
export function demoDashboard(): { cluster: DemoCluster; server: DashboardServer } {
  const live = {} as { cluster: DemoCluster; server: DashboardServer };
  beforeAll(async () => {
    live.cluster = new DemoCluster(await clusterRecipe('raft', 3), { id: 'raft', svg: '' });
    await live.cluster.start();
    live.server = await startDashboardServer(live.cluster);
  });
  afterAll(async () => {
    await live.server?.close();
    await live.cluster?.stop();
  });
  return live;
}
