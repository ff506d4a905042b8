import type { CallbackActorLogic, EventObject } from 'xstate';

/** A peer as the runtime knows it: a stable id and where to reach it. */
export interface PeerAddress {
  id: string;
  address: string;
}

/**
 * What the runtime hands a transport when it invokes it. `decode` is the protocol's own
 * validator: it returns the typed message, or `undefined` when the payload does not match
 * the protocol's schema (the transport then drops it and reports `invalid`).
 */
export interface TransportInput {
  id: string;
  peers: PeerAddress[];
  /** The protocol's message validator: the typed message, or undefined to drop it as invalid. */
  decode: (msg: unknown) => unknown | undefined;
}

/** Commands the runtime sends to a transport. `to` is a peer id, or `'*'` for every peer. */
export type TransportCommand = { type: 'send'; to: string; msg: unknown };

/** Why an inbound frame was thrown away; counted per reason in `status().dropped`. */
export type DropReason =
  | 'malformed' // not decodable at all (bad framing, bad JSON, bad envelope)
  | 'oversize' // larger than the frame limit
  | 'unknown-peer' // a sender id that is not in the peer list (or forged)
  | 'invalid' // a well-formed envelope whose message fails the protocol schema
  | 'timeout' // a connection that did not finish its handshake or frame in time
  | 'unauthenticated' // failed authentication (bad signature, replay)
  | 'refused' // outside the allowed hosts, past the member limit or the pending-connection cap
  | 'replaced'; // a peer's open link closed for a newer connection that claimed the peer's id

// A key per reason, so a reason added to DropReason cannot be left out of DROP_REASONS.
const EVERY_DROP_REASON: Record<DropReason, true> = {
  malformed: true,
  oversize: true,
  'unknown-peer': true,
  invalid: true,
  timeout: true,
  unauthenticated: true,
  refused: true,
  replaced: true,
};

/** Every DropReason, so a counter can report the reasons that have not happened yet as 0. */
export const DROP_REASONS = Object.keys(EVERY_DROP_REASON) as readonly DropReason[];

/** Events a transport sends back to its parent (the node runtime). */
export type TransportEvent =
  | { type: 'receive'; from: string; msg: unknown }
  | { type: 'transport.ready' }
  | { type: 'transport.error'; error: Error }
  | { type: 'transport.dropped'; reason: DropReason; from?: string };

/**
 * A transport: an XState callback actor that takes `send` commands and sends back `receive`,
 * `transport.ready`, `transport.error` and `transport.dropped` events.
 */
export type TransportLogic = CallbackActorLogic<TransportCommand, TransportInput, EventObject>;

/** The default largest frame a transport accepts: 1 MiB. */
export const DEFAULT_MAX_FRAME_BYTES = 1024 * 1024;
