/**
 * Why the diag server or a dashboard server turned a request, connection or command away;
 * counted by reason (under `httpRefused` in `/diag`).
 */
export type HttpRefusal =
  | 'cross-origin' // a state-changing request or socket upgrade from another site's page
  | 'unauthorized' // the bearer token was missing or wrong
  | 'connection-limit' // closed on arrival: too many connections open, in all or from its address
  | 'request-timeout' // headers (or the whole request) did not arrive in time: answered 408
  | 'slow-reader' // a dashboard WebSocket that stayed over its send buffer cap, closed
  | 'command-rate'; // a dashboard command beyond the socket's allowance, answered with an error

// A key per reason, so a reason added to HttpRefusal cannot be left out of HTTP_REFUSALS.
const EVERY_HTTP_REFUSAL: Record<HttpRefusal, true> = {
  'cross-origin': true,
  unauthorized: true,
  'connection-limit': true,
  'request-timeout': true,
  'slow-reader': true,
  'command-rate': true,
};

/** Every HttpRefusal, so a metric can report the reasons that have not happened yet as 0. */
export const HTTP_REFUSALS = Object.keys(EVERY_HTTP_REFUSAL) as readonly HttpRefusal[];

/** Counts by reason; a reason that has not happened yet is absent. */
export type HttpRefusals = Partial<Record<HttpRefusal, number>>;

export function countRefusal(counts: HttpRefusals, why: HttpRefusal): void {
  counts[why] = (counts[why] ?? 0) + 1;
}
