// The install step of the package (package.json "install", run by `npm install` and `npm ci`),
// chapter 3: the static helpers (dockling-init, dockling-shim, dockling-pty, dockling-spawn,
// dockling-sendfile) are C programs that must be compiled on the machine that runs them, so a
// packed Dockling (`npm pack`, then `npm install -g dockling-0.1.0.tgz`) carries their sources
// and builds them here, next to the compiled JS that looks for them (init-helper.ts).
// Before building it checks what the build needs and says which Debian package is missing.
// Plain JavaScript, not TypeScript: it runs before anything is compiled, and on any Node that
// npm may come with, so that an old Node gets a clear message rather than a syntax error.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = fileURLToPath(new URL('.', import.meta.url));
const pkgRoot = join(here, '../..');
const APT = 'apt-get install gcc libc6-dev';

function fail(message) {
  process.stderr.write(`dockling: ${message}\n`);
  process.exit(1);
}

/** package.json's "engines": {"node": ">=MAJOR.MINOR"} against the Node running this script. */
function checkNode() {
  const wanted = JSON.parse(readFileSync(join(pkgRoot, 'package.json'), 'utf8')).engines.node;
  const [wantMajor, wantMinor] = wanted.replace(/^>=/, '').split('.').map(Number);
  const [major, minor] = process.versions.node.split('.').map(Number);
  if (major > wantMajor || (major === wantMajor && minor >= (wantMinor || 0))) return;
  fail(`Node.js ${process.versions.node} is too old: Dockling needs Node.js ${wanted} (see https://nodejs.org, or your distribution's nodejs package)`);
}

/**
 * The compiler ($CC, as make and build-helpers.sh read it, else cc) must exist and must link
 * statically: `-static` needs libc.a, which Debian ships in libc6-dev, not with gcc itself.
 * A one-line program tells the two failures apart before the real build hides them in noise.
 */
function checkCompiler() {
  const [cc, ...ccArgs] = (process.env.CC || 'cc').trim().split(/\s+/);
  const dir = mkdtempSync(join(tmpdir(), 'dockling-cc-'));
  let r;
  try {
    writeFileSync(join(dir, 'probe.c'), 'int main(void) { return 0; }\n');
    r = spawnSync(cc, [...ccArgs, '-static', '-o', join(dir, 'probe'), join(dir, 'probe.c')], { encoding: 'utf8' });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  if (r.error && r.error.code === 'ENOENT') {
    fail(`building the static helpers needs a C compiler, and there is none ("${cc}" not found). On Debian or Ubuntu: ${APT}`);
  }
  if (r.error) fail(`could not run the C compiler "${cc}": ${r.error.message}`);
  if (r.status !== 0) {
    const said = (r.stderr || '').trim().split('\n').slice(-3).join('\n  ');
    fail(`"${cc} -static" cannot build a static program; the static C library (libc.a) is probably missing. On Debian or Ubuntu: ${APT}\n  the compiler said: ${said}`);
  }
}

checkNode();
checkCompiler();
// A checkout (tsconfig.json is there; a packed Dockling has none) builds everything, helpers
// included, in its "prepare" step right after this one (`npm run build`): nothing more here.
if (existsSync(join(pkgRoot, 'tsconfig.json'))) process.exit(0);
const built = spawnSync('sh', [join(here, 'build-helpers.sh'), join(pkgRoot, 'dist/engine/namespaces')], { stdio: 'inherit' });
process.exit(built.status ?? 1);
