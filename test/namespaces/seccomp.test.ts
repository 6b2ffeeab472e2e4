// seccomp without root (chapter 3): the default profile's shape in config.json, and the BPF
// program compiled from a profile, run here by a tiny classic-BPF interpreter on made-up
// seccomp_data — the same bytes dockling-init hands the kernel.
import { describe, expect, it } from 'vitest';
import type { ContainerRecord } from '../../engine/unionfs/index.js';
import {
  AUDIT_ARCH_X86_64, BPF, DEFAULT_CAPABILITIES, DEFAULT_DENIED, SECCOMP_RET, SYSCALLS_X86_64, bpfHex, compileSeccomp, defaultSeccomp, parseProfile,
  capabilitiesOf, planInit, seccompFor, specFromContainer, type BpfInstruction, type LinuxSeccomp,
  CAPABILITY_BITS, boundingCapabilities, deviceNumbers, hostDevices,
} from '../../engine/namespaces/index.js';

/** How many instructions the last run() took. */
let steps = 0;

/** Runs a program on one call: nr, arch and up to six 64-bit arguments (as bigints). */
function run(program: BpfInstruction[], call: { nr: number; arch?: number; args?: bigint[] }): number {
  const data = Buffer.alloc(64);
  data.writeInt32LE(call.nr, 0);
  data.writeUInt32LE(call.arch ?? AUDIT_ARCH_X86_64, 4);
  (call.args ?? []).forEach((a, i) => data.writeBigUInt64LE(a, 16 + 8 * i));
  let A = 0;
  steps = 0;
  for (let pc = 0; pc < program.length; pc++) {
    const ins = program[pc]!;
    steps++;
    switch (ins.code) {
      case BPF.LD_W_ABS: A = data.readUInt32LE(ins.k); break;
      case BPF.AND_K: A = (A & ins.k) >>> 0; break;
      case BPF.JEQ_K: pc += A === ins.k ? ins.jt : ins.jf; break;
      case BPF.JGE_K: pc += A >= ins.k ? ins.jt : ins.jf; break;
      case BPF.JGT_K: pc += A > ins.k ? ins.jt : ins.jf; break;
      case BPF.JA: pc += ins.k; break;
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
      { names: ['socket'], action: 'SCMP_ACT_ERRNO', args: [{ index: 0, value: 38, op: 'SCMP_CMP_GE' }, { index: 1, value: 40, op: 'SCMP_CMP_LE' }] },
      { names: ['bind'], action: 'SCMP_ACT_ERRNO', args: [{ index: 0, value: 38, op: 'SCMP_CMP_GE' }, { index: 0, value: 40, op: 'SCMP_CMP_LE' }] },
      { names: ['dup'], action: 'SCMP_ACT_ERRNO', args: [{ index: 0, value: 2 ** 32 + 5, op: 'SCMP_CMP_GT' }] },
      { names: ['dup'], action: 'SCMP_ACT_ERRNO', errnoRet: 9, args: [{ index: 0, value: 3, op: 'SCMP_CMP_LT' }] },
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

  it('compares arguments in order as unsigned 64 bits: LT, LE, GT, GE', () => {
    for (const [a0, a1, verdict] of [[37n, 5n, SECCOMP_RET.ALLOW], [38n, 40n, ERRNO(1)], [40n, 0n, ERRNO(1)], [40n, 41n, SECCOMP_RET.ALLOW], [(1n << 32n) | 39n, 1n, ERRNO(1)]] as const) {
      expect([a0, a1, run(program, { nr: nr('socket'), args: [a0, a1] })]).toEqual([a0, a1, verdict]);
    }
    // Two comparisons of one argument: "either", as runc and crun load them (libseccomp cannot AND them).
    expect(run(program, { nr: nr('bind'), args: [100n] })).toBe(ERRNO(1)); // >= 38
    expect(run(program, { nr: nr('bind'), args: [1n] })).toBe(ERRNO(1)); // <= 40
    expect(run(program, { nr: nr('dup'), args: [(1n << 32n) + 6n] })).toBe(ERRNO(1)); // > 2^32 + 5: the high halves decide
    expect(run(program, { nr: nr('dup'), args: [(1n << 32n) + 5n] })).toBe(SECCOMP_RET.ALLOW);
    expect(run(program, { nr: nr('dup'), args: [2n << 32n] })).toBe(ERRNO(1));
    expect(run(program, { nr: nr('dup'), args: [2n] })).toBe(ERRNO(9)); // < 3: the second rule
    expect(run(program, { nr: nr('dup'), args: [3n] })).toBe(SECCOMP_RET.ALLOW);
  });

  it('finds a call by binary search: a few steps for any number, where a list would take hundreds', () => {
    const big = compileSeccomp(defaultSeccomp(DEFAULT_CAPABILITIES));
    expect(big.length).toBeLessThan(1000);
    for (let n = 0; n < 1100; n++) {
      run(big, { nr: n });
      expect([n, steps]).toEqual([n, expect.any(Number)]);
      expect(steps, `nr ${n}`).toBeLessThan(45);
    }
  });

  it('is 8 bytes an instruction in the plan, little-endian', () => {
    const hex = bpfHex(program);
    expect(hex.length).toBe(program.length * 16);
    expect(hex.slice(0, 16)).toBe('2000000004000000'); // ld [4]: A = arch
  });

  it('refuses comparisons it cannot compile, by code', () => {
    expect(() => compileSeccomp({ defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['kill'], action: 'SCMP_ACT_ERRNO', args: [{ index: 0, value: 1, op: 'SCMP_CMP_BETWEEN' }] }] }))
      .toThrow(expect.objectContaining({ code: 'SECCOMP_OP_UNSUPPORTED' }));
  });
});

describe('the default profile', () => {
  const program = compileSeccomp(defaultSeccomp(DEFAULT_CAPABILITIES));
  const verdict = (name: string, args: bigint[] = []) => run(program, { nr: nr(name), args });

  it('refuses what Docker refuses, with EPERM (clone3 with ENOSYS)', () => {
    for (const name of ['keyctl', 'add_key', 'request_key', 'mount', 'umount2', 'pivot_root', 'unshare', 'setns', 'kcmp', 'init_module', 'finit_module',
      'delete_module', 'kexec_load', 'bpf', 'perf_event_open', 'userfaultfd', 'open_by_handle_at', 'reboot', 'swapon', 'acct', 'settimeofday', 'clock_settime',
      'quotactl', 'iopl', 'ioperm', 'uselib', 'ustat', 'sysfs', '_sysctl', 'move_pages', 'mbind', 'set_mempolicy', 'io_uring_setup']) {
      expect([name, verdict(name)]).toEqual([name, ERRNO(1)]);
    }
    expect(verdict('clone3')).toBe(ERRNO(38));
  });

  it('fails closed: a number no rule allows gets EPERM; one above the whole table gets ENOSYS', () => {
    expect(run(program, { nr: 400 })).toBe(ERRNO(1)); // in the table's gap 335–423 (i386's time64 calls)
    expect(run(program, { nr: 1000 })).toBe(ERRNO(38)); // newer than every call we know: libc falls back
    expect(run(program, { nr: 452 })).toBe(ERRNO(38)); // fchmodat2 (Linux 6.6), after set_mempolicy_home_node (450)
    expect(run(program, { nr: 0x3fffffff })).toBe(ERRNO(38));
    expect(run(program, { nr: nr('getpid'), arch: 0x40000003 /* i386 */ })).toBe(SECCOMP_RET.KILL_PROCESS);
    expect(run(program, { nr: nr('read') | 0x40000000 })).toBe(SECCOMP_RET.KILL_PROCESS);
  });

  it('is the x86_64 table minus the rows: every call of the table gets an answer from the rows', () => {
    const refused = new Set(DEFAULT_DENIED.filter((r) => !r.unlessCap?.length && !r.allowedWhen && r.errno === undefined).flatMap((r) => r.names));
    for (const [name, n] of Object.entries(SYSCALLS_X86_64)) {
      const v = run(program, { nr: n, args: [0n, 0n, 0n, 0n, 0n, 0n] });
      if (refused.has(name)) expect([name, v]).toEqual([name, ERRNO(1)]);
      else if (!DEFAULT_DENIED.some((r) => r.names.includes(name))) expect([name, v]).toEqual([name, SECCOMP_RET.ALLOW]);
    }
  });

  it('allows ptrace within the container, as Docker does on kernels since 4.8', () => {
    expect(verdict('ptrace')).toBe(SECCOMP_RET.ALLOW);
    expect(verdict('process_vm_readv')).toBe(SECCOMP_RET.ALLOW);
  });

  it('refuses AF_ALG and AF_VSOCK sockets, and a family hidden in the high bits', () => {
    expect(verdict('socket', [2n])).toBe(SECCOMP_RET.ALLOW); // AF_INET
    expect(verdict('socket', [1n])).toBe(SECCOMP_RET.ALLOW); // AF_UNIX
    expect(verdict('socket', [16n])).toBe(SECCOMP_RET.ALLOW); // AF_NETLINK
    expect(verdict('socket', [39n])).toBe(SECCOMP_RET.ALLOW); // AF_NFC
    expect(verdict('socket', [44n])).toBe(SECCOMP_RET.ALLOW); // AF_XDP
    expect(verdict('socket', [46n])).toBe(ERRNO(1)); // newer than the list
    expect(verdict('socket', [38n])).toBe(ERRNO(1)); // AF_ALG
    expect(verdict('socket', [40n])).toBe(ERRNO(1)); // AF_VSOCK
    expect(verdict('socket', [(1n << 32n) | 40n])).toBe(ERRNO(1)); // the kernel would read 40
    expect(verdict('socket', [(1n << 32n) | 2n])).toBe(ERRNO(1));
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
    expect(verdict('personality', [0x0400000n])).toBe(ERRNO(1)); // READ_IMPLIES_EXEC
    expect(verdict('personality', [8n])).toBe(SECCOMP_RET.ALLOW); // PER_LINUX32
  });

  it('refuses making devices (no device cgroup here) but not fifos or whiteouts', () => {
    expect(verdict('mknod', [0n, 0o060600n, 0xfe00n])).toBe(ERRNO(1)); // b 254 0: a raw disk
    expect(verdict('mknodat', [0n, 0n, 0o020600n, 0x101n])).toBe(ERRNO(1)); // c 1 1: /dev/mem
    expect(verdict('mknod', [0n, 0o020000n, 0n])).toBe(SECCOMP_RET.ALLOW); // c 0 0: a whiteout
    expect(verdict('mknodat', [0n, 0n, 0o010644n, 0n])).toBe(SECCOMP_RET.ALLOW); // a fifo
    expect(verdict('mknod', [0n, 0o100644n, 0n])).toBe(SECCOMP_RET.ALLOW); // a file
    expect(verdict('mknod', [0n, 0o644n, 0n])).toBe(SECCOMP_RET.ALLOW); // a file (type 0)
    expect(verdict('mknod', [0n, 0o140644n, 0n])).toBe(SECCOMP_RET.ALLOW); // a socket
  });

  it('lets a capability re-allow its calls, as --cap-add does in Docker', () => {
    const withAdmin = compileSeccomp(defaultSeccomp([...DEFAULT_CAPABILITIES, 'CAP_SYS_ADMIN']));
    expect(run(withAdmin, { nr: nr('mount') })).toBe(SECCOMP_RET.ALLOW);
    expect(run(withAdmin, { nr: nr('unshare') })).toBe(SECCOMP_RET.ALLOW);
    expect(run(withAdmin, { nr: nr('keyctl') })).toBe(ERRNO(1)); // no capability re-allows the keyring
    const withPtrace = compileSeccomp(defaultSeccomp([...DEFAULT_CAPABILITIES, 'CAP_SYS_PTRACE']));
    expect(run(withPtrace, { nr: nr('kcmp') })).toBe(SECCOMP_RET.ALLOW);
    expect(run(withPtrace, { nr: nr('userfaultfd') })).toBe(SECCOMP_RET.ALLOW);
  });
});

describe('linux.seccomp in config.json', () => {
  it('has the OCI shape runc and crun read', () => {
    const spec = specFromContainer({ record: record({}), image });
    const s = spec.linux.seccomp!;
    expect(s.defaultAction).toBe('SCMP_ACT_ERRNO');
    expect(s.defaultErrnoRet).toBe(1);
    expect(s.architectures).toEqual(['SCMP_ARCH_X86_64']);
    const allowed = s.syscalls![0]!;
    expect(allowed.action).toBe('SCMP_ACT_ALLOW');
    expect(allowed.names).toEqual(expect.arrayContaining(['read', 'write', 'execve', 'openat', 'ptrace']));
    for (const n of ['keyctl', 'mount', 'unshare', 'clone', 'socket', 'mknod', 'personality', 'clone3']) expect(allowed.names).not.toContain(n);
    expect(s.syscalls).toContainEqual({ names: ['clone'], action: 'SCMP_ACT_ALLOW', args: [{ index: 0, value: 0x7e020000, valueTwo: 0, op: 'SCMP_CMP_MASKED_EQ' }] });
    expect(s.syscalls).toContainEqual({ names: ['clone3'], action: 'SCMP_ACT_ERRNO', errnoRet: 38 });
    // No rule refuses with args: libseccomp cannot order an allow and a refusal for one call;
    // and no rule compares one argument twice: runc and crun would read "either".
    for (const r of s.syscalls!) if (r.args?.length) expect(r.action).toBe('SCMP_ACT_ALLOW');
    for (const r of s.syscalls!) expect(new Set((r.args ?? []).map((a) => a.index)).size).toBe((r.args ?? []).length);
    for (const r of s.syscalls!) for (const n of r.names) expect(SYSCALLS_X86_64[n], n).toBeTypeOf('number');
    // Every number in JSON exact for Go's and C's parsers: under 2^53.
    for (const r of s.syscalls!) for (const a of r.args ?? []) expect(Number.isSafeInteger(a.value) && Number.isSafeInteger(a.valueTwo ?? 0)).toBe(true);
  });

  it('follows --cap-add and --cap-drop, as Docker reads them', () => {
    expect(capabilitiesOf({ CapAdd: ['sys_admin'] })).toEqual([...DEFAULT_CAPABILITIES, 'CAP_SYS_ADMIN']);
    expect(capabilitiesOf({ CapDrop: ['ALL'], CapAdd: ['NET_RAW'] })).toEqual(['CAP_NET_RAW']);
    expect(capabilitiesOf({ CapDrop: ['CAP_CHOWN'] })).not.toContain('CAP_CHOWN');
    expect(capabilitiesOf({ CapAdd: ['ALL'] })).toContain('CAP_SYS_MODULE');
    expect(() => capabilitiesOf({ CapAdd: ['NOPE'] })).toThrow(expect.objectContaining({ code: 'UNKNOWN_CAPABILITY' }));
    const spec = specFromContainer({ record: record({ CapAdd: ['SYS_ADMIN'] }), image });
    expect(spec.process.capabilities.bounding).toContain('CAP_SYS_ADMIN');
    const allowed = spec.linux.seccomp!.syscalls![0]!.names;
    expect(allowed).toContain('mount');
    expect(allowed).toContain('unshare');
    expect(allowed).toContain('clone'); // no longer conditional
    expect(allowed).not.toContain('keyctl');
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
    expect(step.command).toMatch(/^: seccomp, loaded by dockling-init just before exec: 'refuses socket\(some args\) clone\(some args\) syslog .* keyctl /);
    expect(step.sys).toEqual([['seccomp', bpfHex(compileSeccomp(spec.linux.seccomp!))]]);
  });
});

describe('--privileged in config.json (HostConfig.Privileged)', () => {
  const devices = [
    { path: '/dev/loop-control', type: 'c' as const, major: 10, minor: 237, fileMode: 0o600, uid: 0, gid: 6 },
    { path: '/dev/net/tun', type: 'c' as const, major: 10, minor: 200, fileMode: 0o666, uid: 0, gid: 0 },
  ];
  const spec = specFromContainer({ record: record({ Privileged: true, CapDrop: ['ALL'] }), image, hostDevices: devices, hostCapabilities: ['CAP_CHOWN', 'CAP_SYS_ADMIN'] });
  const plain = specFromContainer({ record: record({}), image, hostDevices: devices });

  it('has every capability the engine holds (--cap-drop does not matter), and no filter', () => {
    expect(spec.process.capabilities.bounding).toEqual(['CAP_CHOWN', 'CAP_SYS_ADMIN']);
    expect(spec.process.capabilities.effective).toEqual(['CAP_CHOWN', 'CAP_SYS_ADMIN']);
    expect(specFromContainer({ record: record({ Privileged: true }), image }).process.capabilities.bounding).toEqual(Object.keys(CAPABILITY_BITS));
    expect(spec.linux.seccomp).toBeUndefined();
    expect(plain.linux.seccomp?.defaultAction).toBe('SCMP_ACT_ERRNO');
  });

  it('masks nothing, makes nothing read-only, mounts /sys read-write', () => {
    expect(spec.linux.maskedPaths).toEqual([]);
    expect(spec.linux.readonlyPaths).toEqual([]);
    expect(spec.mounts.find((m) => m.destination === '/sys')!.options).not.toContain('ro');
    expect(plain.linux.maskedPaths).toContain('/proc/kcore');
    expect(plain.mounts.find((m) => m.destination === '/sys')!.options).toContain('ro');
  });

  it('has the host\'s devices, and runc\'s device cgroup allows them all', () => {
    expect(spec.linux.devices).toEqual(devices);
    expect(spec.linux.resources?.devices).toEqual([{ allow: true, access: 'rwm' }]);
    expect(plain.linux.devices).toBeUndefined(); // given, but not privileged: not used
    expect(plain.linux.resources?.devices).toBeUndefined();
  });

  it('makes each device in the plan, with its directory first when it has one', () => {
    const plan = planInit(spec, { initPath: '/opt/dockling-init' });
    const tun = plan.steps.find((s) => s.name === 'device /dev/net/tun')!;
    expect(tun.sys).toEqual([['mkdir', 'rootfs/dev/net'], ['mknod', 'rootfs/dev/net/tun', '666', 'c', '10', '200']]);
    expect(plan.steps.find((s) => s.name === 'device /dev/loop-control')!.sys).toEqual([['mknod', 'rootfs/dev/loop-control', '600', 'c', '10', '237']]);
    expect(plan.steps.some((s) => s.name.startsWith('mask '))).toBe(false);
  });

  it('reads the host\'s /dev: devices only, not its links, pts or console', () => {
    const found = hostDevices();
    const paths = found.map((d) => d.path);
    expect(paths).toContain('/dev/null');
    expect(found.find((d) => d.path === '/dev/null')).toMatchObject({ type: 'c', major: 1, minor: 3 });
    for (const p of paths) expect(p).not.toMatch(/^\/dev\/(pts|shm|mqueue|fd)\/|^\/dev\/(console|ptmx|stdin|stdout|stderr|fd)$/);
    expect(deviceNumbers(0x103)).toEqual({ major: 1, minor: 3 });
    expect(deviceNumbers((259 << 8) | 5)).toEqual({ major: 259, minor: 5 }); // an NVMe disk
    expect(deviceNumbers((0x123 << 20) + (8 << 8) + 0x45)).toEqual({ major: 8, minor: 0x12345 }); // a minor above 255
  });

  it('reads the engine\'s capabilities from CapBnd', () => {
    expect(boundingCapabilities('CapBnd:\t000001fffeffffff\n')).not.toContain('CAP_SYS_RESOURCE');
    expect(boundingCapabilities('CapBnd:\t000001fffeffffff\n')).toHaveLength(40);
    expect(boundingCapabilities('CapBnd:\t00000000a80425fb\n')).toEqual(expect.arrayContaining(DEFAULT_CAPABILITIES));
  });
});
