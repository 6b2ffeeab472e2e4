// The daemon's registry settings (chapter 4 seen from chapter 6): which registries it speaks to
// in plain HTTP (`--insecure-registry`) and which mirrors stand in for Docker Hub
// (`--registry-mirror`), checked once at start-up the way dockerd checks them, and shown back
// in `GET /info` as Docker's RegistryConfig:
//
//   "RegistryConfig": {
//     "InsecureRegistryCIDRs": ["10.0.0.0/8", "::1/128", "127.0.0.0/8"],   ← CIDR entries
//     "IndexConfigs": {
//       "docker.io":      {"Name": "docker.io", "Mirrors": ["https://m.example/"], "Secure": true, "Official": true},
//       "workshop:5000":  {"Name": "workshop:5000", "Mirrors": [], "Secure": false, "Official": false}
//     },                                                                      ← host[:port] entries
//     "Mirrors": ["https://m.example/"]
//   }
//
// The registry client makes the same decisions from the same lists (registry/client/endpoints.ts);
// this file only checks them and shows them.
import { invalid } from '../base/index.js';

export interface RegistrySettings {
  /** `host[:port]` or an IPv4 CIDR, as given: the registry client's `insecureRegistries`. */
  insecureRegistries: string[];
  /** Mirror base URLs, normalised to `scheme://host[:port]/`. */
  mirrors: string[];
}

/** Loopback is always insecure: a registry on this machine needs no certificate (dockerd's rule too). */
const LOOPBACK_CIDRS = ['::1/128', '127.0.0.0/8'];

const CIDR = /^(\d{1,3}(?:\.\d{1,3}){3})\/(\d{1,2})$/;

/** Refuses what dockerd refuses: a scheme on an insecure entry, a mirror that is not a bare http(s) URL. */
export function checkRegistrySettings(given: { insecureRegistries?: string[]; mirrors?: string[] }): RegistrySettings {
  const insecureRegistries = (given.insecureRegistries ?? []).map((entry) => {
    const e = entry.trim();
    if (e === '') throw invalid('INVALID_INSECURE_REGISTRY', 'insecure registry: an entry is empty', { value: entry });
    if (e.includes('://')) throw invalid('INVALID_INSECURE_REGISTRY', `insecure registry ${e} should not contain '://' (give host[:port] or a CIDR)`, { value: e });
    const cidr = CIDR.exec(e);
    if (cidr && (cidr[1]!.split('.').some((p) => Number(p) > 255) || Number(cidr[2]) > 32)) {
      throw invalid('INVALID_INSECURE_REGISTRY', `insecure registry ${e} is not a valid CIDR`, { value: e });
    }
    return e;
  });
  return { insecureRegistries: [...new Set(insecureRegistries)], mirrors: [...new Set((given.mirrors ?? []).map(normaliseMirror))] };
}

function normaliseMirror(mirror: string): string {
  let url: URL;
  try {
    url = new URL(mirror.trim());
  } catch (err) {
    throw invalid('INVALID_MIRROR', `invalid mirror: ${JSON.stringify(mirror)} is not a URL (want http(s)://host[:port])`, { value: mirror }, err);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw invalid('INVALID_MIRROR', `invalid mirror: unsupported scheme ${JSON.stringify(url.protocol.replace(/:$/, ''))} in ${JSON.stringify(mirror)}`, { value: mirror });
  }
  // A mirror is a whole registry: a path would be silently dropped by every client, so say so.
  if (url.pathname !== '/' || url.search || url.hash || url.username) {
    throw invalid('INVALID_MIRROR', `invalid mirror: path, query, fragment or user in ${JSON.stringify(mirror)} (want http(s)://host[:port])`, { value: mirror });
  }
  return `${url.origin}/`;
}

/** Docker's RegistryConfig object for `GET /info`. */
export function registryConfigView(s: RegistrySettings) {
  const cidrs = s.insecureRegistries.filter((e) => CIDR.test(e));
  const hosts = s.insecureRegistries.filter((e) => !CIDR.test(e));
  const indexConfigs: Record<string, { Name: string; Mirrors: string[]; Secure: boolean; Official: boolean }> = {
    'docker.io': { Name: 'docker.io', Mirrors: s.mirrors, Secure: true, Official: true },
  };
  for (const name of hosts) indexConfigs[name] = { Name: name, Mirrors: [], Secure: false, Official: false };
  return {
    InsecureRegistryCIDRs: [...cidrs, ...LOOPBACK_CIDRS.filter((c) => !cidrs.includes(c))],
    IndexConfigs: indexConfigs,
    Mirrors: s.mirrors,
  };
}
