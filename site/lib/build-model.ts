// What the build diagram draws (issue 7, chapter 5), as a pure function of a trace and a
// cursor: each `dockling build` (a build.run span) with its Dockerfile instructions in order
// (build.step spans: keyword, instruction, line), the layer each one left (the step's end
// facts: diffID, or emptyLayer), whether the cache answered (build.cache events), and how long
// it took. The step the current event happened under is the one the diagram lights.
import type { TraceEvent } from '../../engine/trace/types.js';
import { enclosing, shortDigest, spanTree } from './span-tree.js';

export type StepStatus = 'pending' | 'running' | 'done' | 'failed';
/** hit/miss from build.cache; `none` for steps the cache is not asked about (FROM). */
export type CacheMark = 'hit' | 'miss' | 'none';

export interface BuildStepView {
  span: string;
  step: number;
  of: number;
  stage: number;
  keyword: string;
  instruction: string;
  line: number;
  status: StepStatus;
  cache: CacheMark;
  /** The short diffID of the layer this step added, or null for none (yet). */
  layer: string | null;
  emptyLayer: boolean;
  ms: number | null;
  current: boolean;
}

export interface BuildView {
  span: string;
  /** 1 for the first build in the trace, 2 for the second … */
  n: number;
  tags: string[];
  status: StepStatus;
  ms: number | null;
  steps: BuildStepView[];
  /** Steps the cache answered, of those it was asked about. */
  hits: number;
  misses: number;
}

export interface BuildState {
  builds: BuildView[];
  /** The step the current event belongs to, if any: `${build n}/${step}`. */
  currentStep: string | null;
}

const text = (v: unknown, fallback = '') => (typeof v === 'string' ? v : fallback);
const num = (v: unknown, fallback = 0) => (typeof v === 'number' ? v : fallback);

/** The builds as they stand once `cursor` events (of `events`) have happened. */
export function buildAt(events: readonly TraceEvent[], cursor: number): BuildState {
  const seen = events.slice(0, cursor);
  const builds: BuildView[] = [];
  const byRun = new Map<string, BuildView>();
  const bySpan = new Map<string, BuildStepView>();
  for (const e of seen) {
    if (e.op === 'build.run' && e.phase === 'start') {
      const b: BuildView = { span: e.span, n: builds.length + 1, tags: (e.data['tags'] as string[] | undefined) ?? [], status: 'running', ms: null, steps: [], hits: 0, misses: 0 };
      builds.push(b);
      byRun.set(e.span, b);
    } else if (e.op === 'build.run' && e.phase !== 'start' && e.phase !== 'event') {
      const b = byRun.get(e.span);
      if (b) Object.assign(b, { status: e.phase === 'end' ? 'done' : 'failed', ms: e.ms ?? null });
    } else if (e.op === 'build.step' && e.phase === 'start') {
      const b = e.parent ? byRun.get(e.parent) : undefined;
      if (!b) continue;
      const d = e.data;
      const s: BuildStepView = {
        span: e.span, step: num(d['step']), of: num(d['of']), stage: num(d['stage']), keyword: text(d['keyword']),
        instruction: text(d['instruction']), line: num(d['line']), status: 'running', cache: 'none',
        layer: null, emptyLayer: false, ms: null, current: false,
      };
      b.steps.push(s);
      bySpan.set(e.span, s);
    } else if (e.op === 'build.step' && (e.phase === 'end' || e.phase === 'error')) {
      const s = bySpan.get(e.span);
      if (!s) continue;
      s.status = e.phase === 'end' ? 'done' : 'failed';
      s.ms = e.ms ?? null;
      s.emptyLayer = e.data['emptyLayer'] === true;
      s.layer = s.emptyLayer ? null : shortDigest(e.data['diffID']) || null;
    } else if (e.op === 'build.cache') {
      const s = bySpan.get(e.span);
      if (s) s.cache = e.data['hit'] === true ? 'hit' : 'miss';
    }
  }
  for (const b of builds) {
    b.hits = b.steps.filter((s) => s.cache === 'hit').length;
    b.misses = b.steps.filter((s) => s.cache === 'miss').length;
  }
  const currentStep = markCurrent(seen, builds, bySpan);
  return { builds, currentStep };
}

/** Lights the step whose span holds the last event that happened. */
function markCurrent(seen: readonly TraceEvent[], builds: BuildView[], bySpan: Map<string, BuildStepView>): string | null {
  const last = seen[seen.length - 1];
  if (!last) return null;
  const step = enclosing(spanTree(seen), last, 'build.step');
  const s = step && bySpan.get(step.span);
  if (!s) return null;
  s.current = true;
  const b = builds.find((x) => x.steps.includes(s))!;
  return `${b.n}/${s.step}`;
}
