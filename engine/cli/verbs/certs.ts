// `dockling certs --out DIR --hosts NAMES,IPS`: the certificates for mutual TLS in one room
// (chapter 6). Three pairs, made by the system's `openssl` (no crypto is written here):
//   ca.pem, ca-key.pem                the room's certificate authority: it signs the other two
//   server-cert.pem, server-key.pem   the daemon's: names the hosts clients dial (subjectAltName),
//                                     usable only to serve TLS (extendedKeyUsage serverAuth)
//   cert.pem, key.pem                 a client's: usable only to log in (clientAuth)
// Keys are mode 0600. ca-key.pem is the key to the room: whoever holds it can make a client
// certificate the daemon accepts. Keep it off the demo machine.
import { execFile } from 'node:child_process';
import { chmod, mkdir, open, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { mkdtempSync } from 'node:fs';
import { isIP } from 'node:net';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import type { Verb } from '../verb.js';
import { CliError } from '../errors.js';

const run = promisify(execFile);

const OUTPUTS = ['ca.pem', 'ca-key.pem', 'server-cert.pem', 'server-key.pem', 'cert.pem', 'key.pem'];

export const verb: Verb = {
  usage: 'certs --out DIR --hosts NAMES,IPS [--days N]',
  description: "Make a CA, a server certificate for the daemon and a client certificate, for -H tcp://… --tlsverify (uses the system's openssl)",
  args: { max: 0 },
  flags: [
    { name: 'out', type: 'string', value: 'dir', description: 'Directory to write the files into (made if missing; existing files are never overwritten)' },
    { name: 'hosts', type: 'string', value: 'list', description: 'The names and IP addresses clients will dial, comma-separated: e.g. demo.local,10.0.0.5,127.0.0.1' },
    { name: 'days', type: 'string', value: 'int', default: '365', description: 'How long the certificates are valid, in days (default 365)' },
    { name: 'client-name', type: 'string', value: 'string', default: 'client', description: 'The client certificate\'s common name (default "client")' },
  ],
  async run(ctx) {
    const out = ctx.flags.out as string | undefined;
    const hostsFlag = ctx.flags.hosts as string | undefined;
    if (!out) throw new CliError('dockling certs: --out DIR is required (where the certificates go)');
    if (!hostsFlag) throw new CliError('dockling certs: --hosts is required: the names and IPs clients dial, e.g. --hosts demo.local,10.0.0.5');
    const days = ctx.flags.days as string;
    if (!/^[1-9]\d{0,4}$/.test(days)) throw new CliError(`dockling certs: --days ${days}: expected a whole number of days from 1 to 99999`);
    const dir = resolve(out);
    await makeCerts({ dir, hosts: parseHosts(hostsFlag), days: Number(days), clientName: ctx.flags['client-name'] as string });
    ctx.stdout.write(
      `Wrote to ${dir}:\n` +
        `  ca.pem, ca-key.pem               the CA. Keep ca-key.pem safe (and off the daemon's machine): it makes certificates the daemon trusts\n` +
        `  server-cert.pem, server-key.pem  for the daemon, with ca.pem:\n` +
        `      dockling daemon -H tcp://0.0.0.0:2376 --tlsverify --tlscacert ${join(dir, 'ca.pem')} --tlscert ${join(dir, 'server-cert.pem')} --tlskey ${join(dir, 'server-key.pem')}\n` +
        `  cert.pem, key.pem                for the client, with ca.pem (the names DOCKLING_CERT_PATH and docker's DOCKER_CERT_PATH expect):\n` +
        `      DOCKLING_CERT_PATH=${dir} dockling -H tcp://HOST:2376 --tlsverify version\n` +
        `      DOCKER_CERT_PATH=${dir} DOCKER_TLS_VERIFY=1 DOCKER_HOST=tcp://HOST:2376 docker version\n`,
    );
  },
};

/** `demo.local,10.0.0.5` → subjectAltName entries `DNS:demo.local,IP:10.0.0.5`. */
export function parseHosts(text: string): string[] {
  const names = text.split(',').map((h) => h.trim()).filter(Boolean);
  if (names.length === 0) throw new CliError('dockling certs: --hosts names no host');
  return names.map((h) => {
    if (isIP(h)) return `IP:${h}`;
    if (!/^[a-zA-Z0-9*]([a-zA-Z0-9.-]*[a-zA-Z0-9])?$/.test(h)) throw new CliError(`dockling certs: --hosts: "${h}" is neither a host name nor an IP address`);
    return `DNS:${h}`;
  });
}

// #region make-certs
/** The recipe: CA, then the server's and the client's keys and requests, each signed by the CA. */
export async function makeCerts(a: { dir: string; hosts: string[]; days: number; clientName: string }): Promise<void> {
  await mkdir(a.dir, { recursive: true });
  const existing = (await readdir(a.dir)).filter((f) => OUTPUTS.includes(f));
  if (existing.length) throw new CliError(`dockling certs: ${a.dir} already holds ${existing.join(', ')}: refusing to overwrite (choose another --out, or remove them)`);
  const work = mkdtempSync(join(a.dir, '.dkl-certs-'));
  const p = (f: string) => join(work, f);
  try {
    const days = String(a.days);
    // 1. the CA: a key and a self-signed certificate allowed to sign others (basicConstraints CA:TRUE)
    await openssl(['genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-out', p('ca-key.pem')]);
    await openssl(['req', '-new', '-x509', '-key', p('ca-key.pem'), '-sha256', '-days', days, '-subj', '/CN=dockling room CA', '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign', '-out', p('ca.pem')]);
    // 2. the server: names every host clients dial; a client checks the name it dialled is here
    await signed(p, { name: 'server', subject: `/CN=${a.hosts[0]!.replace(/^(DNS|IP):/, '')}`, days, ext: `subjectAltName=${a.hosts.join(',')}\nextendedKeyUsage=serverAuth\nkeyUsage=critical,digitalSignature\n` });
    // 3. the client: no names needed, only the right to authenticate as a client
    await signed(p, { name: 'client', subject: `/CN=${a.clientName}`, days, ext: 'extendedKeyUsage=clientAuth\nkeyUsage=critical,digitalSignature\n' });
    // 4. into place under Docker's names, never over an existing file (O_EXCL), keys 0600
    const moves: Array<[string, string, number]> = [
      ['ca.pem', 'ca.pem', 0o644], ['ca-key.pem', 'ca-key.pem', 0o600], ['server-cert.pem', 'server-cert.pem', 0o644],
      ['server-key.pem', 'server-key.pem', 0o600], ['client-cert.pem', 'cert.pem', 0o644], ['client-key.pem', 'key.pem', 0o600],
    ];
    for (const [from, to, mode] of moves) await placeFile(p(from), join(a.dir, to), mode);
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}
// #endregion make-certs

async function signed(p: (f: string) => string, a: { name: string; subject: string; days: string; ext: string }): Promise<void> {
  await openssl(['genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-out', p(`${a.name}-key.pem`)]);
  await openssl(['req', '-new', '-key', p(`${a.name}-key.pem`), '-subj', a.subject, '-out', p(`${a.name}.csr`)]);
  await writeFile(p(`${a.name}.ext`), a.ext);
  await openssl(['x509', '-req', '-in', p(`${a.name}.csr`), '-CA', p('ca.pem'), '-CAkey', p('ca-key.pem'), '-CAcreateserial', '-sha256', '-days', a.days, '-extfile', p(`${a.name}.ext`), '-out', p(`${a.name}-cert.pem`)]);
}

async function placeFile(from: string, to: string, mode: number): Promise<void> {
  const data = await readFile(from);
  const file = await open(to, 'wx', mode).catch((err: NodeJS.ErrnoException) => {
    throw new CliError(err.code === 'EEXIST' ? `dockling certs: ${to} already exists: refusing to overwrite` : `dockling certs: cannot write ${to}: ${err.message}`);
  });
  try {
    await file.writeFile(data);
  } finally {
    await file.close();
  }
  await chmod(to, mode); // the umask may have taken bits off; a key must be exactly 0600
}

async function openssl(args: string[]): Promise<void> {
  try {
    await run('openssl', args);
  } catch (err) {
    const e = err as NodeJS.ErrnoException & { stderr?: string };
    if (e.code === 'ENOENT') throw new CliError('dockling certs needs the openssl command: install it (Debian: apt-get install openssl)');
    throw new CliError(`openssl ${args[0]} failed: ${(e.stderr ?? e.message).trim()}`);
  }
}
