import { createSocket } from 'node:dgram';
import { comparePriority } from '../../machines/bully/machine.js';
import type { BullyKind } from '../../machines/bully/messages.js';
import { decodeMultibully, encodeMultibully } from '../../transports/index.js';

/** multibully's election timeout: a node that hears no OK for this long leads. */
export const MULTIBULLY_ELECTION_MS = 2000;

export interface MultibullyPeer {
  /** Elections started, the first included: each Coordinator from a lower node restarts one. */
  readonly elections: () => number;
  readonly leads: () => boolean;
  stop(): void;
}

/**
 * A stand-in for a node of the Go multibully library on the group, which the tests cannot
 * run: the 128-byte format and multibully's timing. It stands at once; an OK from a higher
 * node makes it wait; a Coordinator from a lower node restarts its election (and its
 * 2-second timer); one from a higher node makes it follow; when the timer runs out it
 * leads, and as leader answers a lower node's Election with OK and a Coordinator.
 */
export async function startMultibullyPeer(options: {
  group: { host: string; port: number };
  iface: string;
  pid: string;
  address: string;
}): Promise<MultibullyPeer> {
  const me = { pid: options.pid, address: options.address };
  const socket = createSocket({ type: 'udp4', reuseAddr: true });
  await new Promise<void>((resolve) => socket.bind(options.group.port, resolve));
  socket.addMembership(options.group.host, options.iface);
  socket.setMulticastInterface(options.iface);
  socket.setMulticastLoopback(true);
  let elections = 0;
  let leading = false;
  let timer: NodeJS.Timeout | undefined;
  const say = (type: BullyKind) =>
    socket.send(encodeMultibully({ type, ...me }), options.group.port, options.group.host);
  const elect = () => {
    elections++;
    leading = false;
    clearTimeout(timer);
    say('election');
    timer = setTimeout(() => {
      leading = true;
      say('coordinator');
    }, MULTIBULLY_ELECTION_MS);
  };
  socket.on('message', (datagram) => {
    const msg = decodeMultibully(datagram);
    if (msg === undefined || (msg.pid === me.pid && msg.address === me.address)) return;
    const higher = comparePriority(msg, me) > 0;
    if (msg.type === 'election' && !higher) {
      say('ok');
      if (leading) say('coordinator');
    } else if (msg.type === 'ok' && higher) {
      clearTimeout(timer);
    } else if (msg.type === 'coordinator') {
      if (higher) {
        clearTimeout(timer);
        leading = false;
      } else {
        elect();
      }
    }
  });
  elect();
  return {
    elections: () => elections,
    leads: () => leading,
    stop() {
      clearTimeout(timer);
      socket.close();
    },
  };
}
