// How the static helpers get onto the machine that installs Dockling, chapter 3. dockling-init,
// dockling-shim, dockling-pty, dockling-spawn and dockling-sendfile are C programs compiled where
// they run. A packed Dockling (`npm pack`, then `npm install -g dockling-0.1.0.tgz`) carries
// their sources, and this file, its "install" step, builds them next to the compiled JS that
// looks for them (init-helper.ts). In a checkout, "prepare" (`npm run build`) builds them and
// runs this file with --check first. Either way it checks what the build needs first, and
// names the Debian package that is missing.
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

// A checkout (tsconfig.json is there; a packed Dockling has none) builds everything, helpers
// included, in its "prepare" step (`npm run build`), which runs this file with --check first;
// the "install" step has nothing to do there.
const checkout = existsSync(join(pkgRoot, 'tsconfig.json'));
const checkOnly = process.argv.includes('--check');
if (checkout && !checkOnly) process.exit(0);
checkNode();
checkCompiler();
// `npm install -g .` links a checkout and runs its prepare, but installs none of its
// dependencies, and the build needs the TypeScript compiler from the devDependencies.
if (checkout && !existsSync(join(pkgRoot, 'node_modules/typescript/package.json'))) {
  fail(`${pkgRoot} is a checkout without its dependencies (no node_modules/typescript): run \`npm ci\` in it first (\`npm install -g\` of a folder links it and installs nothing in it)`);
}
if (checkOnly) process.exit(0);
const built = spawnSync('sh', [join(here, 'build-helpers.sh'), join(pkgRoot, 'dist/engine/namespaces')], { stdio: 'inherit' });
process.exit(built.status ?? 1);
