import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  DatagramOpener,
  type OpenedDatagram,
  type SealOptions,
  sealDatagram,
} from '../../transports/datagram-envelope.js';

const SECRET = Buffer.from('correct horse battery staple');
const NOW = 1_700_000_000_000;
const MAX_AGE = 30_000;
const NONCE = '0123456789abcdef';

function seal(msg: unknown, options: Partial<SealOptions> = {}): Buffer {
  const datagram = sealDatagram(msg, {
    cluster: 'blue',
    from: 'a',
    secret: SECRET,
    ts: NOW,
    nonce: NONCE,
    ...options,
  });
  if (datagram === undefined) throw new Error('could not seal');
  return datagram;
}

/** A receiver up for longer than the age limit, so the limit alone bounds what it accepts. */
function opener(replayMemory?: number, bootedAt = NOW - 2 * MAX_AGE): DatagramOpener {
  return new DatagramOpener({
    cluster: 'blue',
    secret: SECRET,
    maxAgeMs: MAX_AGE,
    bootedAt,
    ...(replayMemory === undefined ? {} : { replayMemory }),
  });
}

const unsigned = (): DatagramOpener => new DatagramOpener({ cluster: 'blue', maxAgeMs: MAX_AGE });

/** Rewrites one envelope field, keeping everything else (including the MAC) as sent. */
function edit(
  datagram: Buffer,
  change: (envelope: Record<string, unknown>) => Record<string, unknown>,
): Buffer {
  const envelope = JSON.parse(datagram.toString('utf8')) as Record<string, unknown>;
  return Buffer.from(JSON.stringify({ ...envelope, ...change(envelope) }));
}

const accepted = (from: string, msg: unknown, to?: string): OpenedDatagram => ({
  ok: true,
  from,
  to,
  msg,
});
const unauthenticated: OpenedDatagram = { ok: false, reason: 'unauthenticated' };
const malformed: OpenedDatagram = { ok: false, reason: 'malformed' };

describe('sealDatagram', () => {
  it('writes the version 1 envelope, unsigned without a secret', () => {
    const datagram = seal({ n: 1 }, { secret: undefined });
    expect(JSON.parse(datagram.toString())).toEqual({
      v: 1,
      cluster: 'blue',
      from: 'a',
      ts: NOW,
      nonce: NONCE,
      msg: { n: 1 },
    });
  });

  it('signs HMAC-SHA256 over the JSON array [v, cluster, from, ts, nonce, msg]', () => {
    const msg = { type: 'election', pid: '7', address: '10.0.0.7', note: 'é "quoted"' };
    const envelope = JSON.parse(seal(msg).toString()) as { mac: string };
    const canonical = JSON.stringify([1, 'blue', 'a', NOW, NONCE, msg]);
    const expected = createHmac('sha256', SECRET).update(canonical).digest('hex');
    expect(envelope.mac).toBe(expected);
  });

  it('names the addressee of a datagram for one member, and signs it after the msg', () => {
    const envelope = JSON.parse(seal({ n: 1 }, { to: 'c' }).toString()) as Record<string, unknown>;
    expect(envelope.to).toBe('c');
    const canonical = JSON.stringify([1, 'blue', 'a', NOW, NONCE, { n: 1 }, 'c']);
    expect(envelope.mac).toBe(createHmac('sha256', SECRET).update(canonical).digest('hex'));
  });

  it('draws a fresh 16-hex-digit nonce and the current time by default', () => {
    const before = Date.now();
    const one = sealDatagram(1, { cluster: 'blue', from: 'a' });
    const two = sealDatagram(1, { cluster: 'blue', from: 'a' });
    const a = JSON.parse(String(one)) as { nonce: string; ts: number };
    const b = JSON.parse(String(two)) as { nonce: string; ts: number };
    expect(a.nonce).toMatch(/^[0-9a-f]{16}$/);
    expect(a.nonce).not.toBe(b.nonce);
    expect(a.ts).toBeGreaterThanOrEqual(before);
    expect(a.ts).toBeLessThanOrEqual(Date.now());
  });

  it('returns undefined for what JSON cannot carry', () => {
    const cycle: Record<string, unknown> = {};
    cycle.self = cycle;
    for (const msg of [undefined, cycle, 1n, () => {}, Symbol('x')]) {
      expect(sealDatagram(msg, { cluster: 'blue', from: 'a' })).toBeUndefined();
    }
  });
});

describe('DatagramOpener with a secret', () => {
  it('accepts what was sealed with the same secret', () => {
    expect(opener().open(seal({ n: 1 }), NOW)).toEqual(accepted('a', { n: 1 }));
  });

  it('reports the addressee of a datagram for one member', () => {
    expect(opener().open(seal({ n: 1 }, { to: 'c' }), NOW)).toEqual(accepted('a', { n: 1 }, 'c'));
    expect(unsigned().open(seal({ n: 1 }, { to: 'c', secret: undefined }), NOW)).toEqual(
      accepted('a', { n: 1 }, 'c'),
    );
  });

  it('rejects a datagram whose addressee was removed, added or changed on the way', () => {
    const { to: _, ...stripped } = JSON.parse(seal({ n: 1 }, { to: 'c' }).toString());
    expect(opener().open(Buffer.from(JSON.stringify(stripped)), NOW)).toEqual(unauthenticated);
    expect(
      opener().open(
        edit(seal({ n: 1 }), () => ({ to: 'c' })),
        NOW,
      ),
    ).toEqual(unauthenticated);
    expect(
      opener().open(
        edit(seal({ n: 1 }, { to: 'c' }), () => ({ to: 'd' })),
        NOW,
      ),
    ).toEqual(unauthenticated);
  });

  it('verifies whatever the field order and spacing of the envelope', () => {
    const { mac } = JSON.parse(seal({ b: 1, a: [2, 3] }).toString()) as { mac: string };
    const reordered = `{ "mac": "${mac}", "msg": { "b": 1, "a": [ 2, 3 ] }, "nonce": "${NONCE}",
      "ts": ${NOW}, "from": "a", "cluster": "blue", "v": 1 }`;
    expect(opener().open(Buffer.from(reordered), NOW)).toEqual(accepted('a', { b: 1, a: [2, 3] }));
  });

  it.each<[string, (e: Record<string, unknown>) => Record<string, unknown>]>([
    ['msg', () => ({ msg: { n: 2 } })],
    ['from', () => ({ from: 'b' })],
    ['ts', () => ({ ts: NOW + 1 })],
    ['nonce', () => ({ nonce: 'fedcba9876543210' })],
    [
      'mac',
      (e) => ({ mac: `${String(e.mac).startsWith('0') ? '1' : '0'}${String(e.mac).slice(1)}` }),
    ],
  ])('rejects a datagram whose %s was changed', (_field, change) => {
    const datagram = edit(seal({ n: 1 }), change);
    expect(opener().open(datagram, NOW)).toEqual(unauthenticated);
  });

  it('rejects a flipped byte anywhere inside the msg, from or ts', () => {
    const datagram = seal({ n: 123456 });
    const text = datagram.toString();
    for (const token of ['123456', '"a"', String(NOW)]) {
      const at = text.indexOf(token) + Math.floor(token.length / 2);
      const tampered = Buffer.from(datagram);
      tampered[at] = tampered[at]! ^ 0x01;
      expect(opener().open(tampered, NOW)).toEqual(unauthenticated);
    }
  });

  it('rejects a datagram signed with another secret', () => {
    const datagram = seal({ n: 1 }, { secret: Buffer.from('another secret') });
    expect(opener().open(datagram, NOW)).toEqual(unauthenticated);
  });

  it('rejects a datagram with no mac', () => {
    const datagram = seal({ n: 1 }, { secret: undefined });
    expect(opener().open(datagram, NOW)).toEqual(unauthenticated);
  });

  it('rejects a replay, but not the same nonce from another sender', () => {
    const receiver = opener();
    expect(receiver.open(seal({ n: 1 }), NOW)).toEqual(accepted('a', { n: 1 }));
    expect(receiver.open(seal({ n: 1 }), NOW + 5)).toEqual(unauthenticated);
    expect(receiver.open(seal({ n: 1 }, { from: 'b' }), NOW)).toEqual(accepted('b', { n: 1 }));
  });

  it('after a restart, refuses what was signed before it started, however fresh', () => {
    // Captured 1 s before the receiver restarted: well inside the age limit, and the new
    // process has no memory of its nonce.
    const receiver = opener(undefined, NOW);
    expect(receiver.open(seal({ n: 1 }, { ts: NOW - 1000 }), NOW + 100)).toEqual(unauthenticated);
    expect(receiver.open(seal({ n: 1 }, { ts: NOW }), NOW + 100)).toEqual(unauthenticated);
    expect(receiver.open(seal({ n: 2 }, { ts: NOW + 1 }), NOW + 100)).toEqual(
      accepted('a', { n: 2 }),
    );
  });

  it('rejects a stale timestamp and accepts one exactly at the limit', () => {
    expect(opener().open(seal(1, { ts: NOW - MAX_AGE - 1 }), NOW)).toEqual(unauthenticated);
    expect(opener().open(seal(1, { ts: NOW - MAX_AGE }), NOW)).toEqual(accepted('a', 1));
  });

  it('rejects a timestamp too far in the future and accepts one at the limit', () => {
    expect(opener().open(seal(1, { ts: NOW + MAX_AGE + 1 }), NOW)).toEqual(unauthenticated);
    expect(opener().open(seal(1, { ts: NOW + MAX_AGE }), NOW)).toEqual(accepted('a', 1));
  });

  it('keeps rejecting a replay once it has aged out of memory', () => {
    const receiver = opener();
    const datagram = seal(1);
    expect(receiver.open(datagram, NOW)).toEqual(accepted('a', 1));
    // Accepting a later datagram makes the receiver forget the first one...
    receiver.open(seal(2, { nonce: 'aaaaaaaaaaaaaaaa', ts: NOW + MAX_AGE }), NOW + MAX_AGE + 1);
    // ...which is then refused even if the receiver's clock steps back.
    expect(receiver.open(datagram, NOW)).toEqual(unauthenticated);
  });

  it('stays replay-proof when a flood overflows its memory', () => {
    const receiver = opener(2);
    const nonce = (i: number) => i.toString(16).padStart(16, '0');
    const sent = [1, 2, 3].map((i) => seal(i, { nonce: nonce(i), ts: NOW + i }));
    for (const [i, datagram] of sent.entries()) {
      expect(receiver.open(datagram, NOW + 10)).toEqual(accepted('a', i + 1));
    }
    // The first was pushed out; remembering its timestamp as a floor still refuses it.
    for (const datagram of sent) expect(receiver.open(datagram, NOW + 10)).toEqual(unauthenticated);
    expect(receiver.open(seal(4, { nonce: nonce(4), ts: NOW + 4 }), NOW + 10)).toEqual(
      accepted('a', 4),
    );
  });

  it('drops a wrong cluster as an unknown peer, before checking the mac', () => {
    expect(opener().open(seal(1, { cluster: 'green' }), NOW)).toEqual({
      ok: false,
      reason: 'unknown-peer',
      from: 'a',
    });
    const forged = edit(seal(1), () => ({ cluster: 'green' }));
    expect(opener().open(forged, NOW)).toMatchObject({ ok: false, reason: 'unknown-peer' });
  });

  it('drops a deeply nested msg as malformed instead of overflowing the stack', () => {
    const depth = 30_000;
    const text = `{"v":1,"cluster":"blue","from":"a","ts":${NOW},"nonce":"${NONCE}","mac":"${'0'.repeat(64)}","msg":${'['.repeat(depth)}${']'.repeat(depth)}}`;
    expect(opener().open(Buffer.from(text), NOW)).toEqual(malformed);
  });
});

describe('DatagramOpener without a secret', () => {
  it('accepts unsigned datagrams, and signed ones from a node that has a secret', () => {
    expect(unsigned().open(seal(1, { secret: undefined }), NOW)).toEqual(accepted('a', 1));
    expect(unsigned().open(seal(1), NOW)).toEqual(accepted('a', 1));
  });

  it('makes no freshness or replay checks', () => {
    const receiver = unsigned();
    const old = seal(1, { secret: undefined, ts: 0 });
    expect(receiver.open(old, NOW)).toEqual(accepted('a', 1));
    expect(receiver.open(old, NOW)).toEqual(accepted('a', 1));
  });

  it('still drops a wrong cluster as an unknown peer', () => {
    expect(unsigned().open(seal(1, { cluster: 'green' }), NOW)).toEqual({
      ok: false,
      reason: 'unknown-peer',
      from: 'a',
    });
  });
});

describe('DatagramOpener on malformed input', () => {
  const base = JSON.parse(seal({ n: 1 }, { secret: undefined }).toString()) as Record<
    string,
    unknown
  >;
  const variant = (change: Record<string, unknown>, drop: string[] = []): Buffer => {
    const envelope: Record<string, unknown> = { ...base, ...change };
    for (const key of drop) delete envelope[key];
    return Buffer.from(JSON.stringify(envelope));
  };

  it.each<[string, Buffer]>([
    ['empty', Buffer.alloc(0)],
    ['random bytes', Buffer.from([0xff, 0xfe, 0x00, 0x13, 0x37])],
    ['not UTF-8 inside a string', Buffer.from([0x7b, 0x22, 0xc3, 0x28, 0x22, 0x7d])],
    ['truncated JSON', seal({ n: 1 }).subarray(0, 40)],
    ['64 KiB of garbage', Buffer.alloc(65_507, 0x41)],
    ['a JSON array', Buffer.from('[1,"blue","a"]')],
    ['a JSON string', Buffer.from('"hello"')],
    ['JSON null', Buffer.from('null')],
    ['version 2', variant({ v: 2 })],
    ['version as a string', variant({ v: '1' })],
    ['no version', variant({}, ['v'])],
    ['no cluster', variant({}, ['cluster'])],
    ['a numeric cluster', variant({ cluster: 7 })],
    ['no from', variant({}, ['from'])],
    ['an empty from', variant({ from: '' })],
    ['no ts', variant({}, ['ts'])],
    ['a fractional ts', variant({ ts: NOW + 0.5 })],
    ['a negative ts', variant({ ts: -1 })],
    ['a string ts', variant({ ts: String(NOW) })],
    ['no nonce', variant({}, ['nonce'])],
    ['a short nonce', variant({ nonce: '0123' })],
    ['an upper-case nonce', variant({ nonce: '0123456789ABCDEF' })],
    ['no msg', variant({}, ['msg'])],
    ['a mac that is not hex', variant({ mac: 'z'.repeat(64) })],
    ['a short mac', variant({ mac: 'ab' })],
    ['an unknown field', variant({ reply: 'b' })],
    ['an empty addressee', variant({ to: '' })],
    ['a numeric addressee', variant({ to: 2 })],
    ['a __proto__ field', Buffer.from(`{"__proto__":{},${JSON.stringify(base).slice(1)}`)],
  ])('drops %s', (_label, datagram) => {
    expect(opener().open(datagram, NOW)).toEqual(malformed);
    expect(unsigned().open(datagram, NOW)).toEqual(malformed);
  });
});
