import {
  type ActorLogic,
  type ActorRefFrom,
  type ActorSystem,
  type AnyActorLogic,
  type AnyActorRef,
  createActor,
  type Snapshot,
} from 'xstate';
import type { DropReason, TransportInput, TransportLogic } from '../../transports/types.js';

export interface NodeInput {
  protocol: unknown;
  transport: TransportInput;
}

export type NodeEvent =
  | { type: 'receive'; from: string; msg: unknown }
  | { type: 'send'; to: string; msg: unknown }
  | { type: 'resign'; to?: string }
  | { type: 'transport.ready' }
  | { type: 'transport.error'; error: Error }
  | { type: 'transport.dropped'; reason: DropReason; from?: string };

export type NodeEmitted =
  | { type: 'received'; from: string }
  | { type: 'transport.ready' }
  | { type: 'transport.error'; error: Error }
  | { type: 'transport.dropped'; reason: DropReason; from?: string };

/** The node's two children, by the ids a machine's `invoke` would give them. */
export interface NodeChildren {
  protocol: AnyActorRef;
  transport: ActorRefFrom<TransportLogic>;
}

/** A node's snapshot: its status, what it was started with, and its two children. */
export type NodeSnapshot = Snapshot<undefined> & { context: NodeInput; children: NodeChildren };

/** The logic of a node: see `createNodeLogic`. */
export type NodeLogic = ActorLogic<
  NodeSnapshot,
  NodeEvent,
  NodeInput,
  ActorSystem<{ actors: Record<string, AnyActorRef> }>,
  NodeEmitted
>;

type XStateEvent = { type: string; error?: unknown };

/**
 * One node: a protocol machine and a transport actor, children of this actor. Inbound
 * messages go from the transport to the protocol through here, so an inspector sees every
 * message reach the node; the runtime sends the protocol's emitted sends to the transport
 * directly. The node has no states of its own, so it is plain actor logic rather than a
 * statechart: a machine would take a full macrostep (transition selection, a microstep,
 * eventless checks) for every message in and out, which was as much work as the protocol's
 * own step on a follower at rest.
 */
export function createNodeLogic(protocol: AnyActorLogic, transport: TransportLogic): NodeLogic {
  return {
    getInitialSnapshot: (scope, input) => ({
      status: 'active',
      output: undefined,
      error: undefined,
      context: input,
      children: {
        protocol: createActor(protocol, {
          id: 'protocol',
          parent: scope.self,
          input: input.protocol,
        }),
        transport: createActor(transport, {
          id: 'transport',
          parent: scope.self,
          input: input.transport,
        }),
      },
    }),
    // In the order a machine starts what it invokes.
    start: (snapshot) => {
      snapshot.children.protocol.start();
      snapshot.children.transport.start();
    },
    transition: (snapshot, event, scope) => {
      const { protocol: protocolRef, transport: transportRef } = snapshot.children;
      // Deferred, as a machine's actions are: they run once this step is committed.
      switch (event.type) {
        case 'receive':
          scope.defer(() => {
            scope.emit({ type: 'received', from: event.from });
            protocolRef.send(event);
          });
          return snapshot;
        case 'resign':
          scope.defer(() => protocolRef.send(event));
          return snapshot;
        case 'send':
          scope.defer(() => transportRef.send(event));
          return snapshot;
        case 'transport.ready':
        case 'transport.error':
        case 'transport.dropped':
          scope.defer(() => scope.emit(event));
          return snapshot;
        default:
          return lifecycle(snapshot, event as XStateEvent, scope.stopChild);
      }
    },
    getPersistedSnapshot: (snapshot) => snapshot,
  };
}

/** XState's own events: stop, and a child that failed, which stops the node as a machine would. */
function lifecycle(
  snapshot: NodeSnapshot,
  event: XStateEvent,
  stopChild: (child: AnyActorRef) => void,
): NodeSnapshot {
  const stopChildren = () => {
    for (const child of [snapshot.children.protocol, snapshot.children.transport]) {
      if (child.getSnapshot().status === 'active') stopChild(child);
    }
  };
  if (event.type === 'xstate.stop') {
    stopChildren();
    return { ...snapshot, status: 'stopped', output: undefined, error: undefined } as NodeSnapshot;
  }
  if (event.type.startsWith('xstate.error.actor')) {
    stopChildren();
    return { ...snapshot, status: 'error', output: undefined, error: event.error } as NodeSnapshot;
  }
  return snapshot;
}
