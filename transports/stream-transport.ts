import { fromCallback } from 'xstate';
import { resolveStreamOptions, type StreamTransportOptions } from './stream-options.js';
import { StreamSession } from './stream-session.js';
import type { TransportCommand, TransportInput, TransportLogic } from './types.js';
import type { StreamDriverFactory } from './wire.js';

/**
 * Wraps a socket driver into transport logic. Options are checked here, at construction,
 * so a typo in `listen` fails where it was written rather than inside a running actor.
 */
export function createStreamTransport(
  label: string,
  options: StreamTransportOptions,
  createDriver: StreamDriverFactory,
): TransportLogic {
  const resolved = resolveStreamOptions(options);
  return fromCallback<TransportCommand, TransportInput>(({ input, receive, sendBack }) => {
    const session = new StreamSession(label, resolved, input, sendBack, createDriver);
    receive((command) => session.send(command));
    session.start();
    return () => session.stop();
  });
}
