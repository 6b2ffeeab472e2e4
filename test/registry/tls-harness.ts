// Certificates for the TLS tests, made with the openssl CLI in a temp dir the caller owns: a CA,
// the leaves it signs (a server's, for IP addresses; a client's, for mutual TLS), and a
// self-signed one no one trusts. EC P-256 keys: quick to make. Also this machine's own
// non-loopback address — the honest way to have a *secure* registry here, since every loopback
// registry is insecure by Docker's rules (and so is a mirror on loopback).
import { execFile } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** Paths of a PEM certificate and its key. */
export interface CertFiles { cert: string; key: string }

const EC_KEY = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];

export async function makeCa(dir: string): Promise<CertFiles> {
  const files = { cert: join(dir, 'ca.crt'), key: join(dir, 'ca.key') };
  await run('openssl', [
    'req', '-x509', ...EC_KEY, '-keyout', files.key, '-out', files.cert, '-days', '2', '-subj', '/CN=Dockling test CA',
    '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign',
  ]);
  return files;
}

/** A leaf signed by `ca`: a server's (subjectAltName = the IPs) or a client's. */
export async function makeLeaf(dir: string, opts: { name: string; ca: CertFiles; ips?: string[]; usage: 'serverAuth' | 'clientAuth' }): Promise<CertFiles> {
  const base = join(dir, opts.name);
  const files = { cert: `${base}.pem`, key: `${base}.key` };
  const ext = `${base}.ext`;
  await writeFile(ext, [
    'basicConstraints=CA:FALSE', 'keyUsage=critical,digitalSignature', `extendedKeyUsage=${opts.usage}`,
    ...(opts.ips?.length ? [`subjectAltName=${opts.ips.map((ip) => `IP:${ip}`).join(',')}`] : []),
  ].join('\n') + '\n');
  await run('openssl', ['req', ...EC_KEY, '-keyout', files.key, '-out', `${base}.csr`, '-subj', `/CN=${opts.name}`]);
  await run('openssl', [
    'x509', '-req', '-in', `${base}.csr`, '-CA', opts.ca.cert, '-CAkey', opts.ca.key, '-set_serial', String(Date.now()),
    '-days', '2', '-extfile', ext, '-out', files.cert,
  ]);
  return files;
}

/** A server certificate signed by its own key: what a room's registry often starts with. */
export async function makeSelfSigned(dir: string, opts: { name: string; ips: string[] }): Promise<CertFiles> {
  const files = { cert: join(dir, `${opts.name}.pem`), key: join(dir, `${opts.name}.key`) };
  await run('openssl', [
    'req', '-x509', ...EC_KEY, '-keyout', files.key, '-out', files.cert, '-days', '2', '-subj', `/CN=${opts.name}`,
    '-addext', `subjectAltName=${opts.ips.map((ip) => `IP:${ip}`).join(',')}`,
  ]);
  return files;
}

