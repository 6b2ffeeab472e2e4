// seccomp without root (chapter 3): the default profile's shape in config.json, and the BPF
// program compiled from a profile, run here by a tiny classic-BPF interpreter on made-up
// seccomp_data — the same bytes dockling-init hands the kernel.
import { describe, expect, it } from 'vitest';
import type { ContainerRecord } from '../../engine/unionfs/index.js';
import {
  AUDIT_ARCH_X86_64, BPF, DEFAULT_CAPABILITIES, SECCOMP_RET, SYSCALLS_X86_64, bpfHex, compileSeccomp, defaultSeccomp, parseProfile,
  capabilitiesOf, planInit, seccompFor, specFromContainer, type BpfInstruction, type LinuxSeccomp,
} from '../../engine/namespaces/index.js';

/** Runs a program on one call: nr, arch and up to six 64-bit arguments (as bigints). */
function run(program: BpfInstruction[], call: { nr: number; arch?: number; args?: bigint[] }): number {
  const data = Buffer.alloc(64);
  data.writeInt32LE(call.nr, 0);
  data.writeUInt32LE(call.arch ?? AUDIT_ARCH_X86_64, 4);
  (call.args ?? []).forEach((a, i) => data.writeBigUInt64LE(a, 16 + 8 * i));
  let A = 0;
  for (let pc = 0; pc < program.length; pc++) {
    const ins = program[pc]!;
    switch (ins.code) {
      case BPF.LD_W_ABS: A = data.readUInt32LE(ins.k); break;
      case BPF.AND_K: A = (A & ins.k) >>> 0; break;
      case BPF.JEQ_K: pc += A === ins.k ? ins.jt : ins.jf; break;
      case BPF.JGE_K: pc += A >= ins.k ? ins.jt : ins.jf; break;
      case BPF.RET_K: return ins.k;
      default: throw new Error(`opcode ${ins.code}`);
    }
  }
  throw new Error('fell off the end');
}

const nr = (name: string) => SYSCALLS_X86_64[name]!;
const ERRNO = (e: number) => (SECCOMP_RET.ERRNO | e) >>> 0;

function record(hostConfig: Record<string, unknown>): ContainerRecord {
  return {
    Id: 'ab'.repeat(32), Created: '', Path: 'sh', Args: [],
    State: { Status: 'created', Running: false, Paused: false, Restarting: false, OOMKilled: false, Dead: false, Pid: 0, ExitCode: 0, Error: '', StartedAt: '', FinishedAt: '' },
    Image: 'sha256:0', Name: '/x', Driver: 'overlay2', Platform: 'linux',
    Config: { Hostname: 'box', Domainname: '', AttachStdin: false, AttachStdout: true, AttachStderr: true, Tty: false, OpenStdin: false, StdinOnce: false, Image: 'busybox', Env: ['PATH=/bin'], Cmd: ['sh'] },
    HostConfig: hostConfig, SnapshotKey: 'k',
  };
}
const image = { architecture: 'amd64', os: 'linux', rootfs: { type: 'layers' as const, diff_ids: [] } };

describe('the BPF program', () => {
  const small: LinuxSeccomp = {
    defaultAction: 'SCMP_ACT_ALLOW',
    syscalls: [
      { names: ['keyctl', 'no_such_call'], action: 'SCMP_ACT_ERRNO', errnoRet: 1 },
      { names: ['clone'], action: 'SCMP_ACT_ERRNO', args: [{ index: 0, value: 0x10000000, valueTwo: 0x10000000, op: 'SCMP_CMP_MASKED_EQ' }] },
      { names: ['personality'], action: 'SCMP_ACT_ERRNO', args: [{ index: 0, value: 8, op: 'SCMP_CMP_EQ' }] },
      { names: ['clone3'], action: 'SCMP_ACT_ERRNO', errnoRet: 38 },
      { names: ['kill'], action: 'SCMP_ACT_ERRNO', args: [{ index: 1, value: 9, op: 'SCMP_CMP_NE' }] },
    ],
  };
  const program = compileSeccomp(small);

  it('checks the architecture first, then the x32 bit', () => {
    expect(program.slice(0, 3).map((i) => i.code)).toEqual([BPF.LD_W_ABS, BPF.JEQ_K, BPF.RET_K]);
    expect(run(program, { nr: nr('getpid'), arch: 0x40000003 /* i386 */ })).toBe(SECCOMP_RET.KILL_PROCESS);
    expect(run(program, { nr: nr('getpid') | 0x40000000 })).toBe(SECCOMP_RET.KILL_PROCESS);
  });

  it('refuses the named calls and allows the rest', () => {
    expect(run(program, { nr: nr('keyctl') })).toBe(ERRNO(1));
    expect(run(program, { nr: nr('clone3') })).toBe(ERRNO(38));
    expect(run(program, { nr: nr('getpid') })).toBe(SECCOMP_RET.ALLOW);
    expect(run(program, { nr: nr('execve') })).toBe(SECCOMP_RET.ALLOW);
  });

  it('compares arguments as 64 bits: MASKED_EQ, EQ, NE', () => {
    expect(run(program, { nr: nr('clone'), args: [0x10000000n | 17n] })).toBe(ERRNO(1));
    expect(run(program, { nr: nr('clone'), args: [0x01200011n] })).toBe(SECCOMP_RET.ALLOW); // fork's flags
    expect(run(program, { nr: nr('personality'), args: [8n] })).toBe(ERRNO(1));
    expect(run(program, { nr: nr('personality'), args: [(1n << 32n) | 8n] })).toBe(SECCOMP_RET.ALLOW);
    expect(run(program, { nr: nr('kill'), args: [1n, 15n] })).toBe(ERRNO(1));
    expect(run(program, { nr: nr('kill'), args: [1n, 9n] })).toBe(SECCOMP_RET.ALLOW);
    expect(run(program, { nr: nr('kill'), args: [1n, (1n << 32n) | 9n] })).toBe(ERRNO(1));
  });

  it('is 8 bytes an instruction in the plan, little-endian', () => {
    const hex = bpfHex(program);
    expect(hex.length).toBe(program.length * 16);
    expect(hex.slice(0, 16)).toBe('2000000004000000'); // ld [4]: A = arch
  });

  it('refuses comparisons it cannot compile, by code', () => {
    expect(() => compileSeccomp({ defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['kill'], action: 'SCMP_ACT_ERRNO', args: [{ index: 0, value: 1, op: 'SCMP_CMP_GT' }] }] }))
      .toThrow(expect.objectContaining({ code: 'SECCOMP_OP_UNSUPPORTED' }));
  });
});

describe('the default profile', () => {
  const program = compileSeccomp(defaultSeccomp(DEFAULT_CAPABILITIES));
  const verdict = (name: string, args: bigint[] = []) => run(program, { nr: nr(name), args });

  it('refuses what Docker refuses, with EPERM (clone3 with ENOSYS)', () => {
    for (const name of ['keyctl', 'add_key', 'request_key', 'mount', 'umount2', 'pivot_root', 'unshare', 'setns', 'ptrace', 'init_module', 'finit_module',
      'delete_module', 'kexec_load', 'bpf', 'perf_event_open', 'userfaultfd', 'open_by_handle_at', 'reboot', 'swapon', 'acct', 'settimeofday', 'clock_settime',
      'quotactl', 'iopl', 'ioperm', 'uselib', 'ustat', 'sysfs', '_sysctl', 'move_pages', 'mbind', 'set_mempolicy', 'io_uring_setup']) {
      expect([name, verdict(name)]).toEqual([name, ERRNO(1)]);
    }
    expect(verdict('clone3')).toBe(ERRNO(38));
  });

  it('allows what ordinary programs do', () => {
    for (const name of ['read', 'write', 'openat', 'execve', 'mmap', 'wait4', 'socket', 'connect', 'getdents64', 'chown', 'chroot', 'kill', 'exit_group']) {
      expect([name, verdict(name)]).toEqual([name, SECCOMP_RET.ALLOW]);
    }
    expect(verdict('clone', [0x01200011n])).toBe(SECCOMP_RET.ALLOW); // fork
    expect(verdict('clone', [0x003d0f00n])).toBe(SECCOMP_RET.ALLOW); // pthread_create
    expect(verdict('personality', [0xffffffffn])).toBe(SECCOMP_RET.ALLOW); // only asking
    expect(verdict('personality', [0n])).toBe(SECCOMP_RET.ALLOW);
  });

  it('refuses clone with a namespace flag and personality(ADDR_NO_RANDOMIZE)', () => {
    expect(verdict('clone', [0x10000000n | 17n])).toBe(ERRNO(1)); // CLONE_NEWUSER
    expect(verdict('clone', [0x20000000n | 17n])).toBe(ERRNO(1)); // CLONE_NEWPID
    expect(verdict('personality', [0x0040000n])).toBe(ERRNO(1));
  });

  it('refuses making devices (no device cgroup here) but not fifos or whiteouts', () => {
    expect(verdict('mknod', [0n, 0o060600n, 0xfe00n])).toBe(ERRNO(1)); // b 254 0: a raw disk
    expect(verdict('mknodat', [0n, 0n, 0o020600n, 0x101n])).toBe(ERRNO(1)); // c 1 1: /dev/mem
    expect(verdict('mknod', [0n, 0o020000n, 0n])).toBe(SECCOMP_RET.ALLOW); // c 0 0: a whiteout
    expect(verdict('mknodat', [0n, 0n, 0o010644n, 0n])).toBe(SECCOMP_RET.ALLOW); // a fifo
  });

  it('lets a capability re-allow its calls, as --cap-add does in Docker', () => {
    const withAdmin = compileSeccomp(defaultSeccomp([...DEFAULT_CAPABILITIES, 'CAP_SYS_ADMIN']));
    expect(run(withAdmin, { nr: nr('mount') })).toBe(SECCOMP_RET.ALLOW);
    expect(run(withAdmin, { nr: nr('unshare') })).toBe(SECCOMP_RET.ALLOW);
    expect(run(withAdmin, { nr: nr('keyctl') })).toBe(ERRNO(1)); // no capability re-allows the keyring
    const withPtrace = compileSeccomp(defaultSeccomp([...DEFAULT_CAPABILITIES, 'CAP_SYS_PTRACE']));
    expect(run(withPtrace, { nr: nr('ptrace') })).toBe(SECCOMP_RET.ALLOW);
  });
});

describe('linux.seccomp in config.json', () => {
  it('has the OCI shape runc and crun read', () => {
    const spec = specFromContainer({ record: record({}), image });
    const s = spec.linux.seccomp!;
    expect(s.defaultAction).toBe('SCMP_ACT_ALLOW');
    expect(s.architectures).toEqual(['SCMP_ARCH_X86_64']);
    expect(s.syscalls).toContainEqual({ names: ['keyctl', 'add_key', 'request_key'], action: 'SCMP_ACT_ERRNO', errnoRet: 1 });
    expect(s.syscalls).toContainEqual({ names: ['clone'], action: 'SCMP_ACT_ERRNO', errnoRet: 1, args: [{ index: 0, value: 0x10000000, valueTwo: 0x10000000, op: 'SCMP_CMP_MASKED_EQ' }] });
    for (const r of s.syscalls!) for (const n of r.names) expect(SYSCALLS_X86_64[n], n).toBeTypeOf('number');
  });

  it('follows --cap-add and --cap-drop, as Docker reads them', () => {
    expect(capabilitiesOf({ CapAdd: ['sys_admin'] })).toEqual([...DEFAULT_CAPABILITIES, 'CAP_SYS_ADMIN']);
    expect(capabilitiesOf({ CapDrop: ['ALL'], CapAdd: ['NET_RAW'] })).toEqual(['CAP_NET_RAW']);
    expect(capabilitiesOf({ CapDrop: ['CAP_CHOWN'] })).not.toContain('CAP_CHOWN');
    expect(capabilitiesOf({ CapAdd: ['ALL'] })).toContain('CAP_SYS_MODULE');
    expect(() => capabilitiesOf({ CapAdd: ['NOPE'] })).toThrow(expect.objectContaining({ code: 'UNKNOWN_CAPABILITY' }));
    const spec = specFromContainer({ record: record({ CapAdd: ['SYS_ADMIN'] }), image });
    expect(spec.process.capabilities.bounding).toContain('CAP_SYS_ADMIN');
    const names = spec.linux.seccomp!.syscalls!.flatMap((r) => r.names);
    expect(names).not.toContain('mount');
    expect(names).not.toContain('unshare');
    expect(names).toContain('keyctl');
  });

  it('is absent with seccomp=unconfined or Privileged', () => {
    expect(specFromContainer({ record: record({ SecurityOpt: ['seccomp=unconfined'] }), image }).linux.seccomp).toBeUndefined();
    expect(specFromContainer({ record: record({ SecurityOpt: ['seccomp:unconfined'] }), image }).linux.seccomp).toBeUndefined();
    expect(specFromContainer({ record: record({ Privileged: true }), image }).linux.seccomp).toBeUndefined();
  });

  it('takes a profile given as JSON, OCI or Docker shape', () => {
    const docker = JSON.stringify({
      defaultAction: 'SCMP_ACT_ERRNO', defaultErrnoRet: 1,
      syscalls: [
        { names: ['read', 'write', 'execve'], action: 'SCMP_ACT_ALLOW' },
        { names: ['mount'], action: 'SCMP_ACT_ALLOW', includes: { caps: ['CAP_SYS_ADMIN'] } },
        { names: ['getpid'], action: 'SCMP_ACT_ALLOW', excludes: { arches: ['amd64'] } },
      ],
    });
    const s = seccompFor({ hostConfig: { SecurityOpt: [`seccomp=${docker}`] }, capabilities: DEFAULT_CAPABILITIES })!;
    expect(s.syscalls).toEqual([{ names: ['read', 'write', 'execve'], action: 'SCMP_ACT_ALLOW' }]);
    const p = compileSeccomp(s);
    expect(run(p, { nr: nr('write') })).toBe(SECCOMP_RET.ALLOW);
    expect(run(p, { nr: nr('getpid') })).toBe(ERRNO(1));
  });

  it('refuses a profile that is not JSON, by code', () => {
    expect(() => parseProfile('not json', DEFAULT_CAPABILITIES)).toThrow(expect.objectContaining({ code: 'SECCOMP_PROFILE_INVALID' }));
    expect(() => parseProfile('{}', DEFAULT_CAPABILITIES)).toThrow(expect.objectContaining({ code: 'SECCOMP_PROFILE_INVALID' }));
  });

  it('is the plan\'s seccomp step, just before exec-init, readable as a note', () => {
    const spec = specFromContainer({ record: record({}), image });
    const plan = planInit(spec, { initPath: '/opt/dockling-init' });
    const names = plan.steps.map((s) => s.name);
    expect(names.slice(-2)).toEqual(['seccomp', 'exec-init']);
    const step = plan.steps.at(-2)!;
    expect(step.command).toMatch(/^: seccomp, loaded by dockling-init just before exec: 'refuses keyctl add_key request_key mount /);
    expect(step.sys).toEqual([['seccomp', bpfHex(compileSeccomp(spec.linux.seccomp!))]]);
  });
});
