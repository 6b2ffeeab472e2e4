// Docker's human formats as tables of (input, what Docker prints): go-units sizes and
// durations, Go %g, the tabwriter layout of `docker images`/`docker history` (from the
// recorded transcripts), and the Go-template subset behind --format.
import { describe, expect, it } from 'vitest';
import { bytesSize, goFormatG, humanSize, humanSizeWithPrecision } from '../../engine/cli/format/size.js';
import { createdSince, humanDuration } from '../../engine/cli/format/duration.js';
import { ellipsis, tabwrite } from '../../engine/cli/format/table.js';
import { renderTemplate } from '../../engine/cli/format/template.js';
import { formatRows } from '../../engine/cli/format/formatter.js';
import { imageRows } from '../../engine/cli/verbs/images.js';
import { historyRows } from '../../engine/cli/verbs/history.js';
import { indentedArray } from '../../engine/cli/verbs/inspect.js';

describe('sizes (go-units)', () => {
  it.each([
    [0, '0B'],
    [1, '1B'],
    [999, '999B'],
    [1000, '1kB'],
    [1230, '1.23kB'],
    [4277910, '4.28MB'],
    [12345678, '12.3MB'],
    [123456789, '123MB'],
    [999999, '1e+03kB'],
    [1e9, '1GB'],
  ])('HumanSizeWithPrecision(%d, 3) = %s', (n, want) => expect(humanSizeWithPrecision(n, 3)).toBe(want));

  it.each([
    [1024, '1.024kB'],
    [1e6, '1MB'],
    [3.42e9, '3.42GB'],
  ])('HumanSize(%d) = %s', (n, want) => expect(humanSize(n)).toBe(want));

  it.each([
    [8589934592, '8GiB'],
    [1024, '1KiB'],
    [1536, '1.5KiB'],
    [512, '512B'],
  ])('BytesSize(%d) = %s', (n, want) => expect(bytesSize(n)).toBe(want));

  it.each([
    [4.27791, 3, '4.28'],
    [100, 3, '100'],
    [999.999, 3, '1e+03'],
    [0.0001234, 3, '0.000123'],
    [0.00001234, 3, '1.23e-05'],
  ])('Go %%.%ig of %d', (x, p, want) => expect(goFormatG(x, p)).toBe(want));
});

describe('durations (go-units HumanDuration)', () => {
  const s = 1000;
  const m = 60 * s;
  const h = 60 * m;
  const d = 24 * h;
  it.each([
    [0, 'Less than a second'],
    [999, 'Less than a second'],
    [1 * s, '1 second'],
    [47 * s, '47 seconds'],
    [60 * s, 'About a minute'],
    [119 * s, 'About a minute'],
    [2 * m, '2 minutes'],
    [59 * m, '59 minutes'],
    [60 * m, 'About an hour'],
    [89 * m, 'About an hour'],
    [90 * m, '2 hours'],
    [47 * h, '47 hours'],
    [48 * h, '2 days'],
    [13 * d, '13 days'],
    [14 * d, '2 weeks'],
    [59 * d, '8 weeks'],
    [60 * d, '2 months'],
    [729 * d, '24 months'],
    [730 * d, '2 years'],
  ])('%d ms → %s', (ms, want) => expect(humanDuration(ms)).toBe(want));

  it('an unset Created (0) is "56 years ago" in 2026, as the CLI shows for `[{}]`', () => {
    expect(createdSince(0, Date.UTC(2026, 10, 29))).toBe('56 years ago');
  });
});

describe('tabwriter (minwidth 10, padding 3)', () => {
  it('lays out docker images like the transcript', () => {
    const out = tabwrite('REPOSITORY\tTAG\tIMAGE ID\tCREATED\tSIZE\nbusybox\tlatest\te29693784c8a\t4 weeks ago\t4.28MB\n');
    expect(out).toBe('REPOSITORY   TAG       IMAGE ID       CREATED       SIZE\nbusybox      latest    e29693784c8a   4 weeks ago   4.28MB\n');
  });
  it('ellipsis keeps 45 characters with … last', () => {
    expect([...ellipsis('x'.repeat(50), 45)].length).toBe(45);
    expect(ellipsis('short', 45)).toBe('short');
  });
});

describe('rows as Docker prints them', () => {
  const now = 1793397658 * 1000 + 28 * 24 * 3600 * 1000;
  it('docker images (transcript "images")', () => {
    const rows = imageRows(
      [{ Id: 'sha256:e29693784c8af896b560f4e5c23029f63c29a46a811b649b0513e4abec2e5695', RepoTags: ['busybox:latest'], RepoDigests: ['busybox@sha256:8eb2'], Created: 1793397658, Size: 4277910 }],
      { truncate: true, now },
    );
    const out = formatRows({ format: 'table', defaultTable: 'table {{.Repository}}\t{{.Tag}}\t{{.ID}}\t{{.CreatedSince}}\t{{.Size}}', headers: { Repository: 'REPOSITORY', Tag: 'TAG', ID: 'IMAGE ID', CreatedSince: 'CREATED', Size: 'SIZE' } }, rows);
    expect(out).toBe('REPOSITORY   TAG       IMAGE ID       CREATED       SIZE\nbusybox      latest    e29693784c8a   4 weeks ago   4.28MB\n');
  });
  it('an image with no names is one <none> row; two tags are two rows', () => {
    const rows = imageRows([{ Id: 'sha256:' + 'a'.repeat(64) }, { Id: 'sha256:' + 'b'.repeat(64), RepoTags: ['x:1', 'localhost:5000/x:2'] }], { truncate: true });
    expect(rows.map((r) => `${r.Repository} ${r.Tag} ${r.ID}`)).toEqual(['<none> <none> aaaaaaaaaaaa', 'x 1 bbbbbbbbbbbb', 'localhost:5000/x 2 bbbbbbbbbbbb']);
  });
  it('docker history (transcript "history")', () => {
    const rows = historyRows(
      [
        { Id: 'sha256:e29693784c8af896b560f4e5c23029f63c29a46a811b649b0513e4abec2e5695', Created: 1793397680, CreatedBy: '/bin/sh -c #(nop)  CMD ["sh"]', Tags: ['busybox:latest'], Size: 0, Comment: '' },
        { Id: '<missing>', Created: 1793397680, CreatedBy: '/bin/sh -c #(nop) ADD file:abc in / ', Tags: null, Size: 4277910, Comment: '' },
      ],
      { truncate: true, human: true, now },
    );
    const out = formatRows({ format: 'table', defaultTable: 'table {{.ID}}\t{{.CreatedSince}}\t{{.CreatedBy}}\t{{.Size}}\t{{.Comment}}', headers: { ID: 'IMAGE', CreatedSince: 'CREATED', CreatedBy: 'CREATED BY', Size: 'SIZE', Comment: 'COMMENT' } }, rows);
    expect(out).toBe(
      'IMAGE          CREATED       CREATED BY                             SIZE      COMMENT\n' +
        'e29693784c8a   4 weeks ago   /bin/sh -c #(nop)  CMD ["sh"]          0B        \n' +
        '<missing>      4 weeks ago   /bin/sh -c #(nop) ADD file:abc in /    4.28MB    \n',
    );
  });
  it('inspect output is a 4-space indented array', () => {
    expect(indentedArray([])).toBe('[]\n');
    expect(indentedArray([{ Id: 'x', GraphDriver: { Data: {} }, L: ['a'] }])).toBe(
      '[\n    {\n        "Id": "x",\n        "GraphDriver": {\n            "Data": {}\n        },\n        "L": [\n            "a"\n        ]\n    }\n]\n',
    );
  });
});

describe('Go template subset', () => {
  const image = { Id: 'sha256:abc', RepoTags: ['busybox:latest', 'mybox:v1'], Config: { Env: ['A=1'], Labels: { 'org.x': 'y' } }, Size: 4277910, Empty: [] };
  it.each([
    ['{{.Id}}', 'sha256:abc'],
    ['id={{.Id}} size={{.Size}}', 'id=sha256:abc size=4277910'],
    ['{{.Config.Env}}', '[A=1]'],
    ['{{.Config.Labels}}', 'map[org.x:y]'],
    ['{{.Nope}}', '<no value>'],
    ['{{json .RepoTags}}', '["busybox:latest","mybox:v1"]'],
    ['{{json .Config.Labels}}', '{"org.x":"y"}'],
    ['{{join .RepoTags ","}}', 'busybox:latest,mybox:v1'],
    ['{{index .Config.Labels "org.x"}}', 'y'],
    ['{{.Id | upper}}', 'SHA256:ABC'],
    ['{{range .RepoTags}}[{{.}}]{{end}}', '[busybox:latest][mybox:v1]'],
    ['{{if .Empty}}yes{{else}}no{{end}}', 'no'],
    ['{{with .Config}}{{.Env}}{{end}}', '[A=1]'],
    ['a {{- " b " -}} c', 'a b c'],
    ['{{len .RepoTags}}', '2'],
    ['{{json "<none>"}}', '"\\u003cnone\\u003e"'],
  ])('%s', (template, want) => expect(renderTemplate(template, image)).toBe(want));

  it('table formats take headers from the field names', () => {
    const out = formatRows({ format: 'table {{.ID}}\\t{{.Tag}}', defaultTable: '', headers: { ID: 'IMAGE ID', Tag: 'TAG' } }, [{ ID: 'abc', Tag: 'latest' }]);
    expect(out).toBe('IMAGE ID   TAG\nabc        latest\n');
  });
  it('json format is one object per line', () => {
    expect(formatRows({ format: 'json', defaultTable: '', headers: {} }, [{ ID: 'a' }, { ID: 'b' }])).toBe('{"ID":"a"}\n{"ID":"b"}\n');
  });
  it('an unknown function is an error', () => {
    expect(() => renderTemplate('{{nope .}}', {})).toThrow(/not defined/);
  });
});
