import { execFileSync } from 'node:child_process';

/**
 * Network faults as nftables rules inside one node's namespace. A rule set is replaced
 * whole, in one `nft -f` transaction, so a node never runs with half a partition.
 */
export interface FirewallRules {
  /** Inbound packets from these addresses are dropped. */
  dropFrom: string[];
  /** Outbound packets to these addresses are dropped. */
  dropTo: string[];
  /** Inbound packets from `lossFrom` are dropped with this probability (percent). */
  lossPercent: number;
  lossFrom: string[];
}

export const OPEN: FirewallRules = { dropFrom: [], dropTo: [], lossPercent: 0, lossFrom: [] };

const set = (addresses: string[]) => `{ ${addresses.join(', ')} }`;

/** The nft script that installs `rules` (and removes whatever was there before). */
export function firewallScript(rules: FirewallRules): string {
  const input: string[] = [];
  const output: string[] = [];
  if (rules.dropFrom.length > 0) input.push(`ip saddr ${set(rules.dropFrom)} drop`);
  if (rules.lossPercent > 0 && rules.lossFrom.length > 0) {
    input.push(`ip saddr ${set(rules.lossFrom)} numgen random mod 100 < ${rules.lossPercent} drop`);
  }
  if (rules.dropTo.length > 0) output.push(`ip daddr ${set(rules.dropTo)} drop`);
  return [
    // Creating the table first makes the delete valid whether or not it existed.
    'table inet chaos',
    'delete table inet chaos',
    'table inet chaos {',
    '  chain input {',
    '    type filter hook input priority 0; policy accept;',
    ...input.map((r) => `    ${r}`),
    '  }',
    '  chain output {',
    '    type filter hook output priority 0; policy accept;',
    ...output.map((r) => `    ${r}`),
    '  }',
    '}',
    '',
  ].join('\n');
}

export function applyFirewall(netns: string, rules: FirewallRules): void {
  execFileSync('ip', ['netns', 'exec', netns, 'nft', '-f', '-'], {
    input: firewallScript(rules),
    stdio: ['pipe', 'ignore', 'pipe'],
  });
}
