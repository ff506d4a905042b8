import http from 'node:http';

/**
 * Keep-alive connections, so a poll every few milliseconds costs one request and no
 * handshake, and the cost of measuring stays small next to what is measured.
 */
const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });

function request(port, method, path, timeoutMs) {
  return new Promise((resolve) => {
    const req = http.request({ host: '127.0.0.1', port, method, path, agent }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk) => {
        body += chunk;
      });
      res.on('end', () => {
        try {
          resolve({ status: res.statusCode, body: JSON.parse(body) });
        } catch {
          resolve(undefined);
        }
      });
      res.on('error', () => resolve(undefined));
    });
    req.setTimeout(timeoutMs, () => req.destroy());
    // A node that was just killed refuses or resets: that is an answer of "nothing".
    req.on('error', () => resolve(undefined));
    req.end();
  });
}

/** The node's /diag document, or undefined if it did not answer in time. */
export async function fetchDiag(port, timeoutMs = 500) {
  const reply = await request(port, 'GET', '/diag', timeoutMs);
  return reply?.status === 200 ? reply.body : undefined;
}

export async function postResign(port, timeoutMs = 1000) {
  return request(port, 'POST', '/resign', timeoutMs);
}

export function closeConnections() {
  agent.destroy();
}
