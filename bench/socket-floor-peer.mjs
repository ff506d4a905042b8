// One process of the socket floor measurement (see socket-floor.mjs).
//   node socket-floor-peer.mjs echo          listens, writes back every chunk it reads
//   node socket-floor-peer.mjs beat MS PORTS writes a frame to each port every MS
import net from 'node:net';

const [role, ...args] = process.argv.slice(2);
// About the size of a heartbeat frame on the wire.
const FRAME = Buffer.alloc(64, 0x20);

if (role === 'echo') {
  const server = net.createServer((socket) => {
    socket.setNoDelay(true);
    socket.on('data', (chunk) => socket.write(chunk));
    socket.on('error', () => {});
  });
  server.listen(0, '127.0.0.1', () => process.send?.(server.address().port));
} else if (role === 'beat') {
  const [ms, ...ports] = args.map(Number);
  const sockets = ports.map((port) => {
    const socket = net.connect(port, '127.0.0.1');
    socket.setNoDelay(true);
    socket.on('data', () => {});
    socket.on('error', () => {});
    return socket;
  });
  setInterval(() => {
    for (const socket of sockets) socket.write(FRAME);
  }, ms);
  process.send?.('ready');
} else {
  process.exit(2);
}
