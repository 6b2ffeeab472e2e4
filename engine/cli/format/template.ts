// A subset of Go's text/template, enough for Docker's `--format`: literal text, `{{.Field}}`,
// `{{.A.B}}`, functions (`json`, `join`, `index`, `upper`, `lower`, `title`, `split`, `len`,
// `truncate`, `pad`, `print(f|ln)`, `eq`, `ne`, `not`, `and`, `or`), pipes `{{.X | json}}`,
// `{{if}}`/`{{range}}`/`{{with}}` … `{{else}}` … `{{end}}`, and `{{-`/`-}}` trimming.
// Values print like Go's `%v`: `[a b]` for lists, `map[k:v]` for objects, `<no value>` for missing.

type Node =
  | { kind: 'text'; text: string }
  | { kind: 'action'; pipe: Command[] }
  | { kind: 'if' | 'range' | 'with'; pipe: Command[]; body: Node[]; otherwise: Node[] };

type Operand =
  | { kind: 'field'; path: string[] }
  | { kind: 'literal'; value: unknown }
  | { kind: 'func'; name: string }
  | { kind: 'sub'; pipe: Command[] };

type Command = Operand[];

export class TemplateError extends Error {}

/** A missing value: prints as `<no value>`, like a missing key of a Go map. */
const NO_VALUE = Symbol('no value');

const FUNCS: Record<string, (...args: unknown[]) => unknown> = {
  json: (v) => goJSON(v === NO_VALUE ? null : v),
  join: (list, sep) => (Array.isArray(list) ? list.map(show).join(String(sep)) : show(list)),
  index: (v, ...keys) => keys.reduce<unknown>((acc, k) => (acc != null && typeof acc === 'object' ? (acc as Record<string, unknown>)[String(k)] : undefined), v) ?? NO_VALUE,
  upper: (s) => show(s).toUpperCase(),
  lower: (s) => show(s).toLowerCase(),
  title: (s) => show(s).replace(/\b\w/g, (c) => c.toUpperCase()),
  split: (s, sep) => show(s).split(String(sep)),
  len: (v) => (Array.isArray(v) || typeof v === 'string' ? v.length : v && typeof v === 'object' ? Object.keys(v).length : 0),
  truncate: (s, n) => [...show(s)].slice(0, Number(n)).join(''),
  pad: (s, left, right) => ' '.repeat(Number(left)) + show(s) + ' '.repeat(Number(right)),
  print: (...args) => args.map(show).join(''),
  println: (...args) => args.map(show).join(' ') + '\n',
  printf: (fmt, ...args) => show(fmt).replace(/%[sdvq%]/g, (m) => (m === '%%' ? '%' : m === '%q' ? JSON.stringify(show(args.shift())) : show(args.shift()))),
  eq: (a, ...bs) => bs.some((b) => a === b),
  ne: (a, b) => a !== b,
  not: (v) => !truthy(v),
  and: (...vs) => vs.find((v) => !truthy(v)) ?? vs[vs.length - 1],
  or: (...vs) => vs.find((v) => truthy(v)) ?? vs[vs.length - 1],
};

/** Go's json.Marshal escapes <, > and & for HTML safety; Docker's `{{json .}}` shows it. */
function goJSON(v: unknown): string {
  return (JSON.stringify(v) ?? 'null').replace(/</g, '\\u003c').replace(/>/g, '\\u003e').replace(/&/g, '\\u0026');
}

/** Go's `%v` for JSON-like values. */
export function show(v: unknown): string {
  if (v === NO_VALUE || v === undefined) return '<no value>';
  if (v === null) return '<nil>';
  if (Array.isArray(v)) return `[${v.map(show).join(' ')}]`;
  if (typeof v === 'object') {
    const keys = Object.keys(v).sort();
    return `map[${keys.map((k) => `${k}:${show((v as Record<string, unknown>)[k])}`).join(' ')}]`;
  }
  return String(v);
}

function truthy(v: unknown): boolean {
  if (v === NO_VALUE || v == null || v === false || v === 0 || v === '') return false;
  if (Array.isArray(v)) return v.length > 0;
  if (typeof v === 'object') return Object.keys(v).length > 0;
  return true;
}

// ---- parsing ---------------------------------------------------------------------------

function lex(src: string): Array<{ text: string } | { action: string }> {
  const parts: Array<{ text: string } | { action: string }> = [];
  let i = 0;
  while (i < src.length) {
    const open = src.indexOf('{{', i);
    if (open < 0) {
      parts.push({ text: src.slice(i) });
      break;
    }
    let text = src.slice(i, open);
    let start = open + 2;
    if (src[start] === '-' && /\s/.test(src[start + 1] ?? '')) {
      text = text.replace(/\s+$/, '');
      start += 1;
    }
    const close = src.indexOf('}}', start);
    if (close < 0) throw new TemplateError(`template: unclosed action`);
    let end = close;
    let next = close + 2;
    if (src[close - 1] === '-' && /\s/.test(src[close - 2] ?? '')) {
      end = close - 1;
      const m = /^\s*/.exec(src.slice(next))!;
      next += m[0].length;
    }
    if (text) parts.push({ text });
    parts.push({ action: src.slice(start, end).trim() });
    i = next;
  }
  return parts;
}

function tokenize(action: string): string[] {
  const tokens: string[] = [];
  const re = /\s*("(?:[^"\\]|\\.)*"|`[^`]*`|\||\(|\)|[^\s|()]+)/gy;
  let m: RegExpExecArray | null;
  while ((m = re.exec(action)) !== null) {
    if (m[1] === undefined) break;
    tokens.push(m[1]);
  }
  return tokens;
}

function parsePipe(tokens: string[], pos = { i: 0 }): Command[] {
  const pipe: Command[] = [];
  let cmd: Command = [];
  while (pos.i < tokens.length) {
    const t = tokens[pos.i++]!;
    if (t === ')') break;
    if (t === '|') {
      pipe.push(cmd);
      cmd = [];
    } else if (t === '(') cmd.push({ kind: 'sub', pipe: parsePipe(tokens, pos) });
    else cmd.push(parseOperand(t));
  }
  if (cmd.length) pipe.push(cmd);
  if (pipe.length === 0) throw new TemplateError('template: missing value for command');
  return pipe;
}

function parseOperand(t: string): Operand {
  if (t === '.') return { kind: 'field', path: [] };
  if (t.startsWith('.')) return { kind: 'field', path: t.slice(1).split('.') };
  if (t.startsWith('"')) return { kind: 'literal', value: JSON.parse(t) };
  if (t.startsWith('`')) return { kind: 'literal', value: t.slice(1, -1) };
  if (/^-?\d+(\.\d+)?$/.test(t)) return { kind: 'literal', value: Number(t) };
  if (t === 'true' || t === 'false') return { kind: 'literal', value: t === 'true' };
  if (t === 'nil') return { kind: 'literal', value: null };
  if (t in FUNCS) return { kind: 'func', name: t };
  throw new TemplateError(`template: function "${t}" not defined`);
}

/** Parses a template once; `execute` runs it against a value. */
export function parseTemplate(src: string): Node[] {
  const parts = lex(src);
  let i = 0;
  const block = (): { nodes: Node[]; end: 'end' | 'else' | 'eof' } => {
    const nodes: Node[] = [];
    while (i < parts.length) {
      const p = parts[i++]!;
      if ('text' in p) {
        nodes.push({ kind: 'text', text: p.text });
        continue;
      }
      const words = p.action;
      if (words.startsWith('/*')) continue;
      if (words === 'end') return { nodes, end: 'end' };
      if (words === 'else') return { nodes, end: 'else' };
      const m = /^(if|range|with)\s+(.*)$/s.exec(words);
      if (m) {
        const pipe = parsePipe(tokenize(m[2]!));
        const body = block();
        let otherwise: Node[] = [];
        if (body.end === 'else') {
          const rest = block();
          if (rest.end !== 'end') throw new TemplateError(`template: unexpected EOF in ${m[1]}`);
          otherwise = rest.nodes;
        } else if (body.end !== 'end') throw new TemplateError(`template: unexpected EOF in ${m[1]}`);
        nodes.push({ kind: m[1] as 'if' | 'range' | 'with', pipe, body: body.nodes, otherwise });
        continue;
      }
      nodes.push({ kind: 'action', pipe: parsePipe(tokenize(words)) });
    }
    return { nodes, end: 'eof' };
  };
  const top = block();
  if (top.end !== 'eof') throw new TemplateError(`template: unexpected {{${top.end}}}`);
  return top.nodes;
}

// ---- execution -------------------------------------------------------------------------

function field(value: unknown, path: string[]): unknown {
  let v = value;
  for (const name of path) {
    if (v == null || v === NO_VALUE || typeof v !== 'object') return NO_VALUE;
    const next = (v as Record<string, unknown>)[name];
    v = next === undefined ? NO_VALUE : next;
  }
  return v;
}

function evalOperand(op: Operand, dot: unknown): unknown {
  switch (op.kind) {
    case 'field':
      return field(dot, op.path);
    case 'literal':
      return op.value;
    case 'sub':
      return evalPipe(op.pipe, dot);
    case 'func':
      return FUNCS[op.name]!();
  }
}

function evalPipe(pipe: Command[], dot: unknown): unknown {
  let piped: unknown = NO_VALUE;
  let first = true;
  for (const cmd of pipe) {
    const [head, ...rest] = cmd;
    if (head!.kind === 'func') {
      const args = rest.map((op) => evalOperand(op, dot));
      if (!first) args.push(piped);
      piped = FUNCS[head!.name]!(...args);
    } else {
      if (rest.length) throw new TemplateError(`template: can't give argument to non-function`);
      piped = evalOperand(head!, dot);
    }
    first = false;
  }
  return piped;
}

function run(nodes: Node[], dot: unknown, out: string[]): void {
  for (const node of nodes) {
    if (node.kind === 'text') out.push(node.text);
    else if (node.kind === 'action') out.push(show(evalPipe(node.pipe, dot)));
    else {
      const v = evalPipe(node.pipe, dot);
      if (node.kind === 'if') run(truthy(v) ? node.body : node.otherwise, dot, out);
      else if (node.kind === 'with') run(truthy(v) ? node.body : node.otherwise, truthy(v) ? v : dot, out);
      else {
        const items = Array.isArray(v) ? v : v !== null && typeof v === 'object' ? Object.values(v) : [];
        if (items.length === 0) run(node.otherwise, dot, out);
        for (const item of items) run(node.body, item, out);
      }
    }
  }
}

/** Runs a parsed template against `dot` and returns the text. */
export function execute(nodes: Node[], dot: unknown): string {
  const out: string[] = [];
  run(nodes, dot, out);
  return out.join('');
}

/** Parses and runs in one go. */
export function renderTemplate(src: string, dot: unknown): string {
  return execute(parseTemplate(src), dot);
}
