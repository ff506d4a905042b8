import { spawn } from 'node:child_process';
import { type DashboardServer, startDashboardServer } from '../dashboard/dashboard-server.js';
import { DemoCluster } from '../dashboard/demo-cluster.js';
import { type DiagServer, startDiagServer } from '../diag/diag-server.js';
import { toSvg } from '../diagram/index.js';
import { protocolChart } from '../diagram/protocol-charts.js';
import type { Election } from '../runtime/election.js';
import { type LogSink, logElection } from './change-log.js';
import { clusterSummary } from './cluster-summary.js';
import type { DemoConfig } from './demo-args.js';
import { clusterRecipe } from './demo-recipes.js';
import { errorMessage } from './error-message.js';
import { readSecretFile } from './secret-file.js';
import { shutdownSignal } from './shutdown-signal.js';

const HOST = '127.0.0.1';
const SUMMARY_EVERY_MS = 1000;

/** Opens the page in the system browser if there is one; a demo never fails for want of it. */
function openBrowser(url: string, sink: LogSink): void {
  try {
    const child = spawn('xdg-open', [url], { stdio: 'ignore', detached: true });
    child.on('error', () => sink.out(`demo: no xdg-open here; open ${url} yourself`));
    child.unref();
  } catch {
    sink.out(`demo: could not start a browser; open ${url} yourself`);
  }
}

/**
 * A whole cluster in this process on loopback, with a live dashboard in the browser and a
 * summary line each second on the terminal; ends on a signal.
 */
export async function runDemo(config: DemoConfig, sink: LogSink): Promise<number> {
  const token =
    config.httpTokenFile === undefined
      ? undefined
      : readSecretFile(config.httpTokenFile, '--http-token-file');
  const guard = token === undefined ? {} : { token };
  const signal = shutdownSignal();
  const chart = protocolChart(config.protocol);
  const recipe = await clusterRecipe(config.protocol, config.nodes);
  const cluster = new DemoCluster(recipe, {
    id: chart?.id ?? config.protocol,
    svg: chart === undefined ? '' : toSvg(chart),
  });
  cluster.onStarted((id, election) => logElection(election, id, 'text', sink));
  const diags: DiagServer[] = [];
  let dashboard: DashboardServer | undefined;
  const stopAll = async () => {
    for (const diag of diags) diag.markStopping();
    await dashboard?.close();
    await cluster.stop();
    await Promise.all(diags.map((d) => d.close()));
  };
  try {
    await cluster.start();
    // Each member keeps its diag endpoint across kills and restarts: it reads whichever
    // election currently stands for that member.
    for (const id of recipe.ids) {
      const current = (): Election => cluster.election(id)!;
      diags.push(
        await startDiagServer(
          { status: () => current().status(), resign: () => current().resign() },
          { listen: `${HOST}:0`, ...guard },
        ),
      );
    }
    dashboard = await startDashboardServer(cluster, {
      host: HOST,
      port: config.port,
      ...guard,
      // The demo has no /diag of its own: a close a person should know of is said here.
      onRefused: (why) => {
        if (why === 'slow-reader') sink.out('demo: closed a dashboard client that stopped reading');
      },
    });
    sink.out(
      `demo: ${config.nodes} ${recipe.protocol} nodes over ${recipe.network}, Ctrl-C to stop`,
    );
    recipe.ids.forEach((id, i) => {
      const where = recipe.addresses[i] ? `listens on ${recipe.addresses[i]}, ` : '';
      sink.out(`demo: ${id} ${where}diag http://${HOST}:${diags[i]!.address.port}/diag`);
    });
    // The token is never printed or put on a command line, where other local users see it.
    sink.out(
      token === undefined
        ? `demo: dashboard ${dashboard.url}`
        : `demo: dashboard ${dashboard.url}#token=TOKEN (TOKEN as in ${config.httpTokenFile})`,
    );
  } catch (err) {
    sink.err(`electorate: ${errorMessage(err)}`);
    await stopAll();
    return 1;
  }
  if (config.open) openBrowser(dashboard.url, sink);
  const timer = setInterval(() => {
    sink.out(clusterSummary(new Date(), cluster.liveStatuses()));
  }, SUMMARY_EVERY_MS);
  await signal;
  clearInterval(timer);
  await stopAll();
  return 0;
}
