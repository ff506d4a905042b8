import { readFileSync } from 'node:fs';
import type { TlsOptions } from '../../transports/index.js';
import type { TlsFiles } from './node-flags.js';
import { quote } from './quote.js';
import { UsageError } from './usage-error.js';

function readPem(flag: string, path: string): string {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? (err as Error).message;
    throw new UsageError(`${flag}: cannot read ${quote(path)} (${code})`);
  }
  // A wrong path that happens to exist (a directory's sibling, a DER file) would otherwise
  // surface much later as an opaque handshake failure.
  if (!text.includes('-----BEGIN ')) {
    throw new UsageError(`${flag}: ${quote(path)} is not a PEM file`);
  }
  return text;
}

/** Reads the certificate files named on the command line; a bad file is a usage error. */
export function loadTlsFiles(files: TlsFiles): TlsOptions {
  return {
    ca: readPem('--tls-ca', files.ca),
    cert: readPem('--tls-cert', files.cert),
    key: readPem('--tls-key', files.key),
    mutual: files.mutual,
    verifyPeerIds: files.verifyPeerIds,
  };
}
