import { maskedTextFrame, rawWsUpgrade } from './raw-ws-client.js';

const BATCH = 10_000;
const BATCH_BYTES = Buffer.concat(Array.from({ length: BATCH }, () => maskedTextFrame('x')));

/** What became of a flood: commands written, and whether the server closed the socket. */
export interface FloodOutcome {
  sent: number;
  closed: boolean;
}

/**
 * Opens the dashboard socket at `port` as its own page would and writes one-byte commands
 * (each earns an error reply) without ever reading, until the server hangs up, `maxCommands`
 * are written or `deadlineMs` has passed.
 */
export async function floodWithoutReading(
  port: number,
  { maxCommands = 1_000_000, deadlineMs = 30_000 } = {},
): Promise<FloodOutcome> {
  const client = await rawWsUpgrade(port, undefined, {
    path: '/ws',
    host: `127.0.0.1:${port}`,
    headers: { Origin: `http://127.0.0.1:${port}` },
  });
  const { socket } = client;
  socket.pause();
  const deadline = Date.now() + deadlineMs;
  let sent = 0;
  while (!client.closed() && sent < maxCommands && Date.now() < deadline) {
    sent += BATCH;
    if (socket.write(BATCH_BYTES)) continue;
    // The server stopped reading: wait until it reads again or hangs up.
    await new Promise<void>((resolve) => {
      const done = () => {
        clearTimeout(timer);
        socket.off('drain', done);
        socket.off('close', done);
        resolve();
      };
      const timer = setTimeout(done, 1000);
      socket.once('drain', done);
      socket.once('close', done);
    });
  }
  // Reading again lets the client see a close that came while it was not writing.
  socket.resume();
  const settle = Date.now() + 10_000;
  while (!client.closed() && Date.now() < settle) await new Promise((r) => setTimeout(r, 50));
  const closed = client.closed();
  socket.destroy();
  return { sent, closed };
}
