import type { InspectionEvent } from 'xstate';
import { LinkFaults } from '../../transports/fault-link.js';
import type { Election, ElectionStatus } from '../runtime/election.js';
import type { ControlCommand, ControlType } from './control-messages.js';
import { ControlError } from './control-messages.js';
import {
  type DashboardFrame,
  type DashboardHello,
  type DashboardSource,
  type FrameCursor,
  nodeCard,
} from './dashboard-source.js';
import { Timeline } from './timeline.js';
import { MessageTraffic } from './traffic.js';

/** What a recipe gets to build node `id`: the shared fault policy and the inspector to pass on. */
export interface NodeContext {
  id: string;
  index: number;
  faults: LinkFaults;
  inspect: (event: InspectionEvent) => void;
}

/**
 * How to run one protocol as a local cluster: the members, and how to build member i's
 * election (with its transport wrapped in `faultLink(…, faults)` so the controls can bite).
 * Building twice with the same id must give the same member (same address, same data).
 */
export interface ClusterRecipe {
  protocol: string;
  /** How the members talk, for people: "TCP on 127.0.0.1". */
  network: string;
  ids: readonly string[];
  /** Where each member listens, in `ids` order ('' when it does not). */
  addresses: readonly string[];
  controls: readonly ControlType[];
  createNode(context: NodeContext): Election;
}

/** A local cluster the dashboard can watch and break: kill, restart, partition, delay. */
export class DemoCluster implements DashboardSource {
  readonly faults = new LinkFaults();
  readonly timeline = new Timeline();
  readonly traffic: MessageTraffic;
  private readonly live = new Map<string, Election>();
  /** The latest election per member, stopped or not, so status stays readable after a kill. */
  private readonly latest = new Map<string, Election>();
  private readonly ids: ReadonlySet<string>;
  private readonly busy = new Set<string>();
  private readonly started: ((id: string, election: Election) => void)[] = [];

  constructor(
    readonly recipe: ClusterRecipe,
    private readonly chart: { id: string; svg: string },
  ) {
    this.ids = new Set(recipe.ids);
    this.traffic = new MessageTraffic((id) => recipe.ids.filter((p) => p !== id));
  }

  /** Calls `listener` with every election the cluster starts, restarts included. */
  onStarted(listener: (id: string, election: Election) => void): void {
    this.started.push(listener);
  }

  async start(): Promise<void> {
    await Promise.all(this.recipe.ids.map((id) => this.startNode(id)));
  }

  async stop(): Promise<void> {
    const running = [...this.live.values()];
    this.live.clear();
    await Promise.all(running.map((e) => e.stop()));
  }

  /** The latest election of member `id` (it may be stopped). */
  election(id: string): Election | undefined {
    return this.latest.get(id);
  }

  liveStatuses(): ElectionStatus[] {
    return this.recipe.ids.flatMap((id) => {
      const e = this.live.get(id);
      return e === undefined ? [] : [e.status()];
    });
  }

  private async startNode(id: string): Promise<void> {
    const index = this.recipe.ids.indexOf(id);
    const election = this.recipe.createNode({
      id,
      index,
      faults: this.faults,
      inspect: this.traffic.inspector(id),
    });
    this.watch(id, election);
    this.latest.set(id, election);
    for (const listener of this.started) listener(id, election);
    await election.start();
    this.live.set(id, election);
  }

  private watch(id: string, election: Election): void {
    let role: string | undefined;
    election.on('change', (change) => {
      if (change.role !== role && change.role !== 'leader') {
        this.timeline.add('role', id, `${id} is ${change.role}${this.termText(change.term)}`);
      }
      role = change.role;
    });
    election.on('elected', ({ term }) => {
      this.timeline.add('leader', id, `${id} leads${this.termText(term)}`);
    });
    election.on('deposed', ({ term, reason }) => {
      this.timeline.add('leader', id, `${id} no longer leads${this.termText(term)}: ${reason}`);
    });
    election.on('error', (error) => {
      this.timeline.add('error', id, `${id}: ${error.message}`);
    });
  }

  /** Raft counts terms; Bully, LES and entropy count rounds; KV counts fencing tokens. */
  private termText(term: number | undefined): string {
    if (term === undefined) return '';
    const word = { raft: 'term', kv: 'token' }[this.recipe.protocol] ?? 'round';
    return ` (${word} ${term})`;
  }

  hello(): DashboardHello {
    return {
      mode: 'cluster',
      title: `${this.recipe.protocol} demo: ${this.recipe.ids.length} nodes over ${this.recipe.network}`,
      protocol: this.recipe.protocol,
      nodes: [...this.recipe.ids],
      chart: this.chart.svg,
      controls: [...this.recipe.controls],
    };
  }

  nodeIds(): ReadonlySet<string> {
    return this.ids;
  }

  frame(cursor: FrameCursor): DashboardFrame {
    const now = Date.now();
    return {
      nodes: this.recipe.ids.map((id) => nodeCard(id, this.live.get(id), this.chart.id, now)),
      links: this.traffic.links(),
      faults: {
        groups: this.faults.groups(),
        links: this.faults.links(),
        counts: this.faults.faultCounts(),
      },
      messages: this.traffic.recent(cursor.messages),
      timeline: this.timeline.since(cursor.timeline),
      messageTotal: this.traffic.total,
    };
  }

  async control(command: ControlCommand): Promise<string> {
    switch (command.type) {
      case 'kill':
        return this.exclusive(command.node, () => this.kill(command.node));
      case 'restart':
        return this.exclusive(command.node, () => this.restart(command.node));
      case 'resign':
        return this.resign(command.node);
      case 'partition': {
        this.faults.partition(command.groups);
        const text = `partition ${command.groups.map((g) => `{${g.join(' ')}}`).join(' | ')}`;
        this.timeline.add('fault', null, text);
        return text;
      }
      case 'heal':
        this.faults.heal();
        this.faults.clearLinks();
        this.timeline.add('fault', null, 'healed: every link whole again');
        return 'healed';
      case 'link': {
        const { from, to, loss, delayMs } = command;
        this.faults.setLink(from, to, { loss, delayMs });
        const text =
          loss === 0 && delayMs === 0
            ? `link ${from} → ${to} cleared`
            : `link ${from} → ${to}: ${Math.round(loss * 100)}% loss, ${delayMs} ms delay`;
        this.timeline.add('fault', null, text);
        return text;
      }
    }
  }

  /** A member is killed or restarted by one command at a time. */
  private async exclusive(id: string, run: () => Promise<string>): Promise<string> {
    if (this.busy.has(id)) throw new ControlError(`${id} is already being killed or restarted`);
    this.busy.add(id);
    try {
      return await run();
    } finally {
      this.busy.delete(id);
    }
  }

  private async kill(id: string): Promise<string> {
    const election = this.live.get(id);
    if (election === undefined) throw new ControlError(`${id} is not running`);
    this.live.delete(id);
    // A crash, not a shutdown: cut off first so a leader's parting handover never lands,
    // and the others find out the way they would after a crash, by silence.
    this.faults.isolate(id);
    try {
      await election.stop();
    } finally {
      this.faults.rejoin(id);
    }
    this.timeline.add('fault', id, `${id} killed`);
    return `${id} killed`;
  }

  private async restart(id: string): Promise<string> {
    if (this.live.has(id)) throw new ControlError(`${id} is already running`);
    try {
      await this.startNode(id);
    } catch (err) {
      throw new ControlError(`${id} could not restart: ${(err as Error).message}`);
    }
    this.timeline.add('control', id, `${id} restarted`);
    return `${id} restarted`;
  }

  private async resign(id: string | undefined): Promise<string> {
    const leaders = [...this.live].filter(
      ([member, e]) => (id === undefined || member === id) && e.status().role === 'leader',
    );
    if (leaders.length === 0) {
      throw new ControlError(id === undefined ? 'no node leads now' : `${id} does not lead`);
    }
    await Promise.all(leaders.map(([, e]) => e.resign()));
    const names = leaders.map(([member]) => member).join(', ');
    this.timeline.add('control', null, `${names} asked to resign`);
    return `${names} resigning`;
  }
}
