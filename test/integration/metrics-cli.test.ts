import { randomBytes } from 'node:crypto';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { DROP_REASONS } from '../../transports/types.js';
import {
  type CliProcess,
  ensureBuilt,
  killSpawned,
  raftMemberArgs,
  startCli,
} from './cli-process.js';
import { freePorts } from './free-port.js';
import { type Scrape, scrape } from './prometheus-scrape.js';
import { rawTcpClient, tcpFrame } from './raw-tcp-client.js';
import { waitFor } from './wait-for.js';

interface MetricsNode {
  id: string;
  listenPort: number;
  url: string;
  proc: CliProcess;
}

function startRaftCluster(ids: string[], ports: number[]): MetricsNode[] {
  return ids.map((id, i) => ({
    id,
    listenPort: ports[i]!,
    url: `http://127.0.0.1:${ports[ids.length + i]}/metrics`,
    proc: startCli([...raftMemberArgs(ids, i, ports, ports[ids.length + i]), '--log', 'none']),
  }));
}

/** Every node's scrape once exactly one of them reports leading and all agree on the term. */
async function scrapesWithOneLeader(nodes: MetricsNode[], description: string) {
  let scrapes: Scrape[] = [];
  await waitFor(
    async () => {
      const all = await Promise.all(nodes.map((n) => scrape(n.url)));
      if (all.some((s) => s === undefined)) return false;
      scrapes = all as Scrape[];
      const leading = scrapes.filter(
        (s) => s.value('leader_election_master_status', { name: 'raft' }) === 1,
      );
      const terms = new Set(scrapes.map((s) => s.value('electorate_term')));
      if (leading.length !== 1 || terms.size !== 1) return false;
      // A member may hold the term from its own lost candidacy before the leader reaches it,
      // and may have heard the winner's vote request before the heartbeat that names it
      // leader: wait until every follower has counted the leader, not only heard from it.
      const leaderId = nodes[scrapes.indexOf(leading[0]!)]!.id;
      return scrapes.every(
        (s) =>
          (s.value('electorate_leader_changes_total') ?? 0) >= 1 &&
          (s === leading[0] ||
            s.value('electorate_peer_last_contact_timestamp_seconds', { peer: leaderId }) !==
              undefined),
      );
    },
    15_000,
    description,
    25,
  );
  const leaderIndex = scrapes.findIndex((s) => s.value('electorate_is_leader') === 1);
  return { scrapes, leader: nodes[leaderIndex]!, leaderScrape: scrapes[leaderIndex]! };
}

beforeAll(() => ensureBuilt(), 120_000);
afterEach(() => killSpawned());

describe('GET /metrics on electorate node --http', () => {
  it('three processes report one leader; a crash moves leadership, terms, changes and wins', async () => {
    const ids = ['n1', 'n2', 'n3'];
    const nodes = startRaftCluster(ids, await freePorts(6));
    const before = await scrapesWithOneLeader(nodes, 'one leader in the scrapes');

    for (const [i, s] of before.scrapes.entries()) {
      const id = nodes[i]!.id;
      const labels = { name: 'raft', id };
      const leading = nodes[i] === before.leader;
      expect(s.family('leader_election_master_status').type).toBe('GAUGE');
      expect(s.family('electorate_leader_changes_total').type).toBe('COUNTER');
      expect(s.value('electorate_info', { ...labels, protocol: 'raft' })).toBe(1);
      expect(s.value('electorate_role', { ...labels, role: 'leader' })).toBe(leading ? 1 : 0);
      expect(s.value('electorate_members', labels)).toBe(3);
      expect(s.value('electorate_leader_changes_total', labels)).toBeGreaterThanOrEqual(1);
      expect(s.value('electorate_elections_won_total', labels)).toBe(leading ? 1 : 0);
      expect(s.value('electorate_messages_received_total', labels)).toBeGreaterThan(0);
      for (const reason of DROP_REASONS) {
        expect(s.value('electorate_frames_dropped_total', { ...labels, reason })).toBe(0);
      }
      const lease = s.value('electorate_lease_remaining_seconds', labels)!;
      if (leading) expect(lease).toBeGreaterThan(0);
      else expect(lease).toBe(0);
      // A leader has heard from a quorum (the scrape may come as it wins, before the last
      // vote or ack arrives), a follower from its leader (Raft followers need not talk to
      // each other); recently, as the clocks are one machine's.
      const contact = (peer: string) =>
        s.value('electorate_peer_last_contact_timestamp_seconds', { ...labels, peer });
      const peers = ids.filter((p) => p !== id);
      const heard = (leading ? peers : [before.leader.id]).filter((p) => contact(p) !== undefined);
      expect(heard.length).toBeGreaterThanOrEqual(1);
      for (const peer of heard) {
        expect(Math.abs(Date.now() / 1000 - contact(peer)!)).toBeLessThan(60);
      }
      expect(s.families.some((f) => f.name === 'electorate_store_request_duration_seconds')).toBe(
        false,
      );
    }
    const term = before.leaderScrape.value('electorate_term')!;
    const survivors = nodes.filter((n) => n !== before.leader);

    // Junk on a survivor's peer port shows up as a dropped frame of its reason.
    const junk = await rawTcpClient(survivors[0]!.listenPort);
    const body = randomBytes(32);
    body[0] = 0xff;
    junk.socket.write(tcpFrame(body));
    await waitFor(
      async () =>
        (await scrape(survivors[0]!.url))?.value('electorate_frames_dropped_total', {
          reason: 'malformed',
        }) === 1,
      10_000,
      'the malformed frame to be counted',
    );
    junk.socket.destroy();

    process.kill(before.leader.proc.pid, 'SIGKILL');
    const after = await scrapesWithOneLeader(survivors, 'a new leader after the crash');
    expect(after.leader).not.toBe(before.leader);
    expect(after.leaderScrape.value('electorate_term')!).toBeGreaterThan(term);
    expect(after.leaderScrape.value('electorate_elections_won_total')!).toBeGreaterThanOrEqual(1);
    expect(after.leaderScrape.value('electorate_elections_started_total')!).toBeGreaterThanOrEqual(
      1,
    );
    for (const [i, s] of after.scrapes.entries()) {
      const id = survivors[i]!.id;
      const was = before.scrapes[nodes.indexOf(survivors[i]!)]!;
      expect(s.value('electorate_leader_changes_total', { id })!).toBeGreaterThan(
        was.value('electorate_leader_changes_total', { id })!,
      );
      expect(s.value('electorate_members', { id })).toBe(3);
    }
  });
});
