import type { CheckBounds, ProtocolModel } from '../../machines/protocol-model.js';
import type { Counterexample } from './counterexample.js';
import { type ExploreOptions, type ExploreResult, explore } from './explorer.js';
import { exploreParallel } from './parallel.js';
import { protocolModel } from './protocol-models.js';

export { type BullyModelOptions, bullyModel } from '../../machines/bully/model.js';
export { type KvModelOptions, kvModel, TIMED_KV_TIMING } from '../../machines/kv/model.js';
export { kvStoreMachine } from '../../machines/kv/model-store.js';
export { type LesModelOptions, lesModel } from '../../machines/les/model.js';
export {
  type CheckBounds,
  type ClusterView,
  clusterIds,
  DEFAULT_BOUNDS,
  describeMessage,
  type FaultKinds,
  type InFlightView,
  type Invariant,
  type NodeInputArgs,
  type NodeView,
  type ProtocolModel,
  type Rename,
} from '../../machines/protocol-model.js';
export { type RaftModelOptions, raftModel } from '../../machines/raft/model.js';
export {
  type Counterexample,
  counterexampleJson,
  formatSteps,
  mermaidDiagram,
  parseCounterexample,
} from './counterexample.js';
export { type EntropyModelOptions, entropyModel } from './entropy-model.js';
export {
  DEADLOCK,
  type ExploreOptions,
  type ExploreResult,
  explore,
  type Progress,
} from './explorer.js';
export { defaultWorkers, exploreParallel, MAX_THREADS } from './parallel.js';
export { PROTOCOL_MODELS, protocolModel } from './protocol-models.js';
export { type ReplayResult, replay } from './replay.js';
export { type CheckStep, describeStep } from './steps.js';

/** Options of `modelCheck`: bounds, progress reports and symmetry reduction. */
export interface ModelCheckOptions extends Partial<CheckBounds> {
  /** Called now and then during the search with its progress. */
  onProgress?: ExploreOptions['onProgress'];
  /** States between progress calls (default 50,000). */
  progressEvery?: number;
  /** Set false to turn symmetry reduction off. */
  symmetry?: boolean;
  /**
   * Set false for the exact search: no reduction beyond untimed symmetry (see
   * `ExploreOptions.reduce`).
   */
  reduce?: boolean;
  /**
   * Threads to search on (default 1, deterministic). More than one needs a shipped
   * protocol given by name, which each thread builds for itself.
   */
  workers?: number;
}

/** What `modelCheck` returns. */
export interface ModelCheckResult extends ExploreResult {
  /** The shortest path to the violation, ready to print, save or replay. */
  counterexample?: Counterexample;
}

/**
 * Explores every state of a small cluster running `protocol` (a shipped protocol's name,
 * or a model of any machine) within the bounds, checking every invariant in every state.
 */
export function modelCheck(
  protocol: string | ProtocolModel,
  options: ModelCheckOptions = {},
): ModelCheckResult {
  const model = typeof protocol === 'string' ? protocolModel(protocol) : protocol;
  if (model === undefined) throw new RangeError(`no model of protocol ${JSON.stringify(protocol)}`);
  const { onProgress, progressEvery, symmetry, reduce, workers = 1, ...bounds } = options;
  const settings = {
    bounds,
    ...(progressEvery === undefined ? {} : { progressEvery }),
    ...(onProgress === undefined ? {} : { onProgress }),
    ...(symmetry === undefined ? {} : { symmetry }),
    ...(reduce === undefined ? {} : { reduce }),
  };
  if (workers !== 1 && typeof protocol !== 'string') {
    throw new RangeError('a search on several threads needs a shipped protocol, by name');
  }
  const result =
    workers === 1
      ? explore(model, settings)
      : exploreParallel(protocol as string, workers, settings);
  if (result.violation === undefined) return result;
  return {
    ...result,
    counterexample: {
      protocol: model.name,
      bounds: result.bounds,
      ...(model.ids === undefined ? {} : { ids: result.ids }),
      invariant: result.violation.invariant,
      message: result.violation.message,
      steps: result.violation.steps,
    },
  };
}
