// The shape of a JSON request body, checked before a handler acts on it: a field the engine reads
// must have the type the Engine API gives it, or the answer is a 400 naming the field. Without
// this a number where a string belongs reaches the engine as is (`e.split is not a function`, a
// 500) or, worse, is stored (`{"Name": 5}` became a network called "5"). Fields the engine does
// not read are let through, as dockerd ignores them; null stands for "not given" everywhere, as
// the docker CLI sends it.
import { HttpError } from './respond.js';

export type FieldKind = 'string' | 'boolean' | 'number' | 'strings' | 'string-or-strings' | 'string-map' | 'object' | 'array' | { object: BodyShape };
export type BodyShape = Record<string, FieldKind>;

const isObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);

function fits(v: unknown, kind: FieldKind): boolean {
  if (v === null) return true;
  if (typeof kind === 'object') return isObject(v);
  switch (kind) {
    case 'string': return typeof v === 'string';
    case 'boolean': return typeof v === 'boolean';
    case 'number': return typeof v === 'number' && Number.isFinite(v);
    case 'strings': return Array.isArray(v) && v.every((x) => typeof x === 'string');
    case 'string-or-strings': return typeof v === 'string' || (Array.isArray(v) && v.every((x) => typeof x === 'string'));
    case 'string-map': return isObject(v) && Object.values(v).every((x) => typeof x === 'string');
    case 'object': return isObject(v);
    case 'array': return Array.isArray(v);
  }
}

const describe = (kind: FieldKind) => (typeof kind === 'object' ? 'an object' : { string: 'a string', boolean: 'true or false', number: 'a number', strings: 'an array of strings', 'string-or-strings': 'a string or an array of strings', 'string-map': 'an object of strings', object: 'an object', array: 'an array' }[kind]);

/** Throws a 400 naming the first field (`HostConfig.Binds`) whose value is of the wrong type. */
export function checkShape(body: unknown, shape: BodyShape, what: string, at = ''): void {
  if (!isObject(body)) throw new HttpError(400, `invalid ${what}${at ? ` field ${at}` : ''}: want a JSON object, got ${JSON.stringify(body)?.slice(0, 100)}`);
  for (const [field, kind] of Object.entries(shape)) {
    if (!Object.hasOwn(body, field) || body[field] === undefined) continue;
    const v = body[field];
    if (!fits(v, kind)) throw new HttpError(400, `invalid ${what}: ${at}${field} must be ${describe(kind)}, got ${JSON.stringify(v)?.slice(0, 100)}`);
    if (typeof kind === 'object' && v !== null) checkShape(v, kind.object, what, `${at}${field}.`);
  }
}

// #region create-shape
/** `POST /containers/create`: the fields of Config and HostConfig that Dockling reads. */
export const CREATE_SHAPE: BodyShape = {
  Image: 'string', Cmd: 'string-or-strings', Entrypoint: 'string-or-strings', Env: 'strings', Labels: 'string-map', WorkingDir: 'string', User: 'string',
  Hostname: 'string', Domainname: 'string', StopSignal: 'string', Tty: 'boolean', OpenStdin: 'boolean', StdinOnce: 'boolean', AttachStdin: 'boolean',
  AttachStdout: 'boolean', AttachStderr: 'boolean', ExposedPorts: 'object', Volumes: 'object',
  HostConfig: {
    object: {
      Binds: 'strings', Mounts: 'array', Memory: 'number', MemorySwap: 'number', NanoCpus: 'number', CpuShares: 'number', CpuQuota: 'number', CpuPeriod: 'number',
      PidsLimit: 'number', NetworkMode: 'string', Runtime: 'string', AutoRemove: 'boolean', Privileged: 'boolean', ReadonlyRootfs: 'boolean', CapAdd: 'strings',
      CapDrop: 'strings', SecurityOpt: 'strings', Dns: 'strings', ExtraHosts: 'strings', PortBindings: 'object', RestartPolicy: 'object', Tmpfs: 'string-map',
    },
  },
};
// #endregion create-shape

export const VOLUME_CREATE_SHAPE: BodyShape = { Name: 'string', Driver: 'string', DriverOpts: 'string-map', Labels: 'string-map' };
export const EXEC_CREATE_SHAPE: BodyShape = { Cmd: 'strings', Env: 'strings', User: 'string', WorkingDir: 'string', Tty: 'boolean', AttachStdin: 'boolean', AttachStdout: 'boolean', AttachStderr: 'boolean', Privileged: 'boolean', ConsoleSize: 'array' };
