import { drawBetween } from '../../machines/seeded-random.js';
import type { ChaosProtocol, NemesisKind } from './history.js';

/**
 * The fault schedule, drawn from a seed alone: the same seed gives the same kinds, variants,
 * durations and gaps. Which node a fault hits ("the leader") is resolved when it is applied,
 * from what the run observes then.
 */
export interface FaultPlan {
  nemesis: NemesisKind;
  variant: string;
  /** How long the fault lasts before it is healed (for kill and restart: time down). */
  durationMs: number;
  /** Quiet time after the heal, in which recovery is measured. */
  gapMs: number;
  /** Loss percentage, delay in ms, or clock jump in seconds (negative: backwards). */
  magnitude?: number;
}

export interface ScheduleOptions {
  seed: number;
  protocol: ChaosProtocol;
  nemeses: readonly NemesisKind[];
  /** Stop after this many faults, or when the faults fill this many milliseconds. */
  faults?: number;
  seconds?: number;
  /** The longest a deposed leader may keep believing it leads (lease, TTL, detection). */
  staleMs: number;
  /** kv: whether the store is a cluster (a member can be lost). */
  storeCluster?: boolean;
}

/** The nemeses that mean something for a protocol (a disk fault needs durable votes). */
export function nemesesFor(protocol: ChaosProtocol): NemesisKind[] {
  const all: NemesisKind[] = ['partition', 'one-way', 'loss', 'pause', 'kill', 'restart', 'clock'];
  if (protocol === 'raft') all.push('disk');
  // A KV election's only network is its store client: there is no peer link to slow.
  if (protocol === 'kv') all.push('store');
  else all.push('delay');
  return all;
}

function variants(kind: NemesisKind, options: ScheduleOptions): string[] {
  const kv = options.protocol === 'kv';
  switch (kind) {
    case 'partition':
      return kv
        ? ['leader-isolated', 'random-halves']
        : ['random-halves', 'leader-isolated', 'majority-minority', 'bridge'];
    case 'one-way':
      return ['leader-deaf'];
    case 'loss':
      return ['inbound'];
    case 'delay':
      return ['leader', 'everyone'];
    case 'pause':
      return ['leader'];
    case 'kill':
      return ['leader', 'random'];
    case 'restart':
      return ['leader', 'random'];
    case 'clock':
      return ['leader-forward', 'leader-backward'];
    case 'disk':
      return ['leader', 'follower'];
    case 'store':
      return options.storeCluster
        ? ['kill-leader-member', 'kill-minority-member', 'pause-leader-member']
        : ['pause', 'kill-restart'];
  }
}

/** Draws a run's fault schedule from its seed: the same seed gives the same faults. */
export function planFaults(options: ScheduleOptions): FaultPlan[] {
  if (options.nemeses.length === 0) return [];
  let state = options.seed | 0;
  const draw = (min: number, max: number) => {
    const r = drawBetween(state, min, max);
    state = r.state;
    return r.value;
  };
  const pick = <T>(items: readonly T[]): T => items[draw(0, items.length - 1)]!;
  const plans: FaultPlan[] = [];
  let elapsed = 0;
  const budget = options.seconds === undefined ? Number.POSITIVE_INFINITY : options.seconds * 1000;
  const count = options.faults ?? Number.POSITIVE_INFINITY;
  // Each kind takes its turn in a seeded order before any repeats, so a short run still
  // sees every nemesis it was given.
  let round: NemesisKind[] = [];
  while (plans.length < count) {
    if (round.length === 0) {
      round = [...options.nemeses];
      for (let i = round.length - 1; i > 0; i--) {
        const j = draw(0, i);
        [round[i], round[j]] = [round[j]!, round[i]!];
      }
    }
    const nemesis = round.shift()!;
    const variant = pick(variants(nemesis, options));
    const stale = options.staleMs;
    const plan: FaultPlan = {
      nemesis,
      variant,
      durationMs:
        nemesis === 'pause'
          ? draw(stale * 2, stale * 2 + 2000)
          : nemesis === 'kill' || nemesis === 'restart'
            ? draw(300, 2000)
            : draw(2000, 5000),
      gapMs: draw(3000, 5000),
    };
    if (nemesis === 'loss') plan.magnitude = draw(20, 50);
    if (nemesis === 'delay') plan.magnitude = draw(50, 500);
    if (nemesis === 'clock') {
      plan.magnitude = draw(30, 3600) * (variant.endsWith('backward') ? -1 : 1);
    }
    if (elapsed + plan.durationMs + plan.gapMs > budget && plans.length > 0) break;
    elapsed += plan.durationMs + plan.gapMs;
    plans.push(plan);
  }
  return plans;
}
