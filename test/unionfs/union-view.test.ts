// The union view's rules (engine/unionfs/union-view.ts, region "semantics"), one case each, on
// hand-made entry lists: no tar, no disk.
import { describe, expect, it } from 'vitest';
import { planUnionView, type LayerEntry, type PathView, type UnionView } from '../../engine/unionfs/union-view.js';

const dir = (path: string): LayerEntry => ({ path, type: 'directory', size: 0, mode: 0o755 });
const file = (path: string, size: number): LayerEntry => ({ path, type: 'file', size, mode: 0o644 });
const link = (path: string, target: string): LayerEntry => ({ path, type: 'hardlink', size: 0, mode: 0o644, linkTarget: target });
const wh = (target: string): LayerEntry => {
  const i = target.lastIndexOf('/');
  return { path: `${target.slice(0, i + 1)}.wh.${target.slice(i + 1)}`, type: 'whiteout', size: 0, mode: 0, target };
};
const opq = (d: string): LayerEntry => ({ path: `${d}/.wh..wh..opq`, type: 'opaque', size: 0, mode: 0, target: d });

function plan(...layers: LayerEntry[][]): UnionView {
  return planUnionView({ image: 'test', layers: layers.map((entries) => ({ entries })) });
}

function path(view: UnionView, p: string): PathView {
  const found = view.paths!.find((x) => x.path === p);
  if (!found) throw new Error(`no path ${p} in ${view.paths!.map((x) => x.path).join(' ')}`);
  return found;
}

const visible = (view: UnionView) => view.paths!.filter((p) => p.layer !== null).map((p) => p.path);

describe('planUnionView', () => {
  it('a file replaced in a higher layer: provided by the top, hidden below, its bytes wasted', () => {
    const v = plan([dir('etc'), file('etc/a', 100)], [dir('etc'), file('etc/a', 30)]);
    expect(path(v, 'etc/a')).toEqual({ path: 'etc/a', type: 'file', size: 30, layer: 1, hiddenIn: [0] });
    expect(v.layers[0]).toMatchObject({ files: 1, bytes: 100, added: 2, modified: 0, wastedBytes: 100 });
    expect(v.layers[1]).toMatchObject({ files: 1, bytes: 30, added: 0, modified: 1, wastedBytes: 0 });
    expect(v.totalBytes).toBe(130);
    expect(v.wastedBytes).toBe(100);
    expect(v.efficiency).toBeCloseTo(30 / 130);
  });

  it('a directory restated above merges: the top provides it, nothing below is hidden', () => {
    const v = plan([dir('etc'), file('etc/a', 1)], [dir('etc'), file('etc/b', 2)]);
    expect(path(v, 'etc')).toMatchObject({ layer: 1, hiddenIn: [] });
    expect(path(v, 'etc/a')).toMatchObject({ layer: 0, hiddenIn: [] });
    expect(v.layers[1]).toMatchObject({ added: 1, modified: 0 });
  });

  it('a whiteout of a file removes it: no provider, removedBy the whiteout layer', () => {
    const v = plan([file('a', 10), file('b', 5)], [wh('a')]);
    expect(path(v, 'a')).toEqual({ path: 'a', type: 'file', size: 10, layer: null, hiddenIn: [0], removedBy: 1 });
    expect(v.layers[1]).toMatchObject({ removed: 1, noopWhiteouts: 0, files: 0 });
    expect(v.whiteouts).toEqual([{ layer: 1, kind: 'whiteout', path: 'a', removed: ['a'] }]);
    expect(v.wastedBytes).toBe(10);
    expect(visible(v)).toEqual(['b']);
  });

  it('a whiteout of a directory hides its children too', () => {
    const v = plan([dir('d'), dir('d/e'), file('d/e/f', 7), file('d/g', 3), file('h', 1)], [wh('d')]);
    expect(visible(v)).toEqual(['h']);
    for (const p of ['d', 'd/e', 'd/e/f', 'd/g']) expect(path(v, p)).toMatchObject({ layer: null, hiddenIn: [0], removedBy: 1 });
    expect(v.whiteouts[0]!.removed.sort()).toEqual(['d', 'd/e', 'd/e/f', 'd/g']);
    expect(v.layers[1]!.removed).toBe(1);
    expect(v.wastedBytes).toBe(10);
  });

  it('a whiteout of nothing is a no-op, reported apart', () => {
    const v = plan([file('a', 1)], [wh('nothing'), file('b', 1)]);
    expect(v.layers[1]).toMatchObject({ removed: 0, noopWhiteouts: 1 });
    expect(v.whiteouts).toEqual([{ layer: 1, kind: 'whiteout', path: 'nothing', removed: [] }]);
  });

  it("an opaque directory hides lower children but keeps the same layer's entries, whatever their order", () => {
    const v = plan(
      [dir('d'), file('d/old', 50), file('d/both', 20), dir('d/sub'), file('d/sub/x', 5)],
      [dir('d'), file('d/new', 4), file('d/both', 2), opq('d')], // the marker comes last in this tar
    );
    expect(visible(v)).toEqual(['d', 'd/both', 'd/new']);
    expect(path(v, 'd/old')).toMatchObject({ layer: null, hiddenIn: [0], removedBy: 1 });
    expect(path(v, 'd/sub/x')).toMatchObject({ layer: null, removedBy: 1 });
    expect(path(v, 'd/both')).toEqual({ path: 'd/both', type: 'file', size: 2, layer: 1, hiddenIn: [0] });
    expect(v.layers[1]).toMatchObject({ added: 1, modified: 1, removed: 1 });
    expect(v.whiteouts[0]).toMatchObject({ layer: 1, kind: 'opaque', path: 'd' });
    expect(v.whiteouts[0]!.removed.sort()).toEqual(['d/both', 'd/old', 'd/sub', 'd/sub/x']);
    expect(v.wastedBytes).toBe(75);
  });

  it('a file re-added after its removal: provided by the top, hidden in the first, not removed', () => {
    const v = plan([file('a', 10)], [wh('a')], [file('a', 3)]);
    expect(path(v, 'a')).toEqual({ path: 'a', type: 'file', size: 3, layer: 2, hiddenIn: [0] });
    expect(v.layers[2]).toMatchObject({ added: 1, modified: 0 });
    expect(v.wastedBytes).toBe(10);
  });

  it('a directory replaced by a file: its children are removed with it', () => {
    const v = plan([dir('x'), file('x/1', 4), file('x/2', 6)], [file('x', 9)]);
    expect(path(v, 'x')).toEqual({ path: 'x', type: 'file', size: 9, layer: 1, hiddenIn: [0] });
    expect(path(v, 'x/1')).toMatchObject({ layer: null, hiddenIn: [0], removedBy: 1 });
    expect(v.layers[1]).toMatchObject({ modified: 1, added: 0 });
    expect(v.wastedBytes).toBe(10);
  });

  it('a file under a path that was a file below: the implicit directory replaces it', () => {
    const v = plan([file('y', 8)], [file('y/z', 1)]);
    expect(path(v, 'y')).toMatchObject({ type: 'directory', layer: 1, hiddenIn: [0] });
    expect(v.wastedBytes).toBe(8);
  });

  it('wasted bytes count each copy once, however many layers replace it again', () => {
    const v = plan([file('f', 100)], [file('f', 200)], [file('f', 300)], [wh('f')]);
    expect(v.layers.map((l) => l.wastedBytes)).toEqual([100, 200, 300, 0]);
    expect(v.wastedBytes).toBe(600);
    expect(v.totalBytes).toBe(600);
    expect(v.efficiency).toBe(0);
    expect(path(v, 'f')).toMatchObject({ layer: null, hiddenIn: [0, 1, 2], removedBy: 3 });
  });

  it('hardlinks: bytes counted once at the target, and a visible link keeps a removed target from being wasted', () => {
    const v = plan([file('bin/a', 1000), link('bin/b', 'bin/a')], [wh('bin/a')]);
    expect(v.layers[0]).toMatchObject({ files: 2, bytes: 1000 });
    expect(v.totalBytes).toBe(1000);
    expect(v.wastedBytes).toBe(0);
    expect(visible(v)).toEqual(['bin', 'bin/b']);
    const both = plan([file('bin/a', 1000), link('bin/b', 'bin/a')], [wh('bin')]);
    expect(both.wastedBytes).toBe(1000);
  });

  it('a path repeated in one tar: the last entry wins, the earlier copy is wasted', () => {
    const v = plan([file('a', 5), file('a', 7)]);
    expect(path(v, 'a')).toMatchObject({ size: 7, layer: 0, hiddenIn: [0] });
    expect(v.wastedBytes).toBe(5);
    expect(v.layers[0]).toMatchObject({ files: 2, bytes: 12, added: 1 });
  });

  it('an empty image is 100% efficient', () => {
    expect(plan()).toMatchObject({ layers: [], totalBytes: 0, wastedBytes: 0, efficiency: 1, whiteouts: [], paths: [] });
    expect(plan([dir('empty')]).efficiency).toBe(1);
  });

  it("an extra top layer (a container's changes) is shown with its label", () => {
    const v = planUnionView({
      image: 'c1',
      layers: [{ entries: [file('a', 10)], digest: 'sha256:aa', diffID: 'sha256:bb', createdBy: 'ADD a', size: 2048 }],
      extra: { label: 'container c1', entries: [wh('a'), file('b', 1)] },
    });
    expect(v.layers[0]).toMatchObject({ index: 0, digest: 'sha256:aa', diffID: 'sha256:bb', createdBy: 'ADD a', size: 2048 });
    expect(v.layers[1]).toMatchObject({ index: 1, label: 'container c1', removed: 1, added: 1 });
    expect(path(v, 'a')).toMatchObject({ layer: null, removedBy: 1 });
  });
});
