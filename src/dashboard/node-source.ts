import { toSvg } from '../diagram/index.js';
import { protocolChart } from '../diagram/protocol-charts.js';
import type { Election } from '../runtime/election.js';
import { type ControlCommand, ControlError } from './control-messages.js';
import {
  type DashboardFrame,
  type DashboardHello,
  type DashboardSource,
  type FrameCursor,
  nodeCard,
  type ShardCell,
} from './dashboard-source.js';
import { Timeline } from './timeline.js';

/**
 * What the single-node dashboard reads: status and resign, plus the actor and events if
 * offered, and a group's elections, drawn as a grid of shards coloured by leader.
 */
export type WatchedElection = Pick<Election, 'status' | 'resign'> &
  Partial<Pick<Election, 'actor' | 'on'>> & { shards?(): ShardCell[] };

/**
 * One member of a real cluster, as it sees things: its own card (state, term, leader,
 * last contact with each peer, drops) and its own timeline. The only control is resign.
 */
export class NodeSource implements DashboardSource {
  private readonly timeline = new Timeline();
  private readonly id: string;
  private readonly protocol: string;
  private readonly chart: { id: string; svg: string };

  constructor(private readonly election: WatchedElection) {
    const status = election.status();
    this.id = status.id;
    this.protocol = status.protocol;
    const chart = protocolChart(status.protocol);
    this.chart = {
      id: chart?.id ?? status.protocol,
      svg: chart ? toSvg(chart) : '',
    };
    election.on?.('change', (change) => {
      const what =
        change.role !== 'leader'
          ? `is ${change.role}, leader ${change.leader ?? 'none'}`
          : change.isLeader
            ? 'leads'
            : 'is leader without a lease (it may not act)';
      const term = change.term === undefined ? '' : ` (term ${change.term})`;
      // A group's changes name their election.
      const election = (change as { election?: string }).election;
      const who = election === undefined ? this.id : `${this.id}/${election}`;
      this.timeline.add(
        change.role === 'leader' ? 'leader' : 'role',
        this.id,
        `${who} ${what}${term}`,
      );
    });
    election.on?.('error', (error) => this.timeline.add('error', this.id, error.message));
  }

  hello(): DashboardHello {
    return {
      mode: 'node',
      title: `${this.id}: a ${this.protocol} member, as it sees the cluster`,
      protocol: this.protocol,
      nodes: [this.id],
      chart: this.chart.svg,
      controls: ['resign'],
    };
  }

  nodeIds(): ReadonlySet<string> {
    return new Set([this.id]);
  }

  frame(cursor: FrameCursor): DashboardFrame {
    const election = {
      status: () => this.election.status(),
      actor: this.election.actor,
    } as Pick<Election, 'status' | 'actor'>;
    const shards = this.election.shards?.();
    return {
      nodes: [nodeCard(this.id, election, this.chart.id)],
      ...(shards === undefined ? {} : { shards }),
      links: [],
      faults: { groups: [], links: [], counts: [] },
      messages: [],
      timeline: this.timeline.since(cursor.timeline),
      messageTotal: this.election.status().messages.received,
    };
  }

  async control(command: ControlCommand): Promise<string> {
    if (command.type !== 'resign') throw new ControlError(`${command.type} is not offered here`);
    if (this.election.status().role !== 'leader')
      throw new ControlError(`${this.id} does not lead`);
    await this.election.resign();
    this.timeline.add('control', this.id, `${this.id} asked to resign`);
    return `${this.id} resigning`;
  }
}
