import { describe, expect, it } from 'vitest';
import { decodeFrame, encodePing } from '../../transports/envelope.js';
import { resolveStreamOptions } from '../../transports/stream-options.js';

const listen = '127.0.0.1:7001';

describe('stream link liveness options', () => {
  it('pings every 500 ms and closes a link silent for 2 s unless told otherwise', () => {
    const o = resolveStreamOptions({ listen });
    expect([o.pingIntervalMs, o.idleTimeoutMs]).toEqual([500, 2000]);
    // A slower ping alone keeps the idle timeout at twice it.
    expect(resolveStreamOptions({ listen, pingIntervalMs: 1500 }).idleTimeoutMs).toBe(3000);
  });

  it('refuses an idle timeout that a quiet link could reach between two pings', () => {
    expect(() => resolveStreamOptions({ listen, pingIntervalMs: 300, idleTimeoutMs: 500 })).toThrow(
      /idleTimeoutMs \(500\) must be at least twice pingIntervalMs \(300\)/,
    );
    expect(() => resolveStreamOptions({ listen, idleTimeoutMs: 0 })).toThrow(/positive integer/);
  });

  it('decodes a ping, and nothing else that merely names one', () => {
    expect(decodeFrame(Buffer.from(encodePing()))).toEqual({ kind: 'ping' });
    expect(decodeFrame(Buffer.from('{"v":1,"ping":"x"}'))).toBeUndefined();
  });
});
