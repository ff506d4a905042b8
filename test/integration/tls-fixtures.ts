import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface CertPair {
  cert: string;
  key: string;
}

export interface CertificateAuthority {
  /** The CA certificate, PEM. */
  ca: string;
  /** A leaf valid for 127.0.0.1 and localhost, usable as both TLS server and client. */
  issue(name: string): CertPair;
}

export function opensslAvailable(): boolean {
  try {
    execFileSync('openssl', ['version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

const CA_CONFIG = `[req]
distinguished_name = dn
prompt = no
[dn]
CN = electorate-test
[ca]
basicConstraints = critical, CA:TRUE
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash
`;

const LEAF_EXTENSIONS = `basicConstraints = CA:FALSE
keyUsage = critical, digitalSignature, keyEncipherment
extendedKeyUsage = serverAuth, clientAuth
subjectAltName = IP:127.0.0.1, DNS:localhost
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
`;

// P-256 keys: generated in milliseconds, unlike RSA.
const NEW_EC_KEY = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];

function openssl(args: string[]): void {
  execFileSync('openssl', args, { stdio: ['ignore', 'ignore', 'pipe'] });
}

/** Throwaway PKI made with the openssl CLI in a temp dir; `dispose` removes it. */
export class TestPki {
  private readonly dir = mkdtempSync(join(tmpdir(), 'electorate-tls-'));

  dispose(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }

  authority(caName: string): CertificateAuthority {
    const path = (name: string): string => join(this.dir, name);
    writeFileSync(path(`${caName}.cnf`), CA_CONFIG);
    writeFileSync(path('leaf.ext'), LEAF_EXTENSIONS);
    openssl([
      'req',
      '-x509',
      '-config',
      path(`${caName}.cnf`),
      '-extensions',
      'ca',
      ...NEW_EC_KEY,
      '-subj',
      `/CN=${caName}`,
      '-days',
      '2',
      '-keyout',
      path(`${caName}.key`),
      '-out',
      path(`${caName}.crt`),
    ]);
    const issue = (name: string): CertPair => {
      const base = path(`${caName}-${name}`);
      openssl([
        'req',
        '-new',
        '-config',
        path(`${caName}.cnf`),
        ...NEW_EC_KEY,
        '-subj',
        `/CN=${name}`,
        '-keyout',
        `${base}.key`,
        '-out',
        `${base}.csr`,
      ]);
      openssl([
        'x509',
        '-req',
        '-in',
        `${base}.csr`,
        '-CA',
        path(`${caName}.crt`),
        '-CAkey',
        path(`${caName}.key`),
        '-CAcreateserial',
        '-days',
        '2',
        '-extfile',
        path('leaf.ext'),
        '-out',
        `${base}.crt`,
      ]);
      return {
        cert: readFileSync(`${base}.crt`, 'utf8'),
        key: readFileSync(`${base}.key`, 'utf8'),
      };
    };
    return { ca: readFileSync(path(`${caName}.crt`), 'utf8'), issue };
  }
}
