import type { Server } from 'node:net';
import type { HostPort } from './address.js';
import type { ListenHooks } from './wire.js';

/** Listens and reports the outcome once: `listening`, or `failed` (EADDRINUSE, EACCES, ...). */
export function startListening(
  server: Server,
  { host, port }: HostPort,
  hooks: Pick<ListenHooks, 'listening' | 'failed'>,
): void {
  let listening = false;
  server.on('error', (error) => {
    // Once listening, errors are transient accept failures (e.g. EMFILE): keep serving.
    if (!listening) hooks.failed(error);
  });
  server.listen({ host, port }, () => {
    listening = true;
    hooks.listening();
  });
}
