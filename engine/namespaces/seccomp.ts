// seccomp as BPF, chapter 3: a profile (linux.seccomp, see seccomp-profile.ts) compiled to the
// classic BPF program the kernel runs on every system call of the container (kernel
// Documentation/userspace-api/seccomp_filter.rst). dockling-init loads it as its last step before
// the exec, after prctl(PR_SET_NO_NEW_PRIVS) — see dockling-init.c; runc and crun compile the
// same profile with libseccomp.
//
// The program sees one struct, seccomp_data { int nr; u32 arch; u64 ip; u64 args[6]; }, and has
// one register, A. Ours reads, in order:
//   1. A = arch;  not x86_64?            → kill the process (our numbers are x86_64's: an i386
//                                           call's 11 is execve, not munmap — never guess)
//   2. A = nr;    nr ≥ 0x40000000 (x32)?  → kill (the x32 ABI sets that bit on the same arch)
//   3. a binary search on nr, down to the range it falls in. The profile cuts the numbers into
//      ranges with one answer each — 0–8 allowed, 9 has rules, 10–100 allowed, … — so a call
//      takes about eight comparisons, not one per named call (an allow-list names ~350)
//   4. the range's answer: a return, or the call's rules in order (the argument comparisons,
//      each 64-bit argument read as two 32-bit halves, then the action), else the default
//   5. above the highest number the profile names: ENOSYS, not the default (when the default
//      refuses). A call newer than the profile then looks to libc like an old kernel's missing
//      call, and libc falls back to an older one (glibc does so for clone3, faccessat2,
//      fchmodat2) — EPERM would be a hard error. runc adds the same stub to its filters.
import { invalid } from '../base/index.js';
import { SYSCALLS_X86_64 } from './syscalls-x86_64.js';
import type { LinuxSeccomp, LinuxSyscall, SeccompAction, SeccompArg } from './types.js';

/** One sock_filter (linux/filter.h): an opcode, two jump offsets, a constant — and a note for readers. */
export interface BpfInstruction {
  code: number;
  jt: number;
  jf: number;
  k: number;
  comment: string;
}

// #region bpf-opcodes
/** The few classic BPF opcodes a filter needs (linux/bpf_common.h: class | size | mode | op). */
export const BPF = {
  LD_W_ABS: 0x20, // A = the 32-bit word at offset k of seccomp_data
  JEQ_K: 0x15, //    A == k ? skip jt : skip jf
  JGE_K: 0x35, //    A >= k ? skip jt : skip jf
  JGT_K: 0x25, //    A > k ? skip jt : skip jf
  JA: 0x05, //       skip k (a jump too far for jt/jf's 255)
  AND_K: 0x54, //    A &= k
  RET_K: 0x06, //    return k (the action)
} as const;

/** seccomp_data's offsets (x86_64 is little-endian: an argument's low half comes first). */
export const DATA = { nr: 0, arch: 4, argLow: (i: number) => 16 + 8 * i, argHigh: (i: number) => 20 + 8 * i } as const;

/** linux/audit.h: EM_X86_64 | __AUDIT_ARCH_64BIT | __AUDIT_ARCH_LE. */
export const AUDIT_ARCH_X86_64 = 0xc000003e;
export const X32_SYSCALL_BIT = 0x40000000;

/** What a filter returns (linux/seccomp.h); ERRNO and TRACE carry a number in the low 16 bits. */
export const SECCOMP_RET = {
  KILL_PROCESS: 0x80000000, KILL_THREAD: 0, TRAP: 0x00030000, ERRNO: 0x00050000, TRACE: 0x7ff00000, LOG: 0x7ffc0000, ALLOW: 0x7fff0000,
} as const;
// #endregion bpf-opcodes

const [EPERM, ENOSYS] = [1, 38];

/** An action's return value; ERRNO's number is the rule's errnoRet, else the profile's, else EPERM. */
export function actionValue(action: SeccompAction, errnoRet?: number): number {
  switch (action) {
    case 'SCMP_ACT_ALLOW': return SECCOMP_RET.ALLOW;
    case 'SCMP_ACT_ERRNO': return (SECCOMP_RET.ERRNO | ((errnoRet ?? EPERM) & 0xffff)) >>> 0;
    case 'SCMP_ACT_TRACE': return (SECCOMP_RET.TRACE | ((errnoRet ?? EPERM) & 0xffff)) >>> 0;
    case 'SCMP_ACT_KILL': case 'SCMP_ACT_KILL_THREAD': return SECCOMP_RET.KILL_THREAD;
    case 'SCMP_ACT_KILL_PROCESS': return SECCOMP_RET.KILL_PROCESS;
    case 'SCMP_ACT_TRAP': return SECCOMP_RET.TRAP;
    case 'SCMP_ACT_LOG': return SECCOMP_RET.LOG;
    default: throw invalid('SECCOMP_ACTION_UNKNOWN', `unknown seccomp action: ${String(action)}`, { action });
  }
}

/** Instructions whose jumps name labels; `label` marks a place. Resolved by assemble(). */
type Asm = { label: string } | (Omit<BpfInstruction, 'jt' | 'jf' | 'k'> & { jt?: number | string; jf?: number | string; k: number | string });
const ld = (offset: number, comment: string): Asm => ({ code: BPF.LD_W_ABS, k: offset, comment });
const ret = (k: number, comment: string): Asm => ({ code: BPF.RET_K, k: k >>> 0, comment });

// #region compile-seccomp
/** A profile as a BPF program (x86_64 only; unknown names are skipped, as runc skips them). */
export function compileSeccomp(profile: LinuxSeccomp): BpfInstruction[] {
  const fallback = actionValue(profile.defaultAction, profile.defaultErrnoRet);
  const asm: Asm[] = [
    ld(DATA.arch, 'A = arch'),
    { code: BPF.JEQ_K, k: AUDIT_ARCH_X86_64, jt: 1, jf: 0, comment: 'x86_64? skip the kill' },
    ret(SECCOMP_RET.KILL_PROCESS, 'another architecture: kill'),
    ld(DATA.nr, 'A = system call number'),
    { code: BPF.JGE_K, k: X32_SYSCALL_BIT, jt: 0, jf: 1, comment: 'an x32 call?' },
    ret(SECCOMP_RET.KILL_PROCESS, 'the x32 ABI: kill'),
  ];
  const ranges = numberRanges(profile, fallback);
  let blocks = 0;
  /** The ranges from..to as a search tree: below the middle range's first number, go left. */
  const tree = (from: number, to: number): void => {
    if (from === to) {
      const r = ranges[from]!;
      if (r.rules === undefined) asm.push(ret(r.value, `${r.lo === r.hi ? r.lo : `${r.lo}–${r.hi}`}: ${describe(r.value)}`));
      else asm.push(...callBlock({ ...r, rules: r.rules, block: blocks++, profile, fallback }));
      return;
    }
    // jt and jf reach 255 instructions at most, and the left half may be longer: so "at least
    // the middle? then take the next instruction, a JA (32-bit reach) to the right half".
    const mid = Math.ceil((from + to) / 2);
    const right = `ranges from ${ranges[mid]!.lo}`;
    asm.push({ code: BPF.JGE_K, k: ranges[mid]!.lo, jt: 0, jf: 1, comment: `nr >= ${ranges[mid]!.lo}? then jump right` },
      { code: BPF.JA, k: right, comment: `to ${right}` });
    tree(from, mid - 1);
    asm.push({ label: right });
    tree(mid, to);
  };
  tree(0, ranges.length - 1);
  return assemble(asm);
}
// #endregion compile-seccomp

/** A run of numbers with one answer: a return value, or one call's rules. */
interface NumberRange { lo: number; hi: number; value: number; rules?: LinuxSyscall[]; name?: string }

/**
 * The number line 0…0x3fffffff cut into ranges: every named call with arguments (or several
 * rules) is a range of its own; neighbours with the same plain answer are merged.
 */
function numberRanges(profile: LinuxSeccomp, fallback: number): NumberRange[] {
  const byNr = new Map<number, { name: string; rules: LinuxSyscall[] }>();
  for (const rule of (profile.syscalls ?? []).flatMap(asRuncReadsIt)) {
    for (const name of rule.names) {
      const nr = SYSCALLS_X86_64[name];
      if (nr === undefined) continue;
      if (!byNr.has(nr)) byNr.set(nr, { name, rules: [] });
      byNr.get(nr)!.rules.push(rule);
    }
  }
  const highest = Math.max(-1, ...byNr.keys());
  const ranges: NumberRange[] = [];
  const add = (r: NumberRange) => {
    const last = ranges.at(-1);
    if (last && last.rules === undefined && r.rules === undefined && last.value === r.value) last.hi = r.hi;
    else ranges.push(r);
  };
  for (let nr = 0; nr <= highest; nr++) {
    const call = byNr.get(nr);
    const rule = call?.rules[0];
    if (!call) add({ lo: nr, hi: nr, value: fallback });
    else if (call.rules.length === 1 && !rule!.args?.length) add({ lo: nr, hi: nr, value: actionValue(rule!.action, rule!.errnoRet ?? profile.defaultErrnoRet) });
    else ranges.push({ lo: nr, hi: nr, value: fallback, rules: call.rules, name: call.name });
  }
  // Newer than anything the profile names: ENOSYS when the default refuses (see the header).
  const newer = profile.defaultAction === 'SCMP_ACT_ALLOW' || profile.defaultAction === 'SCMP_ACT_LOG' ? fallback : actionValue('SCMP_ACT_ERRNO', ENOSYS);
  add({ lo: highest + 1, hi: X32_SYSCALL_BIT - 1, value: newer });
  return ranges;
}

/**
 * A rule as runc and crun load it. libseccomp cannot test one argument twice in one rule, so
 * they add each comparison of a rule that does as a rule of its own: `a >= 1 and a <= 5` becomes
 * `a >= 1`, or `a <= 5` — which holds for every a. Surprising, but what they load; we compile
 * the same, so that a profile means one thing whichever runtime starts the container.
 */
function asRuncReadsIt(rule: LinuxSyscall): LinuxSyscall[] {
  const args = rule.args ?? [];
  const indexes = args.map((a) => a.index);
  if (new Set(indexes).size === indexes.length) return [rule];
  return args.map((a) => ({ ...rule, args: [a] }));
}

/** One call's rules, in order: a rule whose comparisons all hold returns its action; none → the default. */
function callBlock(a: { name?: string; lo: number; rules: LinuxSyscall[]; block: number; profile: LinuxSeccomp; fallback: number }): Asm[] {
  const out: Asm[] = [];
  const name = a.name ?? String(a.lo);
  a.rules.forEach((rule, i) => {
    const miss = `block ${a.block} rule ${i}`;
    (rule.args ?? []).forEach((arg, j) => out.push(...compare(arg, miss, `${miss} arg ${j}`)));
    const errno = rule.errnoRet ?? a.profile.defaultErrnoRet;
    out.push(ret(actionValue(rule.action, errno), `${name}: ${rule.action}${rule.action === 'SCMP_ACT_ERRNO' ? `(${errno ?? EPERM})` : ''}`));
    out.push({ label: miss });
  });
  out.push(ret(a.fallback, `${name} with other arguments: ${a.profile.defaultAction}`));
  return out;
}

/** A return value in words, for the instruction's comment. */
function describe(value: number): string {
  if (value === SECCOMP_RET.ALLOW) return 'allow';
  if ((value & 0xffff0000) >>> 0 === SECCOMP_RET.ERRNO) return `errno ${value & 0xffff}`;
  return `0x${value.toString(16)}`;
}

/** One argument comparison; a mismatch jumps to `miss`. A's 64 bits come in two loads. */
function compare(arg: SeccompArg, miss: string, here: string): Asm[] {
  const [hi, lo] = [Math.floor(arg.value / 2 ** 32) >>> 0, arg.value >>> 0];
  const two = arg.valueTwo ?? 0;
  const [hi2, lo2] = [Math.floor(two / 2 ** 32) >>> 0, two >>> 0];
  const a = `args[${arg.index}]`;
  const at = { hi: ld(DATA.argHigh(arg.index), `A = ${a} >> 32`), lo: ld(DATA.argLow(arg.index), `A = ${a} & 0xffffffff`) };
  const hex = (v: number) => `0x${v.toString(16)}`;
  const pass = `${here} holds`;
  if (arg.index < 0 || arg.index > 5) throw invalid('SECCOMP_ARG_INDEX', `seccomp argument index ${arg.index} is not 0–5`, { arg });
  // Ordered comparisons of unsigned 64-bit numbers: the high halves decide, unless they are equal.
  const ordered = (test: number, below: boolean, words: string): Asm[] => [
    at.hi, { code: BPF.JGT_K, k: hi, jt: below ? miss : pass, jf: 0, comment: `high half above ${hex(hi)}?` },
    { code: BPF.JEQ_K, k: hi, jt: 0, jf: below ? pass : miss, comment: 'high half equal? then the low half decides' },
    at.lo, { code: test, k: lo, jt: below ? miss : 0, jf: below ? 0 : miss, comment: `${a} ${words} ${hex(arg.value)}?` },
    { label: pass },
  ];
  switch (arg.op) {
    case 'SCMP_CMP_EQ':
      return [at.hi, { code: BPF.JEQ_K, k: hi, jt: 0, jf: miss, comment: `high half == ${hex(hi)}?` }, at.lo, { code: BPF.JEQ_K, k: lo, jt: 0, jf: miss, comment: `${a} == ${hex(arg.value)}?` }];
    case 'SCMP_CMP_NE': // differs if either half differs: a high half that differs jumps over the low test
      return [at.hi, { code: BPF.JEQ_K, k: hi, jt: 0, jf: 2, comment: `high half differs? then ${a} != ${hex(arg.value)}` }, at.lo, { code: BPF.JEQ_K, k: lo, jt: miss, jf: 0, comment: `${a} != ${hex(arg.value)}?` }];
    case 'SCMP_CMP_MASKED_EQ':
      return [at.hi, { code: BPF.AND_K, k: hi, comment: `A &= ${hex(hi)}` }, { code: BPF.JEQ_K, k: hi2, jt: 0, jf: miss, comment: `== ${hex(hi2)}?` },
        at.lo, { code: BPF.AND_K, k: lo, comment: `A &= ${hex(lo)}` }, { code: BPF.JEQ_K, k: lo2, jt: 0, jf: miss, comment: `(${a} & ${hex(arg.value)}) == ${hex(two)}?` }];
    case 'SCMP_CMP_GE': return ordered(BPF.JGE_K, false, '>=');
    case 'SCMP_CMP_GT': return ordered(BPF.JGT_K, false, '>');
    case 'SCMP_CMP_LT': return ordered(BPF.JGE_K, true, '<'); // not >=
    case 'SCMP_CMP_LE': return ordered(BPF.JGT_K, true, '<='); // not >
    default:
      throw invalid('SECCOMP_OP_UNSUPPORTED', `seccomp comparison ${arg.op} is not supported (EQ, NE, LT, LE, GT, GE and MASKED_EQ are)`, { arg });
  }
}

/** Labels to forward jump offsets (classic BPF jumps only forward, at most 255 instructions). */
function assemble(asm: Asm[]): BpfInstruction[] {
  const at = new Map<string, number>();
  let pc = 0;
  for (const a of asm) if ('label' in a) at.set(a.label, pc); else pc++;
  const out: BpfInstruction[] = [];
  for (const a of asm) {
    if ('label' in a) continue;
    const here = out.length;
    const off = (j: number | string | undefined) => {
      if (typeof j !== 'string') return j ?? 0;
      const d = at.get(j)! - here - 1;
      if (d < 0 || d > 255) throw invalid('SECCOMP_JUMP_TOO_FAR', `a seccomp jump of ${d} instructions does not fit`, { label: j });
      return d;
    };
    // JA's target is in k, 32 bits wide: the one jump that may go far.
    const k = typeof a.k === 'string' ? at.get(a.k)! - here - 1 : a.k;
    out.push({ code: a.code, jt: off(a.jt), jf: off(a.jf), k: k >>> 0, comment: a.comment });
  }
  if (out.length > 4096) throw invalid('SECCOMP_PROGRAM_TOO_LONG', `a seccomp program of ${out.length} instructions is over the kernel's 4096`, { length: out.length });
  return out;
}

/** The sock_filter array as bytes in hex, as the plan carries it: code (u16), jt, jf (u8), k (u32), little-endian. */
export function bpfHex(program: BpfInstruction[]): string {
  const buf = Buffer.alloc(program.length * 8);
  program.forEach((ins, i) => {
    buf.writeUInt16LE(ins.code, i * 8);
    buf.writeUInt8(ins.jt, i * 8 + 2);
    buf.writeUInt8(ins.jf, i * 8 + 3);
    buf.writeUInt32LE(ins.k >>> 0, i * 8 + 4);
  });
  return buf.toString('hex');
}
