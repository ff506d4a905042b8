import { bullyModel } from '../../machines/bully/model.js';
import { kvModel } from '../../machines/kv/model.js';
import { lesModel } from '../../machines/les/model.js';
import type { ProtocolModel } from '../../machines/protocol-model.js';
import { raftModel } from '../../machines/raft/model.js';
import { entropyModel } from './entropy-model.js';

/** The shipped protocols' models, by the name `electorate check` takes. */
export const PROTOCOL_MODELS: Record<string, () => ProtocolModel> = {
  raft: () => raftModel(),
  bully: () => bullyModel(),
  entropy: () => entropyModel(),
  les: () => lesModel(),
  kv: () => kvModel(),
};

/** A shipped protocol's model by the name `electorate check` takes, or undefined. */
export function protocolModel(name: string): ProtocolModel | undefined {
  return Object.hasOwn(PROTOCOL_MODELS, name) ? PROTOCOL_MODELS[name]!() : undefined;
}
