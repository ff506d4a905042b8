import { parseHostPort } from '../../transports/address.js';
import type { NodeConfig } from './args.js';
import { isLoopback } from './loopback.js';

/**
 * The one-line warning for a member that listens beyond this machine while anyone who
 * reaches the port may claim to be a member; undefined when that is not the case.
 */
export function openListenerWarning(config: NodeConfig): string | undefined {
  let stream: { listen: string; tls: { mutual: boolean } | undefined; secret: boolean };
  if (config.protocol === 'raft') {
    stream = { listen: config.listen, tls: config.tls, secret: hasSecret(config.auth) };
  } else if (config.protocol === 'bully' && config.link.transport !== 'udp') {
    const { link } = config;
    stream = { listen: link.listen, tls: link.tls, secret: hasSecret(link.auth) };
  } else {
    return undefined;
  }
  if (stream.secret || stream.tls?.mutual === true) return undefined;
  if (isLoopback(parseHostPort(stream.listen).host)) return undefined;
  return `electorate: warning: listening on ${stream.listen} with neither --secret nor --tls-mutual: anyone who can reach it can claim to be a member`;
}

function hasSecret(auth: { secret: string | undefined; secretFile: string | undefined }): boolean {
  return auth.secret !== undefined || auth.secretFile !== undefined;
}
