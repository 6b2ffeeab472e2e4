// `dockling info`: what the daemon reports about itself and its host (`GET /info`), laid out
// like `docker info`'s Server section: counts, storage, cgroups, kernel, CPUs and memory, and
// the registry settings (insecure registries, mirrors).
import type { Verb } from '../verb.js';
import { renderTemplate } from '../format/template.js';
import { bytesSize } from '../format/size.js';

type Info = Record<string, unknown> & {
  Containers?: number;
  ContainersRunning?: number;
  ContainersPaused?: number;
  ContainersStopped?: number;
  Images?: number;
  ServerVersion?: string;
  Driver?: string;
  DriverStatus?: string[][];
  CgroupDriver?: string;
  CgroupVersion?: string;
  KernelVersion?: string;
  OperatingSystem?: string;
  OSType?: string;
  Architecture?: string;
  NCPU?: number;
  MemTotal?: number;
  Name?: string;
  ID?: string;
  DockerRootDir?: string;
  LiveRestoreEnabled?: boolean;
  RegistryConfig?: {
    InsecureRegistryCIDRs?: string[];
    IndexConfigs?: Record<string, { Name?: string; Secure?: boolean }>;
    Mirrors?: string[] | null;
  };
};

/** Chapter 4's settings as `docker info` lists them: insecure names, then CIDRs; then mirrors. */
function registryLines(config: Info['RegistryConfig']): string[] {
  if (!config) return [];
  const insecure = [
    ...Object.values(config.IndexConfigs ?? {}).filter((c) => c.Secure === false).map((c) => c.Name ?? ''),
    ...(config.InsecureRegistryCIDRs ?? []),
  ];
  const mirrors = config.Mirrors ?? [];
  return [
    ...(insecure.length ? [' Insecure Registries:', ...insecure.map((r) => `  ${r}`)] : []),
    ...(mirrors.length ? [' Registry Mirrors:', ...mirrors.map((m) => `  ${m}`)] : []),
  ];
}

export function infoText(info: Info): string {
  const lines = [
    'Server:',
    ` Containers: ${info.Containers ?? 0}`,
    `  Running: ${info.ContainersRunning ?? 0}`,
    `  Paused: ${info.ContainersPaused ?? 0}`,
    `  Stopped: ${info.ContainersStopped ?? 0}`,
    ` Images: ${info.Images ?? 0}`,
    ` Server Version: ${info.ServerVersion ?? ''}`,
    ` Storage Driver: ${info.Driver ?? ''}`,
    ...(info.DriverStatus ?? []).map(([k, v]) => `  ${k}: ${v}`),
    ` Cgroup Driver: ${info.CgroupDriver ?? ''}`,
    ` Cgroup Version: ${info.CgroupVersion ?? ''}`,
    ` Kernel Version: ${info.KernelVersion ?? ''}`,
    ` Operating System: ${info.OperatingSystem ?? ''}`,
    ` OSType: ${info.OSType ?? ''}`,
    ` Architecture: ${info.Architecture ?? ''}`,
    ` CPUs: ${info.NCPU ?? 0}`,
    ` Total Memory: ${bytesSize(info.MemTotal ?? 0)}`,
    ` Name: ${info.Name ?? ''}`,
    ` ID: ${info.ID ?? ''}`,
    ` Dockling Root Dir: ${info.DockerRootDir ?? ''}`,
    ...registryLines(info.RegistryConfig),
    ` Live Restore Enabled: ${info.LiveRestoreEnabled ?? false}`,
  ];
  return lines.join('\n') + '\n';
}

export const verb: Verb = {
  usage: 'info [OPTIONS]',
  description: 'Display system-wide information',
  args: { max: 0 },
  flags: [{ name: 'format', short: 'f', type: 'string', value: 'string', description: 'Format output using a custom template' }],
  async run(ctx) {
    const info = await ctx.client().json<Info>('GET', '/info');
    const format = ctx.flags.format as string | undefined;
    ctx.stdout.write(format ? renderTemplate(format === 'json' ? '{{json .}}' : format, info) + '\n' : infoText(info));
  },
};
