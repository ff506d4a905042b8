import { createElection, type Election, type LesElectionOptions } from '../../src/index.js';
import { httpTransport } from '../../transports/index.js';
import { freePorts } from './free-port.js';

/** One LES node in this process, over HTTP on 127.0.0.1. */
export interface LesNode {
  address: string;
  election: Election;
  startTime: number;
  running: boolean;
  start(): Promise<void>;
  stop(): Promise<void>;
}

export interface LesNodeOptions
  extends Partial<Omit<LesElectionOptions, 'protocol' | 'transport'>> {
  push?: boolean;
}

export function lesNode(address: string, seeds: string[], options: LesNodeOptions = {}): LesNode {
  let election: Election | undefined;
  const node: LesNode = {
    address,
    get election() {
      if (election === undefined) throw new Error(`${address} was never started`);
      return election;
    },
    startTime: 0,
    running: false,
    async start() {
      node.startTime = options.startTime ?? Date.now() / 1000;
      election = createElection({
        protocol: 'les',
        id: address,
        seeds,
        loopMs: 200,
        ...options,
        startTime: node.startTime,
        transport: httpTransport({
          listen: address,
          push: options.push !== false,
          ...(options.stateTimeoutMs === undefined
            ? {}
            : { stateTimeoutMs: options.stateTimeoutMs }),
          ...(options.pingTimeoutMs === undefined ? {} : { pingTimeoutMs: options.pingTimeoutMs }),
        }),
      });
      await election.start();
      node.running = true;
    },
    async stop() {
      if (!node.running) return;
      node.running = false;
      await election?.stop();
    },
  };
  return node;
}

/** `count` addresses on 127.0.0.1 with free ports. */
export async function lesAddresses(count: number): Promise<string[]> {
  return (await freePorts(count)).map((port) => `127.0.0.1:${port}`);
}

/** The leader every running node names, if they all name the same running one that leads. */
export function agreedLeader(nodes: LesNode[]): string | undefined {
  const live = nodes.filter((n) => n.running);
  const leaders = new Set(live.map((n) => n.election.status().leader));
  if (leaders.size !== 1) return undefined;
  const [leader] = leaders;
  const holder = live.find((n) => n.address === leader);
  return holder !== undefined && holder.election.status().role === 'leader'
    ? holder.address
    : undefined;
}
