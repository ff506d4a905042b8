import { enqueueActions, setup } from 'xstate';
import type { ProtocolEmitted, ReceiveEvent } from '../protocol-events.js';
import type { KvHolderInfo, KvReply, KvRequest } from './messages.js';

/**
 * A key-value store with one key and TTL leases, as a statechart, so the checker can run it
 * beside the candidates: acquire creates the key under a fresh lease if it is free (or ours
 * already), renew extends the lease, release and expiry free the key, and every watcher
 * hears each change. Tokens count acquisitions (etcd's revision, ZooKeeper's zxid): the
 * fencing token each leader carries. The lease runs out through a delayed event, so in
 * timed mode it expires at its deadline, give or take the drift.
 */

export interface KvStoreInput {
  candidates: string[];
}

interface Holder extends KvHolderInfo {
  owner: string;
}

export interface KvStoreContext {
  holder: Holder | null;
  /** Acquisitions so far: the last token handed out. */
  tokens: number;
  /** Owner handles handed out so far. */
  owners: number;
  /** Watches in force: who, and the round to answer under. */
  watches: [string, number][];
  candidates: string[];
}

type StoreEvent = ReceiveEvent<KvRequest> | { type: 'expire' };

const reply = (to: string, msg: KvReply) => ({ type: 'send' as const, to, msg });
const info = (h: Holder | null): KvHolderInfo | null =>
  h === null ? null : { value: h.value, token: h.token };

/** The store of the KV-lease model, as a statechart: one key, TTL leases and fencing tokens. */
export const kvStoreMachine = setup({
  types: {
    context: {} as KvStoreContext,
    events: {} as StoreEvent,
    input: {} as KvStoreInput,
    emitted: {} as ProtocolEmitted,
  },
  actions: {
    greet: enqueueActions(({ context, enqueue }) => {
      for (const to of context.candidates) enqueue.emit(reply(to, { type: 'connected', round: 0 }));
    }),
    serve: enqueueActions(({ context, event, enqueue }) => {
      if (event.type !== 'receive') return;
      const { from, msg } = event;
      const notify = (holder: Holder | null) => {
        for (const [to, round] of context.watches) {
          enqueue.emit(reply(to, { type: 'holder', round, holder: info(holder) }));
        }
      };
      switch (msg.type) {
        case 'acquire': {
          const h = context.holder;
          if (h !== null && (msg.owner === null || h.owner !== msg.owner)) {
            enqueue.emit(
              reply(from, { type: 'taken', round: msg.round, holder: info(h), owner: msg.owner }),
            );
            return;
          }
          const owner = msg.owner ?? `${from}#${context.owners + 1}`;
          const holder: Holder = { value: msg.value, token: context.tokens + 1, owner };
          enqueue.assign({
            holder,
            tokens: context.tokens + 1,
            owners: context.owners + (msg.owner === null ? 1 : 0),
          });
          enqueue.cancel('ttl');
          enqueue.raise({ type: 'expire' }, { id: 'ttl', delay: msg.ttlMs });
          enqueue.emit(
            reply(from, { type: 'acquired', round: msg.round, owner, token: holder.token }),
          );
          notify(holder);
          return;
        }
        case 'renew':
          if (context.holder?.owner !== msg.owner) {
            enqueue.emit(reply(from, { type: 'lost', round: msg.round }));
            return;
          }
          enqueue.cancel('ttl');
          enqueue.raise({ type: 'expire' }, { id: 'ttl', delay: msg.ttlMs });
          enqueue.emit(reply(from, { type: 'renewed', round: msg.round }));
          return;
        case 'release':
          enqueue.emit(reply(from, { type: 'released', round: msg.round }));
          if (context.holder?.owner !== msg.owner) return;
          enqueue.assign({ holder: null });
          enqueue.cancel('ttl');
          notify(null);
          return;
        case 'inspect': {
          const h = context.holder;
          enqueue.emit(
            reply(from, {
              type: 'found',
              round: msg.round,
              holder: info(h),
              owner: h?.owner ?? null,
            }),
          );
          return;
        }
        case 'watch':
          enqueue.assign({
            watches: [...context.watches.filter(([to]) => to !== from), [from, msg.round]],
          });
          enqueue.emit(
            reply(from, { type: 'holder', round: msg.round, holder: info(context.holder) }),
          );
          return;
        case 'unwatch':
          enqueue.assign({ watches: context.watches.filter(([to]) => to !== from) });
          return;
      }
    }),
    expire: enqueueActions(({ context, enqueue }) => {
      enqueue.assign({ holder: null });
      for (const [to, round] of context.watches) {
        enqueue.emit(reply(to, { type: 'holder', round, holder: null }));
      }
    }),
  },
}).createMachine({
  id: 'kvStore',
  context: ({ input }) => ({
    holder: null,
    tokens: 0,
    owners: 0,
    watches: [],
    candidates: input.candidates,
  }),
  entry: 'greet',
  on: {
    receive: { actions: 'serve' },
    expire: { actions: 'expire' },
  },
});
