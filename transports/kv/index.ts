export { EtcdStore, type EtcdStoreOptions, etcdStore } from './etcd-store.js';
export type { GroupKeepAlive, KvGroupCapable, KvGroupStore } from './group-types.js';
export { memoryLeases, revokeMemoryLease } from './memory-group.js';
export {
  defaultMemoryStore,
  MemoryStore,
  type MemoryStoreOptions,
  memoryStore,
  type StoreClock,
} from './memory-store.js';
export {
  PostgresStore,
  type PostgresStoreOptions,
  postgresStore,
} from './postgres-store.js';
export { RedisStore, type RedisStoreOptions, redisStore } from './redis-store.js';
export { type KvStoreActorOptions, kvStoreActor, storeSettled } from './store-actor.js';
export { type StoreUrlOptions, storeFromUrl } from './store-url.js';
export {
  type AcquireRequest,
  type AcquireResult,
  type KvHolder,
  type KvStore,
  type KvWatchEvent,
  MissingStoreClientError,
  type WatchOptions,
} from './types.js';
export { ZookeeperStore, type ZookeeperStoreOptions, zookeeperStore } from './zookeeper-store.js';
