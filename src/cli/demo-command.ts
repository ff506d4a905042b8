import { tcpTransport } from '../../transports/index.js';
import { type DiagServer, startDiagServer } from '../diag-server.js';
import { createElection, type Election } from '../election.js';
import type { DemoConfig } from './args.js';
import { type LogSink, logElection } from './change-log.js';
import { clusterSummary } from './cluster-summary.js';
import { errorMessage } from './error-message.js';
import { freePorts } from './free-ports.js';
import { shutdownSignal } from './shutdown-signal.js';

const HOST = '127.0.0.1';
const SUMMARY_EVERY_MS = 1000;

async function stopAll(elections: Election[], diags: DiagServer[]): Promise<void> {
  for (const diag of diags) diag.markStopping();
  await Promise.all(elections.map((e) => e.stop()));
  await Promise.all(diags.map((d) => d.close()));
}

/** A whole raft cluster in this process, each node on its own loopback port; ends on a signal. */
export async function runDemo(config: DemoConfig, sink: LogSink): Promise<number> {
  const signal = shutdownSignal();
  const ports = await freePorts(config.nodes, HOST);
  const peers = ports.map((port, i) => ({ id: `n${i + 1}`, address: `${HOST}:${port}` }));
  const elections = peers.map((p) =>
    createElection({
      protocol: 'raft',
      id: p.id,
      peers,
      transport: tcpTransport({ listen: p.address }),
    }),
  );
  const diags: DiagServer[] = [];
  try {
    for (const election of elections) {
      diags.push(await startDiagServer(election, { listen: `${HOST}:0` }));
    }
    sink.out(`demo: ${config.nodes} raft nodes over TCP on ${HOST}, Ctrl-C to stop`);
    peers.forEach((p, i) => {
      sink.out(
        `demo: ${p.id} listens on ${p.address}, diag http://${HOST}:${diags[i]!.address.port}/diag`,
      );
    });
    sink.out("demo: POST to a leader's /resign (curl -X POST .../resign) to watch a handover");
    elections.forEach((e, i) => {
      logElection(e, peers[i]!.id, 'text', sink);
    });
    await Promise.all(elections.map((e) => e.start()));
  } catch (err) {
    sink.err(`electorate: ${errorMessage(err)}`);
    await stopAll(elections, diags);
    return 1;
  }
  const timer = setInterval(() => {
    sink.out(
      clusterSummary(
        new Date(),
        elections.map((e) => e.status()),
      ),
    );
  }, SUMMARY_EVERY_MS);
  await signal;
  clearInterval(timer);
  await stopAll(elections, diags);
  return 0;
}
