// What a diagram should show at a cursor, from its pure model in site/lib evaluated in Node,
// and what the page shows, read from the data-* attributes its component puts on the SVG
// (issue 7: "check the SVG content against the trace"). Both sides are lists of attribute
// tuples per query, so a test compares them with one toEqual. A diagram not listed here is
// still stepped and compared with itself (player.test.ts); its facts are not checked.
//
// The layer stack is compared as a set of the layers drawn, whatever the component's layout:
// every layer the model puts in an image or under the container, each drawn at least once.
import type { Locator } from 'playwright-core';
import type { TraceEvent } from '../../engine/trace/index.js';
import { apiCallsAt } from '../../site/lib/api-model.js';
import { buildAt } from '../../site/lib/build-model.js';
import { containerStateAt } from '../../site/lib/container-state.js';
import { layerStackAt } from '../../site/lib/layer-model.js';
import { registryGraphAt } from '../../site/lib/registry-graph.js';
import { shortDigest } from '../../site/lib/span-tree.js';

export interface FactQuery {
  /** Elements inside the player's diagram. */
  selector: string;
  /** The attributes read from each, in order ('' when absent). */
  attrs: string[];
  /** Compared as a sorted set of distinct tuples, not in document order. */
  asSet?: boolean;
  /** Tuples left out (a value that is drawn but is not a fact of the model, e.g. the rw layer). */
  skip?: (tuple: string[]) => boolean;
}

export type Facts = Record<string, string[][]>;

export interface DiagramFacts {
  queries: Record<string, FactQuery>;
  expected(events: readonly TraceEvent[], cursor: number): Facts;
}

const s = (v: unknown) => (v === null || v === undefined ? '' : String(v));

export const DIAGRAM_FACTS: Record<string, DiagramFacts> = {
  BuildDiagram: {
    queries: {
      builds: { selector: '[data-build]', attrs: ['data-build', 'data-status'] },
      steps: { selector: '[data-step]', attrs: ['data-step', 'data-keyword', 'data-cache', 'data-layer'] },
    },
    expected(events, cursor) {
      const { builds } = buildAt(events, cursor);
      return {
        builds: builds.map((b) => [s(b.n), b.status]),
        steps: builds.flatMap((b) => b.steps.map((st) => [s(st.step), st.keyword, st.cache, st.layer ?? 'none'])),
      };
    },
  },
  RegistryGraph: {
    queries: {
      manifests: { selector: 'g.manifest', attrs: ['data-digest', 'data-tags'] },
      blobs: { selector: 'g.blob', attrs: ['data-digest', 'data-kind', 'data-shared', 'data-local', 'data-registry', 'data-repositories'] },
      edges: { selector: '[data-edge]', attrs: ['data-edge'] },
      marks: { selector: '[data-mark]', attrs: ['data-digest', 'data-mark', 'data-from'] },
    },
    expected(events, cursor) {
      const v = registryGraphAt(events, cursor);
      return {
        manifests: v.manifests.map((m) => [m.digest, m.tags.join(' ')]),
        blobs: v.blobs.map((b) => [b.digest, b.kind, s(b.shared), s(b.local), s(b.inRegistry), b.repositories.join(' ')]),
        edges: v.edges.map((e) => [`${e.manifest}>${e.blob}`]),
        marks: v.transfers.flatMap((t) => t.blobs.map((b) => [b.digest, b.mark, b.from ?? ''])),
      };
    },
  },
  ContainerState: {
    queries: {
      containers: { selector: '.containers text[data-container]', attrs: ['data-container', 'data-state'] },
    },
    expected(events, cursor) {
      return { containers: containerStateAt(events, cursor).containers.map((c) => [c.id ?? '', c.state ?? '']) };
    },
  },
  ApiCalls: {
    queries: {
      requests: { selector: '[data-request]', attrs: ['data-request', 'data-method', 'data-path', 'data-status'] },
      background: { selector: '[data-background]', attrs: ['data-background'] },
    },
    expected(events, cursor) {
      const st = apiCallsAt(events, cursor);
      return { requests: st.calls.map((c) => [s(c.n), c.method, c.path, s(c.status ?? 'open')]), background: [[s(st.background.length)]] };
    },
  },
  LayerStack: {
    queries: {
      layers: { selector: 'svg [data-layer]', attrs: ['data-layer'], asSet: true, skip: ([layer]) => layer === 'rw' || layer === 'none' || layer === '' },
    },
    expected(events, cursor) {
      const st = layerStackAt(events, cursor);
      const drawn = [...st.images.flatMap((i) => i.layers), ...(st.container?.lower ?? [])];
      return { layers: [...new Set(drawn.map((d) => shortDigest(d)))].sort().map((d) => [d]) };
    },
  },
};

/** The page's side: each query's tuples, read from the player's diagram. */
export async function drawnFacts(player: Locator, d: DiagramFacts): Promise<Facts> {
  const raw = await player.locator('.dl-player-diagram').first().evaluate(
    (root, queries) => Object.fromEntries(Object.entries(queries).map(([name, q]) => [name, [...root.querySelectorAll(q.selector)].map((el) => q.attrs.map((a) => el.getAttribute(a) ?? ''))])),
    Object.fromEntries(Object.entries(d.queries).map(([name, q]) => [name, { selector: q.selector, attrs: q.attrs }])),
  );
  return normalise(raw, d);
}

/** The model's side, shaped as the page's is. */
export function expectedFacts(d: DiagramFacts, events: readonly TraceEvent[], cursor: number): Facts {
  return normalise(d.expected(events, cursor), d);
}

function normalise(facts: Facts, d: DiagramFacts): Facts {
  return Object.fromEntries(
    Object.entries(d.queries).map(([name, q]) => {
      let tuples = (facts[name] ?? []).filter((t) => !q.skip?.(t));
      if (q.asSet) tuples = [...new Map(tuples.map((t) => [JSON.stringify(t), t])).values()].sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b)));
      return [name, tuples];
    }),
  );
}
