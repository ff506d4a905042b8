import { expect } from 'vitest';
import type { DropReason, TransportLogic } from '../../transports/index.js';
import { freePorts } from './free-port.js';
import { deliver, peerList, startNode, type TestNode, waitReady } from './transport-harness.js';
import { waitFor } from './wait-for.js';

/**
 * Three transports for the bad-input tests: the target 'm' under attack (short handshake and
 * frame timeouts), 'b' which dials it and 'z' which it dials. 'a' is never started: only raw
 * clients claim it, and as the smallest id its hello is one the target accepts.
 */
export interface AttackedTrio {
  ports: Record<string, number>;
  target: TestNode;
  goodSmaller: TestNode;
  goodLarger: TestNode;
  /** Runs `misbehave` and waits for exactly one more drop of `reason` on the target. */
  expectDrop(
    reason: DropReason,
    misbehave: () => Promise<void> | void,
  ): Promise<TestNode['dropped'][number]>;
  /** Messages still flow both ways between the target and both good peers. */
  expectStillWorking(): Promise<void>;
  stop(): void;
}

export async function startAttackedTrio(
  transport: (listen: string, attacked: boolean) => TransportLogic,
): Promise<AttackedTrio> {
  const [pa, pb, pm, pz] = await freePorts(4);
  const ports: Record<string, number> = { a: pa!, b: pb!, m: pm!, z: pz! };
  const listen = (id: string): string => `127.0.0.1:${ports[id]}`;
  const peers = peerList(ports);
  const target = startNode(transport(listen('m'), true), 'm', peers);
  const goodSmaller = startNode(transport(listen('b'), false), 'b', peers);
  const goodLarger = startNode(transport(listen('z'), false), 'z', peers);
  const trio: AttackedTrio = {
    ports,
    target,
    goodSmaller,
    goodLarger,
    async expectDrop(reason, misbehave) {
      const before = target.dropped.length;
      await misbehave();
      // An attack that claims the id an earlier one still holds also displaces that link:
      // counted, but not what these tests are about unless they ask for it.
      const counted = () =>
        target.dropped
          .slice(before)
          .filter((d) => reason === 'replaced' || d.reason !== 'replaced');
      await waitFor(() => counted().length > 0, 3000, `a '${reason}' drop`);
      const added = counted();
      expect(added.map((d) => d.reason)).toEqual([reason]);
      return added[0]!;
    },
    async expectStillWorking() {
      await deliver(goodSmaller, target);
      await deliver(target, goodSmaller);
      await deliver(goodLarger, target);
      await deliver(target, goodLarger);
    },
    stop() {
      for (const node of [target, goodSmaller, goodLarger]) node.stop();
    },
  };
  await waitReady(target, goodSmaller, goodLarger);
  await trio.expectStillWorking();
  return trio;
}
