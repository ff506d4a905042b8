import type { FaultPolicy, LinkVerdict } from '../../transports/fault-link.js';

const PASS: LinkVerdict = { drop: false, delayMs: 0 };

/**
 * The delay fault, inside a worker: everything this node receives from its peers waits
 * `delayMs` before the machine sees it. nftables can drop but this kernel has no netem to
 * delay, so the wait happens above the transport (the report marks it as not network-level).
 * Applied on receipt, it works the same for a multicast transport that never names its
 * peers; every link of the cluster is slow when every node has it.
 */
export class InboundDelay implements FaultPolicy {
  private delayMs = 0;

  set(delayMs: number): void {
    if (!(Number.isSafeInteger(delayMs) && delayMs >= 0)) {
      throw new RangeError(`delay must be a whole number of ms, got ${delayMs}`);
    }
    this.delayMs = delayMs;
  }

  onSend(): LinkVerdict {
    return PASS;
  }

  onReceive(): LinkVerdict {
    return this.delayMs === 0 ? PASS : { drop: false, delayMs: this.delayMs };
  }
}
