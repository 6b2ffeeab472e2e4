// Facts about the CLI itself: its version (from package.json, found by walking up from this
// file, which sits at a different depth in engine/ and dist/engine/) and its platform in Go's
// words, as Docker prints them.
import { readFile } from 'node:fs/promises';

export async function clientVersion(): Promise<string> {
  let url = new URL('.', import.meta.url);
  for (let i = 0; i < 5; i++) {
    try {
      const pkg = JSON.parse(await readFile(new URL('package.json', url), 'utf8')) as { name?: string; version?: string };
      if (pkg.name === 'dockling' && pkg.version) return pkg.version;
    } catch {
      // not here: go up one
    }
    url = new URL('..', url);
  }
  return '0.0.0';
}

export function goArch(arch: string = process.arch): string {
  return ({ x64: 'amd64', ia32: '386', arm64: 'arm64', arm: 'arm', ppc64: 'ppc64le', s390x: 's390x' } as Record<string, string>)[arch] ?? arch;
}
