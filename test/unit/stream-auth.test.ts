import { describe, expect, it } from 'vitest';
import {
  type AuthChannel,
  type AuthIntent,
  InitiatorHandshake,
  parseAuthHello,
  ResponderHandshake,
} from '../../transports/stream-auth.js';

const SECRET = Buffer.from('correct horse battery staple');
const bytes = (text: string): Uint8Array => Buffer.from(text, 'utf8');
const text = (frame: Uint8Array | undefined): string | undefined =>
  frame === undefined ? undefined : Buffer.from(frame).toString('utf8');

/** Every frame the handshake puts on the wire, as an eavesdropper records them. */
interface Session {
  hello: string;
  challenge: string;
  proof: string;
  initiator: AuthChannel;
  responder: AuthChannel;
}

function handshake(
  initiatorSecret = SECRET,
  responderSecret = SECRET,
  intent: AuthIntent = 'link',
): Session | undefined {
  const initiator = new InitiatorHandshake(initiatorSecret, 'a', intent);
  const hello = initiator.hello();
  const claim = parseAuthHello(bytes(hello));
  if (claim === undefined) throw new Error('hello does not parse');
  const responder = new ResponderHandshake(responderSecret, 'b', claim);
  const challenge = responder.challenge();
  const answered = initiator.answer(bytes(challenge), 'b');
  if (answered === undefined) return undefined;
  const channel = responder.verify(bytes(answered.proof));
  if (channel === undefined) return undefined;
  return {
    hello,
    challenge,
    proof: answered.proof,
    initiator: answered.channel,
    responder: channel,
  };
}

function established(): Session {
  const session = handshake();
  if (session === undefined) throw new Error('handshake failed');
  return session;
}

describe('stream authentication handshake', () => {
  it('establishes a channel both ways when both sides hold the secret', () => {
    const { initiator, responder } = established();
    expect(text(responder.open(bytes(initiator.seal('{"n":1}'))))).toBe('{"n":1}');
    expect(text(initiator.open(bytes(responder.seal('{"n":2}'))))).toBe('{"n":2}');
    expect(text(responder.open(bytes(initiator.seal('{"n":3}'))))).toBe('{"n":3}');
  });

  it('fails at the initiator when the responder holds another secret', () => {
    expect(handshake(SECRET, Buffer.from('another secret'))).toBeUndefined();
  });

  it('fails at the responder when the initiator holds another secret', () => {
    const initiator = new InitiatorHandshake(Buffer.from('another secret'), 'a', 'link');
    const responder = new ResponderHandshake(
      SECRET,
      'b',
      parseAuthHello(bytes(initiator.hello()))!,
    );
    // A forger cannot check the challenge, but may send any proof it likes.
    const forged = JSON.stringify({ v: 1, proof: '0'.repeat(64) });
    expect(responder.verify(bytes(forged))).toBeUndefined();
    const answered = new InitiatorHandshake(Buffer.from('another secret'), 'a', 'link');
    expect(answered.answer(bytes(responder.challenge()), 'b')).toBeUndefined();
  });

  it('refuses a challenge from a responder that is not the peer dialed', () => {
    const initiator = new InitiatorHandshake(SECRET, 'a', 'link');
    const responder = new ResponderHandshake(
      SECRET,
      'c',
      parseAuthHello(bytes(initiator.hello()))!,
    );
    expect(initiator.answer(bytes(responder.challenge()), 'b')).toBeUndefined();
  });

  it('binds the intent: a wake proof does not open a link', () => {
    const waker = new InitiatorHandshake(SECRET, 'a', 'wake');
    const hello = parseAuthHello(bytes(waker.hello()))!;
    const asLink = new ResponderHandshake(SECRET, 'b', { ...hello, intent: 'link' });
    const answered = waker.answer(bytes(asLink.challenge()), 'b');
    expect(answered).toBeUndefined();
  });

  it('does not take a plain hello, a missing nonce or a stray field as an authenticated hello', () => {
    expect(parseAuthHello(bytes(JSON.stringify({ v: 1, hello: 'a' })))).toBeUndefined();
    expect(
      parseAuthHello(bytes(JSON.stringify({ v: 1, auth: 'a', intent: 'link' }))),
    ).toBeUndefined();
    const nonce = 'ab'.repeat(16);
    expect(
      parseAuthHello(bytes(JSON.stringify({ v: 1, auth: 'a', nonce, intent: 'steal' }))),
    ).toBeUndefined();
    expect(
      parseAuthHello(bytes(JSON.stringify({ v: 1, auth: 'a', nonce, intent: 'link' }))),
    ).toEqual({ id: 'a', nonce, intent: 'link' });
  });

  it('refuses a whole captured session replayed into a new connection', () => {
    const captured = established();
    const sealed = captured.initiator.seal('{"term":1000}');
    // The attacker replays the recorded hello; the responder answers with a fresh nonce.
    const responder = new ResponderHandshake(SECRET, 'b', parseAuthHello(bytes(captured.hello))!);
    expect(responder.challenge()).not.toBe(captured.challenge);
    expect(responder.verify(bytes(captured.proof))).toBeUndefined();
    // Posing as the responder to a real initiator, the recorded challenge fails too.
    const initiator = new InitiatorHandshake(SECRET, 'a', 'link');
    expect(initiator.answer(bytes(captured.challenge), 'b')).toBeUndefined();
    // And a fresh session's channel does not open the captured frame.
    expect(established().responder.open(bytes(sealed))).toBeUndefined();
  });
});

describe('stream frame authentication', () => {
  it('refuses a tampered body or MAC', () => {
    const { initiator, responder } = established();
    const frame = initiator.seal('{"v":1,"from":"a","msg":{"term":1}}');
    const tampered = frame.replace('"term":1', '"term":9');
    expect(responder.open(bytes(tampered))).toBeUndefined();
    const flipped = (frame[0] === '0' ? '1' : '0') + frame.slice(1);
    expect(responder.open(bytes(flipped))).toBeUndefined();
    // A refused frame does not advance the sequence: the genuine one still opens.
    expect(text(responder.open(bytes(frame)))).toBe('{"v":1,"from":"a","msg":{"term":1}}');
  });

  it('refuses a frame replayed within the connection', () => {
    const { initiator, responder } = established();
    const frame = initiator.seal('{"n":1}');
    expect(responder.open(bytes(frame))).toBeDefined();
    expect(responder.open(bytes(frame))).toBeUndefined();
  });

  it('refuses frames out of order, and one skipped over', () => {
    const { initiator, responder } = established();
    const first = initiator.seal('{"n":1}');
    const second = initiator.seal('{"n":2}');
    expect(responder.open(bytes(second))).toBeUndefined();
    expect(text(responder.open(bytes(first)))).toBe('{"n":1}');
    expect(text(responder.open(bytes(second)))).toBe('{"n":2}');
  });

  it("refuses a frame reflected back to its sender, and the other direction's frames", () => {
    const { initiator, responder } = established();
    const frame = initiator.seal('{"n":1}');
    expect(initiator.open(bytes(frame))).toBeUndefined();
    expect(responder.open(bytes(responder.seal('{"n":1}')))).toBeUndefined();
  });

  it('refuses an unsealed frame and one shorter than a MAC', () => {
    const { responder } = established();
    expect(responder.open(bytes('{"v":1,"from":"a","msg":{"term":1000}}'))).toBeUndefined();
    expect(responder.open(bytes('abc'))).toBeUndefined();
    expect(responder.open(new Uint8Array(0))).toBeUndefined();
  });
});
