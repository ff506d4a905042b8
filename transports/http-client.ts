import http from 'node:http';

/** Why a request to a peer gave no usable answer. */
export type FetchFailure = 'unreachable' | 'status' | 'oversize' | 'malformed' | 'timeout';

export type FetchResult = { ok: true; body: string } | { ok: false; failure: FetchFailure };

export interface HttpClientOptions {
  /** Larger response bodies are abandoned (default 64 KiB). */
  maxBodyBytes: number;
}

const RETRYABLE = new Set(['ECONNRESET', 'EPIPE']);

/**
 * GETs over a keep-alive agent. Each request has its own deadline and settles exactly once;
 * a refused connection settles at once, so a dead peer is noticed without waiting.
 */
export class HttpClient {
  private readonly agent = new http.Agent({ keepAlive: true, maxSockets: 8, maxFreeSockets: 4 });
  private readonly inflight = new Set<http.ClientRequest>();
  private closed = false;

  constructor(private readonly options: HttpClientOptions) {}

  get(address: string, path: string, timeoutMs: number): Promise<FetchResult> {
    return new Promise((resolve) => {
      const deadline = Date.now() + timeoutMs;
      const attempt = (retry: boolean): void => {
        if (this.closed) {
          resolve({ ok: false, failure: 'unreachable' });
          return;
        }
        let settled = false;
        const settle = (result: FetchResult): void => {
          if (settled) return;
          settled = true;
          clearTimeout(timer);
          this.inflight.delete(req);
          resolve(result);
        };
        let req: http.ClientRequest;
        try {
          req = http.get(`http://${address}${path}`, {
            agent: this.agent,
            headers: { accept: 'application/json, text/plain' },
          });
        } catch {
          resolve({ ok: false, failure: 'unreachable' });
          return;
        }
        this.inflight.add(req);
        const timer = setTimeout(
          () => {
            settle({ ok: false, failure: 'timeout' });
            req.destroy();
          },
          Math.max(1, deadline - Date.now()),
        );
        req.on('error', (err: NodeJS.ErrnoException) => {
          // A pooled connection the server had just closed: the request never reached it.
          if (retry && req.reusedSocket && RETRYABLE.has(err.code ?? '') && !settled) {
            settled = true;
            clearTimeout(timer);
            this.inflight.delete(req);
            attempt(false);
            return;
          }
          settle({ ok: false, failure: 'unreachable' });
        });
        req.on('response', (res) => {
          if (res.statusCode !== 200) {
            res.resume();
            settle({ ok: false, failure: 'status' });
            return;
          }
          const chunks: Buffer[] = [];
          let size = 0;
          res.on('data', (chunk: Buffer) => {
            size += chunk.length;
            if (size > this.options.maxBodyBytes) {
              settle({ ok: false, failure: 'oversize' });
              req.destroy();
              return;
            }
            chunks.push(chunk);
          });
          res.on('end', () => {
            const body = Buffer.concat(chunks);
            const text = body.toString('utf8');
            // Invalid UTF-8 decodes to replacement characters, which valid input never has.
            if (text.includes('\uFFFD') && !body.includes(Buffer.from('\uFFFD'))) {
              settle({ ok: false, failure: 'malformed' });
            } else {
              settle({ ok: true, body: text });
            }
          });
          res.on('error', () => settle({ ok: false, failure: 'unreachable' }));
          // A connection that drops mid-body ends the response without 'end'.
          res.on('close', () => {
            if (!res.complete) settle({ ok: false, failure: 'unreachable' });
          });
        });
      };
      attempt(true);
    });
  }

  close(): void {
    this.closed = true;
    for (const req of this.inflight) req.destroy();
    this.inflight.clear();
    this.agent.destroy();
  }
}
