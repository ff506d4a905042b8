import { createHash, timingSafeEqual } from 'node:crypto';
import type http from 'node:http';

/** Compared as digests, so neither the time taken nor a length check says how close a guess was. */
function same(given: string, token: string): boolean {
  const digest = (text: string) => createHash('sha256').update(text, 'utf8').digest();
  return timingSafeEqual(digest(given), digest(token));
}

/**
 * Whether the request carries `token`: as `Authorization: Bearer TOKEN`, or, where a browser
 * cannot set headers (a WebSocket), as `?token=TOKEN` when `query` allows it.
 */
export function carriesToken(
  request: http.IncomingMessage,
  token: string,
  options: { query: boolean },
): boolean {
  const header = request.headers.authorization;
  if (header !== undefined) {
    const match = /^Bearer +(\S+)\s*$/i.exec(header);
    return match !== null && same(match[1]!, token);
  }
  if (!options.query) return false;
  let given: string | null;
  try {
    given = new URL(request.url ?? '/', 'http://x').searchParams.get('token');
  } catch {
    return false;
  }
  return given !== null && same(given, token);
}
