// `dockling version`: the client's version and the daemon's (`GET /version`), laid out like
// `docker version`. With no daemon the client part still prints, then the connection error.
import type { Verb } from '../verb.js';
import { renderTemplate } from '../format/template.js';
import { clientVersion, goArch } from '../package-info.js';
import { CliError } from '../errors.js';

interface ServerVersion {
  Platform?: { Name?: string };
  Version?: string;
  ApiVersion?: string;
  MinAPIVersion?: string;
  GoVersion?: string;
  GitCommit?: string;
  BuildTime?: string;
  Os?: string;
  Arch?: string;
  KernelVersion?: string;
}

function field(label: string, value: string, indent: string): string {
  return `${indent}${(label + ':').padEnd(19 - indent.length + 1)}${value}\n`;
}

export const verb: Verb = {
  usage: 'version [OPTIONS]',
  description: 'Show the Dockling version information',
  args: { max: 0 },
  flags: [
    { name: 'format', short: 'f', type: 'string', value: 'string', description: 'Format output using a custom template' },
    { name: 'client-only', type: 'bool', description: 'Print only the client version' },
  ],
  async run(ctx) {
    const client = { Version: await clientVersion(), ApiVersion: '1.50', NodeVersion: process.version, Os: 'linux', Arch: goArch() };
    if (ctx.flags['client-only']) {
      ctx.stdout.write(`Dockling version ${client.Version}\n`);
      return;
    }
    let server: ServerVersion | null = null;
    let failure: CliError | null = null;
    try {
      server = await ctx.client().json<ServerVersion>('GET', '/version');
    } catch (err) {
      if (!(err instanceof CliError)) throw err;
      failure = err;
    }
    const format = ctx.flags.format as string | undefined;
    if (format) ctx.stdout.write(renderTemplate(format === 'json' ? '{{json .}}' : format, { Client: client, Server: server }) + '\n');
    else {
      let out = 'Client:\n';
      out += field('Version', client.Version, ' ');
      out += field('API version', client.ApiVersion, ' ');
      out += field('Node version', client.NodeVersion, ' ');
      out += field('OS/Arch', `${client.Os}/${client.Arch}`, ' ');
      if (server) {
        out += `\nServer: ${server.Platform?.Name ?? ''}\n Engine:\n`;
        out += field('Version', server.Version ?? '', '  ');
        out += field('API version', `${server.ApiVersion ?? ''} (minimum version ${server.MinAPIVersion ?? ''})`, '  ');
        out += field('Runtime', server.GoVersion ?? '', '  ');
        out += field('Built', server.BuildTime ?? '', '  ');
        out += field('OS/Arch', `${server.Os ?? ''}/${server.Arch ?? ''}`, '  ');
        out += field('Kernel', server.KernelVersion ?? '', '  ');
      }
      ctx.stdout.write(out);
    }
    if (failure) throw failure;
  },
};
