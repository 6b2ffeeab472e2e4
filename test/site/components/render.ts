// Renders a diagram inside a <TracePlayer> to HTML in Node (issue 7), the way VitePress renders
// a page on the server: vue/server-renderer's renderToString, no browser. The trace is read
// from site/traces/ and handed to the player as text, at a given cursor.
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { createSSRApp, h, type Component } from 'vue';
import { renderToString } from 'vue/server-renderer';
import TracePlayer from '../../../site/.vitepress/theme/components/TracePlayer.vue';

export const TRACES = resolve(import.meta.dirname, '../../../site/traces');

export function traceText(id: string): string {
  return readFileSync(join(TRACES, `${id}.jsonl`), 'utf8');
}

export interface RenderOptions {
  trace: string;
  diagram: Component;
  cursor?: number;
  /** The JSONL to replay instead of site/traces/<trace>.jsonl. */
  text?: string;
  /** The diagram's own props. */
  props?: Record<string, unknown>;
}

export async function renderDiagram(opts: RenderOptions): Promise<string> {
  const text = opts.text ?? traceText(opts.trace);
  const app = createSSRApp({
    render: () => h(TracePlayer, { trace: opts.trace, text, cursor: opts.cursor }, { default: () => h(opts.diagram, opts.props) }),
  });
  return renderToString(app);
}

/** The elements of `html` that carry `attr`, as their attribute values in order. */
export function attrValues(html: string, attr: string): string[] {
  return [...html.matchAll(new RegExp(`\\s${attr}="([^"]*)"`, 'g'))].map((m) => m[1]!);
}

/** The opening tags whose class list has `cls`. */
export function withClass(html: string, cls: string): string[] {
  return [...html.matchAll(/<[a-z]+\b[^>]*\sclass="([^"]*)"[^>]*>/g)].filter((m) => m[1]!.split(/\s+/).includes(cls)).map((m) => m[0]);
}
