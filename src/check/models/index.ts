import type { ProtocolModel } from '../model.js';
import { bullyModel } from './bully.js';
import { entropyModel } from './entropy.js';
import { kvModel } from './kv.js';
import { lesModel } from './les.js';
import { raftModel } from './raft.js';

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
