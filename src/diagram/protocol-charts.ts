import type { AnyStateMachine } from 'xstate';
import { bullyProtocol } from '../../machines/bully/definition.js';
import { entropyMachine } from '../../machines/entropy/machine.js';
import { kvProtocol } from '../../machines/kv/definition.js';
import { lesProtocol } from '../../machines/les/definition.js';
import { raftProtocol } from '../../machines/raft/definition.js';
import { type Statechart, statechartOf } from './statechart.js';

/** Each protocol's machine, as the runtime runs it. */
const MACHINES: Record<string, AnyStateMachine> = {
  raft: raftProtocol.logic,
  bully: bullyProtocol.logic,
  les: lesProtocol.logic,
  kv: kvProtocol.logic,
  entropy: entropyMachine,
};

export const CHARTED_PROTOCOLS: readonly string[] = Object.keys(MACHINES);

const charts = new Map<string, Statechart>();

/** The statechart of a protocol's machine; undefined for a protocol this build lacks. */
export function protocolChart(protocol: string): Statechart | undefined {
  const machine = Object.hasOwn(MACHINES, protocol) ? MACHINES[protocol] : undefined;
  if (machine === undefined) return undefined;
  let chart = charts.get(protocol);
  if (chart === undefined) {
    chart = statechartOf(machine);
    charts.set(protocol, chart);
  }
  return chart;
}
