import { type TransportLogic, udpMulticastTransport } from '../../transports/index.js';
import { createElection, type Election } from '../runtime/election.js';
import { type BuildHooks, wrapped } from './build-hooks.js';
import { type BullyNodeConfig, bullyNodeConfig, type UdpLink } from './bully-args.js';
import { errorMessage } from './error-message.js';
import { BULLY_ONLY_FLAGS } from './node-flags.js';
import type { NodeProtocol } from './node-protocol.js';
import { readSecretFile } from './secret-file.js';
import { streamTransport } from './stream-transport.js';
import { UsageError } from './usage-error.js';

function multicastTransport(config: BullyNodeConfig, link: UdpLink): TransportLogic {
  const secret = link.secretFile === undefined ? link.secret : readSecretFile(link.secretFile);
  return udpMulticastTransport({
    group: link.group,
    ttl: link.ttl,
    format: link.format,
    ...(link.iface === undefined ? {} : { iface: link.iface }),
    ...(link.cluster === undefined ? {} : { cluster: link.cluster }),
    ...(secret === undefined ? {} : { secret }),
    // Multibully datagrams carry no sender id: these recognise our own as they loop back.
    ...(link.format === 'multibully' ? { pid: config.pid, address: config.address } : {}),
  });
}

/** A Bully member as the command line describes it; nothing runs until it is started. */
export function bullyElection(config: BullyNodeConfig, hooks: BuildHooks = {}): Election {
  const { link } = config;
  try {
    const transport = wrapped(
      link.transport === 'udp'
        ? multicastTransport(config, link)
        : streamTransport(link.transport, link.listen, link.tls, link.auth),
      hooks,
    );
    return createElection({
      protocol: 'bully',
      id: config.id,
      pid: config.pid,
      address: config.address,
      preempt: config.preempt,
      ...config.timing,
      ...(link.transport === 'udp' ? {} : { peers: link.peers }),
      transport,
    });
  } catch (err) {
    if (err instanceof UsageError) throw err;
    // Everything the transport and createElection check comes from the command line.
    throw new UsageError(errorMessage(err));
  }
}

/** `--protocol bully`, as `electorate node` runs it. */
export const bullyNode: NodeProtocol<BullyNodeConfig> = {
  flags: BULLY_ONLY_FLAGS,
  config: bullyNodeConfig,
  build: (config, _sink, hooks) => bullyElection(config, hooks),
  leaderDetails: true,
};
