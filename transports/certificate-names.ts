import tls from 'node:tls';

/**
 * The names a verified peer certificate gives its holder: the subject's common name and
 * every DNS and URI subject alternative name. `undefined` for a connection without TLS,
 * empty when the peer presented no certificate.
 */
export function certificateNames(socket: unknown): string[] | undefined {
  if (!(socket instanceof tls.TLSSocket)) return undefined;
  const cert = socket.getPeerCertificate();
  if (cert === null || typeof cert !== 'object' || Object.keys(cert).length === 0) return [];
  const names: string[] = [];
  const cn = (cert.subject as { CN?: string | string[] } | undefined)?.CN;
  if (typeof cn === 'string') names.push(cn);
  else if (Array.isArray(cn)) names.push(...cn);
  // Node renders the extension as "DNS:a, URI:b, IP Address:c"; names hold no ", ".
  for (const entry of cert.subjectaltname?.split(', ') ?? []) {
    const colon = entry.indexOf(':');
    const kind = entry.slice(0, colon);
    if (kind === 'DNS' || kind === 'URI') names.push(entry.slice(colon + 1));
  }
  return names;
}
