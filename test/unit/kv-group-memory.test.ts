import { describe } from 'vitest';
import { MemoryGroup, revokeMemoryLease } from '../../transports/kv/memory-group.js';
import { MemoryStore } from '../../transports/kv/memory-store.js';
import type { KvStore } from '../../transports/kv/types.js';
import { kvGroupSuite } from '../integration/kv-group-suite.js';

const store = new MemoryStore();
let requests = 0;
// A keep-alive is one request however many keys it extends (as one Redis script is).
const keepAlive = MemoryGroup.prototype.keepAlive;
MemoryGroup.prototype.keepAlive = function (this: MemoryGroup, ...args) {
  requests++;
  return keepAlive.apply(this, args);
};
for (const method of ['acquireNow', 'releaseNow', 'readNow', 'inspectNow'] as const) {
  const original = store[method].bind(store) as (...args: unknown[]) => unknown;
  (store as unknown as Record<string, unknown>)[method] = (...args: unknown[]) => {
    requests++;
    return original(...args);
  };
}

kvGroupSuite({
  name: 'election group on the memory store',
  ttlMs: 600,
  restTtlMs: 3000,
  describe,
  rig: async () => ({
    // Two clients of one store, as two processes of one server.
    connect: () => Object.create(store) as KvStore,
    handles: async (keys) =>
      new Set(keys.map((key) => store.inspectNow(key)?.owner ?? 'free')).size,
    kill: async (group, client) => revokeMemoryLease(client as MemoryStore, group.status().lease!),
    requests: async () => requests,
  }),
});
