import { execFileSync, spawn } from 'node:child_process';

/**
 * The network a fault run lives in: one namespace per node and a hub namespace holding a
 * Linux bridge that every node's veth is plugged into. The hub also carries the control
 * plane (the fenced register and the `/diag` observer, at CONTROL_ADDRESS) and the stores
 * (at STORE_ADDRESS), so a fault rule can cut a node off from its peers or its store and
 * still leave the observer's view of it intact. Every address lives inside these
 * namespaces; nothing touches the host's own interfaces.
 */

const SUBNET = '10.77.0';
/** Every address of a lab, for a server that must trust the nodes' connections. */
export const LAB_NETWORK = `${SUBNET}.0/24`;
export const CONTROL_ADDRESS = `${SUBNET}.254`;
export const STORE_ADDRESS = `${SUBNET}.200`;
/** Namespaces of every run start with this; the run's pid follows, so stale ones are known. */
export const LAB_PREFIX = 'elchaos';

export interface LabNode {
  id: string;
  /** The node's namespace, for `ip netns exec`. */
  netns: string;
  address: string;
}

export interface NetworkLab {
  hub: string;
  nodes: LabNode[];
  /** Deletes every namespace of this run (their veths go with them). Safe to call twice. */
  teardown(): void;
}

function ip(args: string[]): void {
  execFileSync('ip', args, { stdio: ['ignore', 'ignore', 'pipe'] });
}

function labNamespaces(): string[] {
  const out = execFileSync('ip', ['netns', 'list'], { encoding: 'utf8' });
  return out
    .split('\n')
    .map((line) => line.split(' ')[0] ?? '')
    .filter((name) => name.startsWith(LAB_PREFIX));
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Deletes namespaces left by runs whose tool is gone (a crash, a SIGKILL). */
export function removeStaleLabs(): string[] {
  const removed: string[] = [];
  for (const name of labNamespaces()) {
    const pid = Number(/^elchaos(\d+)r/.exec(name)?.[1]);
    if (Number.isInteger(pid) && pid !== process.pid && alive(pid)) continue;
    try {
      ip(['netns', 'del', name]);
      removed.push(name);
    } catch {
      // Gone already, or still held by a process that is on its way out.
    }
  }
  return removed;
}

let labs = 0;

/** Whether this process may create namespaces (root, with `ip` and `nft` installed). */
export function labUnavailable(): string | undefined {
  if (process.getuid?.() !== 0) return 'network namespaces need root';
  for (const tool of ['ip', 'nft']) {
    try {
      execFileSync(tool, ['-V'], { stdio: 'ignore' });
    } catch {
      return `${tool} is not installed (Debian package ${tool === 'ip' ? 'iproute2' : 'nftables'})`;
    }
  }
  return undefined;
}

/**
 * Creates the hub and `ids.length` node namespaces. A watchdog process outlives this one:
 * when this process dies without tearing down (SIGKILL, a crash), its stdin pipe closes and
 * it deletes the namespaces, so nothing is left behind even then.
 */
export function createLab(ids: readonly string[]): NetworkLab {
  removeStaleLabs();
  // Unique per run, so a later run in this process never shares a name with an earlier one.
  const tag = `${LAB_PREFIX}${process.pid}r${++labs}`;
  const hub = `${tag}-hub`;
  const nodes: LabNode[] = ids.map((id, i) => ({
    id,
    netns: `${tag}-${i + 1}`,
    address: `${SUBNET}.${i + 1}`,
  }));
  const names = [hub, ...nodes.map((n) => n.netns)];
  const watchdog = spawn(
    'sh',
    [
      '-c',
      `cat >/dev/null; for n in ${names.join(' ')}; do ip netns pids "$n" 2>/dev/null | xargs -r kill -9; ip netns del "$n" 2>/dev/null; done`,
    ],
    { stdio: ['pipe', 'ignore', 'ignore'], detached: true },
  );
  watchdog.unref();
  let down = false;
  const teardown = () => {
    if (down) return;
    down = true;
    for (const name of names) {
      try {
        // Whatever still runs in the namespace was started by this run (a stray worker).
        for (const pid of execFileSync('ip', ['netns', 'pids', name], { encoding: 'utf8' }).split(
          '\n',
        )) {
          if (/^\d+$/.test(pid)) process.kill(Number(pid), 'SIGKILL');
        }
        ip(['netns', 'del', name]);
      } catch {
        // Never created, or deleted already.
      }
    }
    // Its work is done: ending it (by its pid) keeps it from running after this returns.
    if (watchdog.pid !== undefined) process.kill(watchdog.pid, 'SIGKILL');
  };
  try {
    ip(['netns', 'add', hub]);
    ip(['-n', hub, 'link', 'set', 'lo', 'up']);
    ip(['-n', hub, 'link', 'add', 'br0', 'type', 'bridge', 'mcast_snooping', '0']);
    ip(['-n', hub, 'link', 'set', 'br0', 'up']);
    ip(['-n', hub, 'addr', 'add', `${CONTROL_ADDRESS}/24`, 'dev', 'br0']);
    ip(['-n', hub, 'addr', 'add', `${STORE_ADDRESS}/24`, 'dev', 'br0']);
    nodes.forEach((node, i) => {
      const port = `p${i + 1}`;
      ip(['netns', 'add', node.netns]);
      ip(['link', 'add', 'eth0', 'netns', node.netns, 'type', 'veth', 'peer', port, 'netns', hub]);
      ip(['-n', hub, 'link', 'set', port, 'master', 'br0', 'up']);
      ip(['-n', node.netns, 'addr', 'add', `${node.address}/24`, 'dev', 'eth0']);
      ip(['-n', node.netns, 'link', 'set', 'eth0', 'up']);
      ip(['-n', node.netns, 'link', 'set', 'lo', 'up']);
      // Multicast (Bully) leaves through the veth, not a default route nobody has.
      ip(['-n', node.netns, 'route', 'add', '224.0.0.0/4', 'dev', 'eth0']);
    });
  } catch (err) {
    teardown();
    const stderr = (err as { stderr?: Buffer }).stderr?.toString().trim();
    throw new Error(`could not build the network namespaces: ${stderr || (err as Error).message}`);
  }
  return { hub, nodes, teardown };
}
