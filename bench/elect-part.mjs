import { benchElectLeaders } from './elect-leaders.mjs';
import { row } from './report.mjs';

const ms = (v) => `${v.toFixed(2)} ms`;

/** electLeaders: cost per call on a large peer list, and how evenly each strategy elects. */
export async function electPart(log) {
  const f = await benchElectLeaders();
  const peers = f.peerCount.toLocaleString('en-US');
  log(
    `electLeaders: ${peers} peers, rendezvous median ${ms(f.timing.rendezvous.medianMs)}, ` +
      `chainpoint median ${ms(f.timing.chainpoint.medianMs)}`,
  );
  const { bias } = f;
  return {
    rows: [
      row(
        `electLeaders rendezvous, ${peers} peers, median per call`,
        f.timing.rendezvous.medianMs,
        ms(f.timing.rendezvous.medianMs),
        `≤ ${f.rendezvousBudgetMs} ms`,
        f.rendezvousWithinBudget,
      ),
      row(
        `electLeaders chainpoint, ${peers} peers, median per call`,
        f.timing.chainpoint.medianMs,
        ms(f.timing.chainpoint.medianMs),
      ),
      row(
        `electLeaders chainpoint, distinct seeds from ${f.entropyCount.toLocaleString('en-US')} hex entropies`,
        f.distinctChainpointSeeds,
        String(f.distinctChainpointSeeds),
      ),
      row(
        `electLeaders leader counts max/min over ${bias.peerCount} peers, rendezvous`,
        bias.rendezvous.max / bias.rendezvous.min,
        `${bias.rendezvous.max}/${bias.rendezvous.min}`,
      ),
      row(
        `electLeaders leader counts max/min over ${bias.peerCount} peers, chainpoint`,
        bias.chainpoint.min === 0 ? null : bias.chainpoint.max / bias.chainpoint.min,
        `${bias.chainpoint.max}/${bias.chainpoint.min}`,
      ),
    ],
    settings: { peerCount: f.peerCount, calls: f.calls, entropyCount: f.entropyCount },
    raw: f,
  };
}
