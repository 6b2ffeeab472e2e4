// How the CLI draws a JSON message stream, checked against what the docker CLI 28 drew for the
// same messages (the recorded transcripts of the protocol reference: `pull`, `pull-tty`,
// `stream-error-string-only`): off a terminal, lines without numbers; on one, a line per id
// rewritten in place with cursor movements, byte for byte.
import { describe, expect, it } from 'vitest';
import { displayMessages, progressText, type JSONMessage } from '../../engine/cli/messages.js';

async function* from(messages: JSONMessage[]): AsyncGenerator<JSONMessage> {
  yield* messages;
}

async function draw(messages: JSONMessage[], out: { isTTY?: boolean; columns?: number } = {}): Promise<{ text: string; error?: string }> {
  let text = '';
  const result = await displayMessages(from(messages), { ...out, write: (s: string) => (text += s) });
  return { text, ...result };
}

const LAYER = '8fcb307a2e8b';
const DIGEST = 'sha256:667c4942d48c271279c6e180534c0f6db82310ae00c0ab562e68832694ba7614';

/** The stream dockerd sent for `docker pull alpine:3` (transcript pull-tty). */
const PULL: JSONMessage[] = [
  { status: 'Pulling from library/alpine', id: '3' },
  { status: 'Pulling fs layer', progressDetail: {}, id: LAYER },
  { status: 'Downloading', progressDetail: { current: 1048576, total: 2155123 }, progress: '[========================>                          ]  1.049MB/2.155MB', id: LAYER },
  { status: 'Downloading', progressDetail: { current: 2155123, total: 2155123 }, progress: '[==================================================>]  2.155MB/2.155MB', id: LAYER },
  { status: 'Verifying Checksum', progressDetail: {}, id: LAYER },
  { status: 'Download complete', progressDetail: {}, id: LAYER },
  { status: 'Extracting', progressDetail: { current: 2155123, total: 2155123 }, progress: '[==================================================>]  2.155MB/2.155MB', id: LAYER },
  { status: 'Pull complete', progressDetail: {}, id: LAYER },
  { status: `Digest: ${DIGEST}` },
  { status: 'Status: Downloaded newer image for alpine:3' },
];

describe('progressText', () => {
  it.each([
    [{}, 100, ''],
    [{ current: 0, total: 0 }, 100, ''],
    [{ current: 1048576, total: 2155123 }, 100, ' 1.049MB/2.155MB'],
    [{ current: 1048576, total: 2155123 }, 120, '[========================>                          ]  1.049MB/2.155MB'],
    [{ current: 2155123, total: 2155123 }, 120, '[==================================================>]  2.155MB/2.155MB'],
    [{ current: 512 }, 100, '    512B'],
    [{ current: 3000, total: 2000 }, 100, '     3kB'],
  ])('%j at %i columns is %j', (detail, columns, want) => {
    expect(progressText(detail, columns)).toBe(want);
  });
});

describe('displayMessages', () => {
  it('off a terminal: what docker pull printed (no byte counts)', async () => {
    const { text, error } = await draw(PULL);
    expect(error).toBeUndefined();
    expect(text).toBe(
      [
        '3: Pulling from library/alpine',
        `${LAYER}: Pulling fs layer`,
        `${LAYER}: Verifying Checksum`,
        `${LAYER}: Download complete`,
        `${LAYER}: Pull complete`,
        `Digest: ${DIGEST}`,
        'Status: Downloaded newer image for alpine:3',
        '',
      ].join('\n'),
    );
  });

  it('on a 100-column terminal: the bytes docker wrote (transcript pull-tty, before the pty turned \\n into \\r\\n)', async () => {
    const line = (s: string) => `\x1b[1A\x1b[2K\r${LAYER}: ${s}\r\x1b[1B`;
    const { text } = await draw(PULL, { isTTY: true, columns: 100 });
    expect(text).toBe(
      '3: Pulling from library/alpine\n' +
        '\n' + // a new id: a fresh line at the bottom
        line('Pulling fs layer ') +
        line('Downloading  1.049MB/2.155MB') +
        line('Downloading  2.155MB/2.155MB') +
        line('Verifying Checksum ') +
        line('Download complete ') +
        line('Extracting  2.155MB/2.155MB') +
        line('Pull complete ') +
        `Digest: ${DIGEST}\n` +
        'Status: Downloaded newer image for alpine:3\n',
    );
  });

  it('on a wide terminal the bar is drawn, and each id keeps its own line (up 2 for the first of two)', async () => {
    const { text } = await draw(
      [
        { status: 'Pulling fs layer', progressDetail: {}, id: 'aaa' },
        { status: 'Pulling fs layer', progressDetail: {}, id: 'bbb' },
        { status: 'Downloading', progressDetail: { current: 500, total: 1000 }, id: 'aaa' },
      ],
      { isTTY: true, columns: 120 },
    );
    expect(text).toBe(
      '\n\x1b[1A\x1b[2K\raaa: Pulling fs layer \r\x1b[1B' +
        '\n\x1b[1A\x1b[2K\rbbb: Pulling fs layer \r\x1b[1B' +
        `\x1b[2A\x1b[2K\raaa: Downloading [${'='.repeat(25)}>${' '.repeat(25)}]     500B/1kB\r\x1b[2B`,
    );
  });

  it('errorDetail ends the drawing and is returned; a bare `error` is not an error (docker prints an empty line)', async () => {
    const failed = await draw([{ status: 'Pulling from x', id: 'v1' }, { errorDetail: { message: 'boom' } }, { status: 'never drawn' }]);
    expect(failed).toEqual({ text: 'v1: Pulling from x\n', error: 'boom' });
    const ignored = await draw([{ status: 'a' }, { error: 'only the deprecated field' } as JSONMessage, { status: 'b' }]);
    expect(ignored).toEqual({ text: 'a\n\nb\n' });
  });

  it('aux objects are not drawn; stream text is drawn as is', async () => {
    const { text } = await draw([{ stream: 'Loaded image: x:1\n' }, { progressDetail: {}, aux: { Tag: 'v1' } }]);
    expect(text).toBe('Loaded image: x:1\n');
  });
});
