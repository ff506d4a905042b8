const LOOPBACK_NAMES = new Set(['localhost', 'localhost.', '::1']);

/** Whether `host` (no brackets) names this machine's loopback interface alone. */
export function isLoopback(host: string): boolean {
  return LOOPBACK_NAMES.has(host.toLowerCase()) || /^127\.[0-9.]+$/.test(host);
}
