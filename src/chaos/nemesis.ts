import { closeSync, openSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { drawBetween } from '../../machines/seeded-random.js';
import { applyFirewall, type FirewallRules, OPEN } from './firewall.js';
import type { ChaosProtocol, NemesisKind } from './history.js';
import type { FaultPlan } from './schedule.js';
import type { ChaosStore } from './stores.js';
import type { WorkerSet } from './workers.js';

/**
 * Applies one planned fault to the running cluster and returns how to heal it. Network
 * faults are nftables rules in the nodes' namespaces, process faults are signals to the
 * workers' pids, clock faults move libfaketime's offset, disk faults fill the node's tiny
 * tmpfs, store faults signal the store's members.
 */
export interface NemesisTarget {
  id: string;
  netns: string;
  address: string;
  /** Raft: the node's data directory (a tmpfs of its own). */
  dataDir?: string;
  clockFile?: string;
}

export interface NemesisContext {
  protocol: ChaosProtocol;
  nodes: readonly NemesisTarget[];
  storeAddress: string;
  workers: WorkerSet;
  store?: ChaosStore;
  /** Who leads now, as the observer last saw it (undefined: nobody). */
  leader(): string | undefined;
  /** A seeded draw for this fault's choices. */
  seed: number;
}

export interface AppliedFault {
  nemesis: NemesisKind;
  variant: string;
  targets: string[];
  networkLevel: boolean;
  heal(): Promise<void>;
}

function shuffled<T>(items: readonly T[], seed: number): T[] {
  const out = [...items];
  let state = seed | 0;
  for (let i = out.length - 1; i > 0; i--) {
    const r = drawBetween(state, 0, i);
    state = r.state;
    [out[i], out[r.value]] = [out[r.value]!, out[i]!];
  }
  return out;
}

/** Rules for every node so that each reaches exactly the nodes in its own `sees` list. */
function partitionRules(ctx: NemesisContext, sees: (id: string) => string[]): void {
  for (const node of ctx.nodes) {
    const visible = new Set(sees(node.id));
    const cut = ctx.nodes
      .filter((n) => n.id !== node.id && !visible.has(n.id))
      .map((n) => n.address);
    applyFirewall(node.netns, { ...OPEN, dropFrom: cut, dropTo: cut });
  }
}

function openAll(ctx: NemesisContext): Promise<void> {
  for (const node of ctx.nodes) applyFirewall(node.netns, OPEN);
  return Promise.resolve();
}

function fillDisk(dir: string): string {
  const filler = join(dir, 'filler');
  const fd = openSync(filler, 'w');
  const chunk = Buffer.alloc(4096, 1);
  try {
    for (let i = 0; i < 1_000_000; i++) writeSync(fd, chunk);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOSPC') throw err;
  } finally {
    closeSync(fd);
  }
  return filler;
}

export async function applyFault(plan: FaultPlan, ctx: NemesisContext): Promise<AppliedFault> {
  const ids = ctx.nodes.map((n) => n.id);
  const up = ids.filter((id) => ctx.workers.isUp(id));
  const leader = ctx.leader() ?? up[0] ?? ids[0]!;
  const byId = (id: string) => ctx.nodes.find((n) => n.id === id)!;
  const others = shuffled(
    ids.filter((id) => id !== leader),
    ctx.seed,
  );
  const pickTarget = (variant: string) =>
    variant.startsWith('leader') ? leader : (shuffled(up, ctx.seed)[0] ?? leader);
  const base = { nemesis: plan.nemesis, variant: plan.variant };
  const kv = ctx.protocol === 'kv';
  switch (plan.nemesis) {
    case 'partition': {
      if (kv) {
        const cut =
          plan.variant === 'leader-isolated'
            ? [leader]
            : shuffled(ids, ctx.seed).slice(0, Math.ceil(ids.length / 2));
        for (const id of cut) {
          const s = [ctx.storeAddress];
          applyFirewall(byId(id).netns, { ...OPEN, dropFrom: s, dropTo: s });
        }
        return { ...base, targets: cut, networkLevel: true, heal: () => openAll(ctx) };
      }
      let sides: string[][];
      let bridge: string | undefined;
      switch (plan.variant) {
        case 'leader-isolated':
          sides = [[leader], others];
          break;
        case 'majority-minority': {
          const minority = Math.max(1, Math.floor((ids.length - 1) / 2));
          sides = [[leader, ...others.slice(0, minority - 1)], others.slice(minority - 1)];
          break;
        }
        case 'bridge':
          bridge = others[0];
          sides = [
            [leader, ...others.slice(1, Math.ceil(others.length / 2))],
            others.slice(Math.ceil(others.length / 2)).filter((id) => id !== bridge),
          ];
          break;
        default: {
          const order = shuffled(ids, ctx.seed);
          const half = Math.ceil(ids.length / 2);
          sides = [order.slice(0, half), order.slice(half)];
        }
      }
      partitionRules(ctx, (id) => {
        if (id === bridge) return ids;
        const side = sides.find((s) => s.includes(id)) ?? [];
        return bridge === undefined ? side : [...side, bridge];
      });
      const targets = sides.map((s) => s.join('+'));
      if (bridge !== undefined) targets.push(`bridge ${bridge}`);
      return { ...base, targets, networkLevel: true, heal: () => openAll(ctx) };
    }
    case 'one-way': {
      const from = kv
        ? [ctx.storeAddress]
        : ctx.nodes.filter((n) => n.id !== leader).map((n) => n.address);
      applyFirewall(byId(leader).netns, { ...OPEN, dropFrom: from });
      return { ...base, targets: [leader], networkLevel: true, heal: () => openAll(ctx) };
    }
    case 'loss': {
      const percent = plan.magnitude ?? 30;
      for (const node of ctx.nodes) {
        const from = kv
          ? [ctx.storeAddress]
          : ctx.nodes.filter((n) => n.id !== node.id).map((n) => n.address);
        const rules: FirewallRules = { ...OPEN, lossPercent: percent, lossFrom: from };
        applyFirewall(node.netns, rules);
      }
      return {
        ...base,
        variant: `${percent}% inbound`,
        targets: ids,
        networkLevel: true,
        heal: () => openAll(ctx),
      };
    }
    case 'delay': {
      const ms = plan.magnitude ?? 200;
      const targets = plan.variant === 'leader' ? [leader] : ids;
      for (const id of targets) ctx.workers.delay(id, ms);
      return {
        ...base,
        variant: `${ms} ms inbound ${plan.variant === 'leader' ? 'at the leader' : 'everywhere'}`,
        targets,
        // nftables cannot delay and this kernel has no netem: the worker's transport waits.
        networkLevel: false,
        heal: async () => {
          for (const id of targets) ctx.workers.delay(id, 0);
        },
      };
    }
    case 'pause': {
      ctx.workers.signal(leader, 'stop');
      return {
        ...base,
        targets: [leader],
        networkLevel: true,
        heal: async () => ctx.workers.signal(leader, 'cont'),
      };
    }
    case 'kill':
    case 'restart': {
      const target = pickTarget(plan.variant);
      await ctx.workers.end(target, plan.nemesis === 'kill' ? 'kill' : 'term');
      return {
        ...base,
        variant: `${plan.nemesis === 'kill' ? 'SIGKILL' : 'SIGTERM'} ${plan.variant}`,
        targets: [target],
        networkLevel: true,
        heal: async () => ctx.workers.start(target, 'kept'),
      };
    }
    case 'clock': {
      const target = leader;
      const file = byId(target).clockFile;
      const seconds = plan.magnitude ?? 60;
      if (file !== undefined) writeFileSync(file, `${seconds >= 0 ? '+' : ''}${seconds}s\n`);
      return {
        ...base,
        variant: `${seconds >= 0 ? '+' : ''}${seconds}s`,
        targets: [target],
        networkLevel: file !== undefined,
        heal: async () => {
          if (file !== undefined) writeFileSync(file, '+0\n');
        },
      };
    }
    case 'disk': {
      const target = plan.variant === 'leader' ? leader : (others[0] ?? leader);
      const dir = byId(target).dataDir;
      const filler = dir === undefined ? undefined : fillDisk(dir);
      return {
        ...base,
        targets: [target],
        networkLevel: filler !== undefined,
        heal: async () => {
          if (filler !== undefined) rmSync(filler, { force: true });
        },
      };
    }
    case 'store': {
      const store = ctx.store;
      if (store === undefined) throw new Error('a store fault needs a kv run');
      const names = store.memberNames;
      let member = 0;
      if (plan.variant.includes('leader-member')) member = (await store.leaderMember()) ?? 0;
      else if (plan.variant.includes('minority-member')) {
        const lead = (await store.leaderMember()) ?? 0;
        member = (lead + 1) % store.size;
      }
      const target = [`store ${names[member]}`];
      if (plan.variant.startsWith('pause')) {
        store.pause(member);
        return {
          ...base,
          targets: target,
          networkLevel: true,
          heal: async () => store.resume(member),
        };
      }
      await store.kill(member);
      return {
        ...base,
        targets: target,
        networkLevel: true,
        heal: () => store.startMember(member),
      };
    }
  }
}
