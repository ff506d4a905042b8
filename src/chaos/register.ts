import net from 'node:net';
import { decideWrite, type RegisterState } from './fenced-register.js';
import { monotonicMs } from './monotonic.js';

/**
 * The fenced register as a process: the resource leaders act on. Every write is logged on
 * stdout, stamped on arrival, accepted or not. It runs as its own process so that nothing a
 * node does can bend its log.
 */
function serve(host: string, port: number): void {
  const state: RegisterState = { newest: null };
  const server = net.createServer((socket) => {
    socket.setNoDelay(true);
    let buffered = '';
    socket.on('data', (chunk) => {
      const at = monotonicMs();
      buffered += chunk.toString();
      let nl = buffered.indexOf('\n');
      while (nl >= 0) {
        const line = buffered.slice(0, nl);
        buffered = buffered.slice(nl + 1);
        nl = buffered.indexOf('\n');
        let write: { node?: unknown; incarnation?: unknown; token?: unknown };
        try {
          write = JSON.parse(line) as typeof write;
        } catch {
          continue;
        }
        const token = typeof write.token === 'number' ? write.token : null;
        const { accepted, newest } = decideWrite(state, token);
        process.stdout.write(
          `${JSON.stringify({ kind: 'write', node: String(write.node), incarnation: Number(write.incarnation), at, token, accepted, newest })}\n`,
        );
        socket.write(accepted ? 'ok\n' : 'stale\n');
      }
    });
    socket.on('error', () => {});
  });
  server.listen(port, host, () =>
    process.stdout.write(`${JSON.stringify({ kind: 'listening' })}\n`),
  );
  process.once('SIGTERM', () => server.close(() => process.exit(0)));
}

const [host, port] = (process.argv[2] ?? '').split(':');
serve(host ?? '127.0.0.1', Number(port));
