import { postgresStore } from '../dist/src/index.js';
import { crashFailover } from './kv-failover.mjs';
import { electorateHandover } from './kv-handover.mjs';
import { startPostgres } from './kv-postgres-server.mjs';
import { ADVISORY_POLL_MS, advisoryHandover } from './pg-advisory-lock.mjs';
import { ms, row } from './report.mjs';
import { median, worst } from './stats.mjs';

const TTL_MS = 2000;
const HANDOVER_TARGET_MS = 20;
const FAILOVER_SLACK_MS = 200;
const FAILOVER_RUNS = 10;
/** A frozen lock holder is never noticed here: each such run waits out the bench's cap. */
const FROZEN_ADVISORY_RUNS = 3;

/**
 * KV-lease on a real PostgreSQL 15 (started here), side by side with the hand-written
 * recipe on the same server: a session-level pg_try_advisory_lock tried every 100 ms.
 * Resign handover, crash failover (SIGKILL: the kernel closes the socket, so the server
 * sees the session end at once) and a frozen leader (SIGSTOP: a hung process or a host cut
 * off, whose session the server goes on believing in).
 */
export async function postgresPart(runs, log) {
  const server = await startPostgres();
  try {
    log(
      `postgres: ${server.url}, ttl ${TTL_MS} ms, advisory lock polled every ${ADVISORY_POLL_MS} ms`,
    );
    const ours = await electorateHandover(undefined, TTL_MS, runs, () =>
      postgresStore({ url: server.url }),
    );
    const theirs = await advisoryHandover(server.url, runs);
    log(
      `postgres handover: electorate median ${ms(median(ours))} worst ${ms(worst(ours))}; ` +
        `advisory lock median ${ms(median(theirs))} worst ${ms(worst(theirs))}`,
    );
    const failRuns = Math.min(runs, FAILOVER_RUNS);
    const oursCrash = await crashFailover('postgres', server.url, TTL_MS, failRuns);
    const theirsCrash = await crashFailover('advisory', server.url, TTL_MS, failRuns);
    log(
      `postgres crash failover: electorate median ${ms(median(oursCrash.times))} worst ${ms(worst(oursCrash.times))}; ` +
        `advisory lock median ${ms(median(theirsCrash.times))} worst ${ms(worst(theirsCrash.times))}`,
    );
    const oursFrozen = await crashFailover('postgres', server.url, TTL_MS, failRuns, {
      freeze: true,
    });
    const frozenRuns = Math.min(runs, FROZEN_ADVISORY_RUNS);
    const theirsFrozen = await crashFailover('advisory', server.url, TTL_MS, frozenRuns, {
      freeze: true,
    });
    const capMs = 3 * TTL_MS + 5000;
    log(
      `postgres frozen leader: electorate median ${ms(median(oursFrozen.times))} worst ${ms(worst(oursFrozen.times))}; ` +
        `advisory lock ${theirsFrozen.timeouts} of ${frozenRuns} never handed over within ${capMs} ms`,
    );
    const note = (r) => (r.timeouts > 0 ? ` (${r.timeouts} timed out)` : '');
    const failTarget = TTL_MS + FAILOVER_SLACK_MS;
    const failRows = (label, r, target) => [
      row(`${label}, median`, median(r.times), ms(median(r.times)) + note(r)),
      target === undefined
        ? row(`${label}, worst`, worst(r.times), ms(worst(r.times)))
        : row(
            `${label}, worst`,
            worst(r.times),
            ms(worst(r.times)),
            `≤ ${target} ms`,
            worst(r.times) <= target && r.timeouts === 0,
          ),
    ];
    const frozenDisplay =
      theirsFrozen.times.length === 0
        ? `none within ${ms(capMs)} (${theirsFrozen.timeouts} of ${frozenRuns})`
        : `${ms(worst(theirsFrozen.times))}${note(theirsFrozen)}`;
    return {
      settings: {
        ttlMs: TTL_MS,
        advisoryPollMs: ADVISORY_POLL_MS,
        handoverRuns: runs,
        failoverRuns: failRuns,
        frozenAdvisoryRuns: frozenRuns,
      },
      rows: [
        row(
          'KV resign handover on PostgreSQL, median',
          median(ours),
          ms(median(ours)),
          `≤ ${HANDOVER_TARGET_MS} ms and < advisory lock`,
          median(ours) <= HANDOVER_TARGET_MS && median(ours) < median(theirs),
        ),
        row('KV resign handover on PostgreSQL, worst', worst(ours), ms(worst(ours))),
        row(
          `Advisory lock (polled every ${ADVISORY_POLL_MS} ms) handover, median`,
          median(theirs),
          ms(median(theirs)),
        ),
        row(
          `Advisory lock (polled every ${ADVISORY_POLL_MS} ms) handover, worst`,
          worst(theirs),
          ms(worst(theirs)),
        ),
        ...failRows(`KV crash failover on PostgreSQL (ttl ${TTL_MS} ms)`, oursCrash, failTarget),
        ...failRows('Advisory lock crash failover (socket closed)', theirsCrash),
        ...failRows(
          `KV failover of a frozen leader on PostgreSQL (ttl ${TTL_MS} ms)`,
          oursFrozen,
          failTarget,
        ),
        row(
          'Advisory lock failover of a frozen holder, worst',
          theirsFrozen.times.length === 0 ? Number.POSITIVE_INFINITY : worst(theirsFrozen.times),
          frozenDisplay,
        ),
      ],
      raw: {
        handover: { electorate: ours, advisory: theirs },
        failover: { electorate: oursCrash, advisory: theirsCrash },
        frozen: { electorate: oursFrozen, advisory: theirsFrozen },
      },
    };
  } finally {
    await server.stop();
  }
}
