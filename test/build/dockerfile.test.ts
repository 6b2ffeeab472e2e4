// Chapter 5: the Dockerfile parser, as tables. Expectations follow dockerd's classic builder
// (BuildKit's parser and instruction checks, which dockerd uses): the line rules, the forms,
// and the messages. Where buildah 1.28 (installed here) agrees, it was checked with `buildah bud`
// on the same text; where it differs (it is older), the comment says so and Docker wins.
import { describe, expect, it } from 'vitest';
import { parseDockerfile, parseTrigger, type Instruction } from '../../engine/build/index.js';

/** The instructions of `FROM scratch` + `text` after the FROM. */
const after = (text: string): Instruction[] => parseDockerfile(`FROM scratch\n${text}`).instructions.slice(1);
const one = (text: string): Instruction => after(text)[0]!;

describe('lines: directives, comments, continuations', () => {
  it('reads directives at the top: escape, syntax recorded, check accepted', () => {
    const df = parseDockerfile('# syntax=docker/dockerfile:1\n# check=skip=all\n# escape=`\nFROM scratch\nRUN echo a `\n  b\n');
    expect(df.escape).toBe('`');
    expect(df.syntax).toBe('docker/dockerfile:1');
    expect(df.instructions[1]).toMatchObject({ keyword: 'RUN', line: 5, endLine: 6, original: 'RUN echo a   b', command: ['echo a   b'] });
  });

  // Each: the text before `FROM scratch\nRUN a <esc>\n b`, and the escape that results. When
  // the escape is not the backtick, the RUN line is not continued and ` b` is its own line.
  const directives: Array<[string, string, '\\' | '`']> = [
    ['case-insensitive, spaces around =', '#  ESCAPE = `\n', '`'], // buildah agrees
    ['after a comment it is a comment', '# hello\n# escape=`\n', '\\'], // buildah agrees
    ['after a blank line it is a comment', '\n# escape=`\n', '\\'], // buildah agrees
    ['an unknown directive ends the directives', '# foo=bar\n# escape=`\n', '\\'],
    ['a byte-order mark is skipped', '\uFEFF# escape=`\n', '`'],
    ['indented', '   # escape=`\n', '`'],
  ];
  it.each(directives)('directive: %s', (_, head, escape) => {
    const text = `${head}FROM scratch\nRUN a \`\nRUN b\n`;
    const df = parseDockerfile(text);
    expect(df.escape).toBe(escape);
    expect(df.instructions.map((i) => i.original)).toEqual(escape === '`' ? ['FROM scratch', 'RUN a RUN b'] : ['FROM scratch', 'RUN a `', 'RUN b']);
  });

  it('skips comment lines and blank lines inside a continued instruction, with Docker\'s warning', () => {
    const df = parseDockerfile('FROM scratch\nRUN apt-get update \\\n  # install it\n    && apt-get install -y x \\\n\n    && echo done\nUSER me\n');
    expect(df.instructions[1]).toMatchObject({
      keyword: 'RUN', line: 2, endLine: 6,
      original: 'RUN apt-get update     && apt-get install -y x     && echo done',
    });
    expect(df.instructions[2]).toMatchObject({ keyword: 'USER', line: 7, user: 'me' });
    expect(df.warnings).toEqual([
      '[WARNING]: Empty continuation line found in: RUN apt-get update     && apt-get install -y x     && echo done',
      '[WARNING]: Empty continuation lines will become errors in a future release.',
    ]);
  });

  // [name, the lines after FROM scratch, the originals they become]
  const lineCases: Array<[string, string, string[]]> = [
    // buildah 1.28 (an older parser) continues here; Docker's rule: an escaped escape ends the line.
    ['an escaped escape at the end is not a continuation', 'ENV a=x\\\\\nENV b=2', ['ENV a=x\\\\', 'ENV b=2']],
    ['spaces and tabs may follow the escape', 'RUN a \\ \t \n b', ['RUN a  b']],
    ['a continuation may run into the end of the file', 'RUN a \\', ['RUN a']],
    ['a line that is only the escape continues', 'RUN a \\\n\\\n b', ['RUN a  b']],
    ['CRLF line endings', 'RUN a \\\r\n b\r\nUSER u\r\n', ['RUN a  b', 'USER u']],
    ['comments, indented comments and blank lines between instructions', '# c\n\n   # d\n \t\nUSER u', ['USER u']],
    ['a # after the start of a line is not a comment', 'RUN echo # not a comment', ['RUN echo # not a comment']],
    ['the first line loses its indentation, keywords any case', '   run echo\n\tUser u', ['run echo', 'User u']],
    ['a comment that ends with the escape does not continue', '# c \\\nUSER u', ['USER u']],
  ];
  it.each(lineCases)('%s', (_, text, originals) => {
    expect(after(text).map((i) => i.original)).toEqual(originals);
  });

  it('counts lines 1-based, from where an instruction starts to where it ends', () => {
    const df = parseDockerfile('# syntax=x\n\nFROM scratch\nENV a=1 \\\n  # c\n  b=2\n\nCMD x\n');
    expect(df.instructions.map((i) => [i.keyword, i.line, i.endLine])).toEqual([['FROM', 3, 3], ['ENV', 4, 6], ['CMD', 8, 8]]);
  });
});

describe('instructions: forms and arguments as written', () => {
  // [instruction line, what it must contain]
  const cases: Array<[string, Partial<Record<string, unknown>>]> = [
    // exec form only for a JSON array of strings; otherwise the text is the shell form
    ['RUN ["echo", "a b"]', { keyword: 'RUN', json: true, command: ['echo', 'a b'] }],
    ['RUN echo $HOME && ls', { json: false, command: ['echo $HOME && ls'] }],
    ["CMD [\"echo\", 'single']", { keyword: 'CMD', json: false, command: ["[\"echo\", 'single']"] }], // buildah: Cmd sh -c "[…]"
    ['ENTRYPOINT ["a",]', { keyword: 'ENTRYPOINT', json: false, command: ['["a",]'] }],
    ['CMD {"a": 1}', { json: false, command: ['{"a": 1}'] }],
    ['CMD []', { json: true, command: [] }],
    ['CMD', { json: false, command: [] }],
    ['SHELL ["/bin/bash", "-c"]', { keyword: 'SHELL', json: true, shell: ['/bin/bash', '-c'] }],
    // RUN's flags are parsed (the classic builder refuses them when it dispatches)
    ['RUN --mount=type=cache,target=/c --mount=type=tmpfs,target=/t --network=none make',
      { flags: { mount: ['type=cache,target=/c', 'type=tmpfs,target=/t'], network: 'none' }, command: ['make'] }],
    ['RUN -- --not-a-flag', { flags: {}, command: ['--not-a-flag'] }],
    // FROM
    ['FROM --platform=linux/arm64 busybox:1.36 AS Build', { keyword: 'FROM', flags: { platform: 'linux/arm64' }, image: 'busybox:1.36', stage: 'build' }],
    ['from ${IMAGE} as x', { keyword: 'FROM', image: '${IMAGE}', stage: 'x' }],
    // ENV and LABEL: pairs with their quotes kept for substitution, or the legacy form
    ['ENV a=1 b="x y" c=\'$a\' d=a\\ b', { keyword: 'ENV', legacy: false, pairs: [
      { key: 'a', value: '1' }, { key: 'b', value: '"x y"' }, { key: 'c', value: "'$a'" }, { key: 'd', value: 'a\\ b' }] }],
    ['ENV f $a  two   words', { legacy: true, pairs: [{ key: 'f', value: '$a  two   words' }] }],
    ['ENV e= "q"="v"', { pairs: [{ key: 'e', value: '' }, { key: '"q"', value: '"v"' }] }],
    ['LABEL "key with space"="v 1" k2=$a', { keyword: 'LABEL', pairs: [{ key: '"key with space"', value: '"v 1"' }, { key: 'k2', value: '$a' }] }],
    ['LABEL k v  w', { legacy: true, pairs: [{ key: 'k', value: 'v  w' }] }],
    ['ARG a b=1 c= d="x y"', { keyword: 'ARG', args: [{ name: 'a' }, { name: 'b', default: '1' }, { name: 'c', default: '' }, { name: 'd', default: '"x y"' }] }],
    ['ARG --ignored x', { args: [{ name: 'x' }], flags: {} }], // Docker never reads ARG's flags
    // words at spaces, quotes not honoured
    ['EXPOSE 8080 $PORTS 443/tcp 80/udp', { keyword: 'EXPOSE', ports: ['$PORTS', '443/tcp', '80/udp', '8080'] }],
    ['VOLUME ["/data", "/a b"]', { keyword: 'VOLUME', json: true, paths: ['/data', '/a b'] }],
    ['VOLUME /v1   /v2/$X', { json: false, paths: ['/v1', '/v2/$X'] }],
    ['COPY "a b" /x', { sources: ['"a', 'b"'], dest: '/x' }],
    // the whole rest of the line is the argument
    ['WORKDIR /a b/$X', { keyword: 'WORKDIR', path: '/a b/$X' }],
    ['USER u$X:g', { keyword: 'USER', user: 'u$X:g' }],
    ['STOPSIGNAL --x SIGTERM', { keyword: 'STOPSIGNAL', signal: 'SIGTERM', flags: {} }],
    ['MAINTAINER Jo <jo@example.com>', { keyword: 'MAINTAINER', maintainer: 'Jo <jo@example.com>' }],
    // COPY and ADD: sources, destination last, flags
    ['COPY --from=build --chown=1:2 --chmod=755 --link a b /c/', { keyword: 'COPY',
      flags: { from: 'build', chown: '1:2', chmod: '755', link: true }, sources: ['a', 'b'], dest: '/c/' }],
    ['COPY --chown="app user" --link=false ["a b", "/c d/"]', { json: true, flags: { chown: 'app user', link: false }, sources: ['a b'], dest: '/c d/' }],
    ['ADD --exclude=*.md --exclude=x --keep-git-dir --checksum=sha256:ab https://x/y.tar /z', { keyword: 'ADD',
      flags: { exclude: ['*.md', 'x'], 'keep-git-dir': true, checksum: 'sha256:ab' }, sources: ['https://x/y.tar'], dest: '/z' }],
    // HEALTHCHECK: durations in nanoseconds as in the image config, zeros left out (buildah agrees)
    ['HEALTHCHECK --interval=1m30s --timeout=3s --start-period=1.5s --retries=2 CMD ["/bin/check", "$X"]', { keyword: 'HEALTHCHECK',
      json: true, healthcheck: { Test: ['CMD', '/bin/check', '$X'], Interval: 90e9, Timeout: 3e9, StartPeriod: 1.5e9, Retries: 2 } }],
    ['HEALTHCHECK --interval=0s --start-interval=250ms cmd curl -f http://x/', {
      healthcheck: { Test: ['CMD-SHELL', 'curl -f http://x/'], StartInterval: 250e6 } }],
    ['HEALTHCHECK NONE', { healthcheck: { Test: ['NONE'] } }],
    ['HEALTHCHECK --bogus NONE', { healthcheck: { Test: ['NONE'] } }], // Docker reads no flags for NONE
    // ONBUILD: the stored expression (buildah agrees) and the trigger parsed
    ['ONBUILD   COPY --chown=1 a /b', { keyword: 'ONBUILD', expression: 'COPY --chown=1 a /b',
      trigger: { keyword: 'COPY', original: 'COPY --chown=1 a /b', flags: { chown: '1' }, sources: ['a'], dest: '/b' } }],
    ['onbuild RUN echo $X \\\n    more', { expression: 'RUN echo $X     more', trigger: { keyword: 'RUN', command: ['echo $X     more'] } }],
  ];
  it.each(cases)('%s', (line, expected) => {
    const found = line.startsWith('FROM') || line.startsWith('from') ? parseDockerfile(line).instructions[0] : one(line);
    expect(found).toMatchObject(expected);
  });

  it('groups meta ARGs and stages', () => {
    const df = parseDockerfile('ARG BASE=scratch\nARG V\nFROM ${BASE} AS one\nRUN a\nFROM one\nARG V\nCOPY --from=one /x /y\n');
    expect(df.metaArgs.map((a) => a.line)).toEqual([1, 2]);
    expect(df.stages.map((s) => [s.index, s.name, s.from.line, s.instructions.map((i) => i.keyword)])).toEqual([
      [0, 'one', 3, ['RUN']],
      [1, undefined, 5, ['ARG', 'COPY']],
    ]);
  });

  it('parses a stored ONBUILD trigger on its own, with the default escape', () => {
    expect(parseTrigger('RUN echo hi')).toMatchObject({ keyword: 'RUN', line: 1, original: 'RUN echo hi', command: ['echo hi'] });
    expect(() => parseTrigger('FROM x')).toThrow(expect.objectContaining({ code: 'DOCKERFILE_PARSE', message: "dockerfile parse error on line 1: FROM isn't allowed as an ONBUILD trigger" }));
    expect(() => parseTrigger('ONBUILD RUN x')).toThrow(expect.objectContaining({ code: 'DOCKERFILE_PARSE' }));
    expect(() => parseTrigger('# only a comment')).toThrow(expect.objectContaining({ message: 'onbuild trigger should be a single expression' }));
  });
});

// [what, Dockerfile text, code, message]. Messages are dockerd's, placed on the instruction's
// first line the way dockerd words its instruction errors.
const errors: Array<[string, string, string, string]> = [
  ['an empty file', '', 'DOCKERFILE_EMPTY', 'the Dockerfile (Dockerfile) cannot be empty'],
  ['only comments', '# nothing\n\n  \n', 'DOCKERFILE_EMPTY', 'failed to parse Dockerfile: file with no instructions'],
  ['a NUL byte in an instruction', 'FROM scratch\nRUN echo a\0b\n', 'DOCKERFILE_NUL', 'Dockerfile line 2: a NUL byte: a Dockerfile is text'],
  ['an unknown instruction', 'FROM scratch\n\nRUNN x', 'DOCKERFILE_UNKNOWN_INSTRUCTION', 'dockerfile parse error on line 3: unknown instruction: RUNN (did you mean RUN?)'],
  ['an unknown instruction, lower case', 'FROM scratch\ncopi a b', 'DOCKERFILE_UNKNOWN_INSTRUCTION', 'dockerfile parse error on line 2: unknown instruction: copi (did you mean copy?)'],
  ['an unknown instruction, nothing close', 'FROM scratch\nXYZZY a', 'DOCKERFILE_UNKNOWN_INSTRUCTION', 'dockerfile parse error on line 2: unknown instruction: XYZZY'],
  ['a repeated directive', '# escape=`\n# escape=\\\nFROM x', 'DOCKERFILE_DIRECTIVE', 'dockerfile parse error on line 2: only one escape parser directive can be used'],
  ['an invalid escape', '# escape=x\nFROM x', 'DOCKERFILE_DIRECTIVE', "dockerfile parse error on line 1: invalid escape token 'x' does not match ` or \\"],
  ['an instruction before FROM', 'RUN x\nFROM a', 'DOCKERFILE_PARSE', 'dockerfile parse error on line 1: no build stage in current context'],
  ['a line over 64 KiB', `FROM a\nRUN ${'x'.repeat(65536)}`, 'DOCKERFILE_PARSE', 'dockerfile parse error on line 2: dockerfile line greater than max allowed size of 65535'],
  // flags
  ['an unknown flag', 'FROM a\nCOPY --bogus=1 a b', 'DOCKERFILE_FLAG', 'dockerfile parse error on line 2: unknown flag: --bogus'],
  ['an unknown flag close to one', 'FROM a\nCOPY --chmd=1 a b', 'DOCKERFILE_FLAG', 'dockerfile parse error on line 2: unknown flag: --chmd (did you mean chmod?)'],
  ['a flag on an instruction with none', 'FROM a\nCMD --x y', 'DOCKERFILE_FLAG', 'dockerfile parse error on line 2: unknown flag: --x'],
  ['a repeated flag', 'FROM a\nCOPY --from=a --from=b x y', 'DOCKERFILE_FLAG', 'dockerfile parse error on line 2: duplicate flag specified: --from'],
  ['a string flag with no value', 'FROM a\nCOPY --from x y', 'DOCKERFILE_FLAG', 'dockerfile parse error on line 2: missing a value on flag: --from'],
  ['a boolean flag with an empty value', 'FROM a\nCOPY --link= x y', 'DOCKERFILE_FLAG', 'dockerfile parse error on line 2: missing a value on flag: --link'],
  ['a boolean flag with another value', 'FROM a\nCOPY --link=yes x y', 'DOCKERFILE_FLAG', 'dockerfile parse error on line 2: expecting boolean value for flag --link, not: yes'],
  ['a RUN network Docker does not know', 'FROM a\nRUN --network=bridge x', 'DOCKERFILE_PARSE', 'dockerfile parse error on line 2: invalid network mode "bridge"'],
  // arguments
  ['COPY with one argument', 'FROM a\nCOPY x', 'DOCKERFILE_PARSE', 'dockerfile parse error on line 2: COPY requires at least two arguments, but only one was provided. Destination could not be determined'],
  ['ADD with none', 'FROM a\nADD', 'DOCKERFILE_PARSE', 'dockerfile parse error on line 2: ADD requires at least two arguments, but only one was provided. Destination could not be determined'],
  ['ENV with a name alone', 'FROM a\nENV a', 'DOCKERFILE_PARSE', 'dockerfile parse error on line 2: ENV must have two arguments'],
  ['ENV mixing forms', 'FROM a\nENV a=1 b', 'DOCKERFILE_PARSE', 'dockerfile parse error on line 2: Syntax error - can\'t find = in "b". Must be of the form: name=value'],
  ['ENV with nothing', 'FROM a\nENV', 'DOCKERFILE_PARSE', 'dockerfile parse error on line 2: ENV requires at least one argument'],
  ['ENV with a blank name', 'FROM a\nENV =x', 'DOCKERFILE_PARSE', 'dockerfile parse error on line 2: ENV names can not be blank'],
  ['LABEL with a blank name', 'FROM a\nLABEL a=1 =x', 'DOCKERFILE_PARSE', 'dockerfile parse error on line 2: LABEL names can not be blank'],
  ['ARG with nothing', 'FROM a\nARG', 'DOCKERFILE_PARSE', 'dockerfile parse error on line 2: ARG requires at least one argument'],
  ['ARG with a blank name', 'FROM a\nARG =x', 'DOCKERFILE_PARSE', 'dockerfile parse error on line 2: ARG names can not be blank'],
  ['FROM with two words', 'FROM a b', 'DOCKERFILE_PARSE', 'dockerfile parse error on line 1: FROM requires either one or three arguments'],
  ['FROM with nothing', 'FROM', 'DOCKERFILE_PARSE', 'dockerfile parse error on line 1: FROM requires either one or three arguments'],
  ['a stage name that starts with a digit', 'FROM a AS 1x', 'DOCKERFILE_PARSE', 'dockerfile parse error on line 1: invalid name for build stage: "1x", name can\'t start with a number or contain symbols'],
  ['WORKDIR with nothing', 'FROM a\nWORKDIR', 'DOCKERFILE_PARSE', 'dockerfile parse error on line 2: WORKDIR requires exactly one argument'],
  ['SHELL in shell form', 'FROM a\nSHELL /bin/bash -c', 'DOCKERFILE_PARSE', 'dockerfile parse error on line 2: SHELL requires the arguments to be in JSON form'],
  ['SHELL []', 'FROM a\nSHELL []', 'DOCKERFILE_PARSE', 'dockerfile parse error on line 2: SHELL requires at least one argument'],
  ['a JSON array holding a number', 'FROM a\nRUN ["a", 1]', 'DOCKERFILE_PARSE', 'dockerfile parse error on line 2: when using JSON array syntax, arrays must be comprised of strings only'],
  ['VOLUME [""]', 'FROM a\nVOLUME ["", "/x"]', 'DOCKERFILE_PARSE', 'dockerfile parse error on line 2: VOLUME specified can not be an empty string'],
  ['VOLUME []', 'FROM a\nVOLUME []', 'DOCKERFILE_PARSE', 'dockerfile parse error on line 2: VOLUME requires at least one argument'],
  ['EXPOSE with nothing', 'FROM a\nEXPOSE', 'DOCKERFILE_PARSE', 'dockerfile parse error on line 2: EXPOSE requires at least one argument'],
  // HEALTHCHECK
  ['HEALTHCHECK NONE with a command', 'FROM a\nHEALTHCHECK NONE x', 'DOCKERFILE_PARSE', 'dockerfile parse error on line 2: HEALTHCHECK NONE takes no arguments'],
  ['HEALTHCHECK CMD with no command', 'FROM a\nHEALTHCHECK --retries=1 CMD', 'DOCKERFILE_PARSE', 'dockerfile parse error on line 2: Missing command after HEALTHCHECK CMD'],
  ['HEALTHCHECK of an unknown type', 'FROM a\nHEALTHCHECK run x', 'DOCKERFILE_PARSE', 'dockerfile parse error on line 2: Unknown type "RUN" in HEALTHCHECK (try CMD)'],
  ['a HEALTHCHECK interval under 1ms', 'FROM a\nHEALTHCHECK --interval=10us CMD x', 'DOCKERFILE_PARSE', 'dockerfile parse error on line 2: Interval "interval" cannot be less than 1ms'],
  ['a HEALTHCHECK duration Go cannot read', 'FROM a\nHEALTHCHECK --timeout=abc CMD x', 'DOCKERFILE_PARSE', 'dockerfile parse error on line 2: time: invalid duration "abc"'],
  ['a HEALTHCHECK duration with no unit', 'FROM a\nHEALTHCHECK --start-period=5 CMD x', 'DOCKERFILE_PARSE', 'dockerfile parse error on line 2: time: missing unit in duration "5"'],
  ['a HEALTHCHECK duration with an unknown unit', 'FROM a\nHEALTHCHECK --timeout=5d CMD x', 'DOCKERFILE_PARSE', 'dockerfile parse error on line 2: time: unknown unit "d" in duration "5d"'],
  ['negative HEALTHCHECK retries', 'FROM a\nHEALTHCHECK --retries=-1 CMD x', 'DOCKERFILE_PARSE', 'dockerfile parse error on line 2: --retries cannot be negative (-1)'],
  ['HEALTHCHECK retries that are no number', 'FROM a\nHEALTHCHECK --retries=x CMD x', 'DOCKERFILE_PARSE', 'dockerfile parse error on line 2: strconv.ParseInt: parsing "x": invalid syntax'],
  ['a HEALTHCHECK flag Docker does not know', 'FROM a\nHEALTHCHECK --intervals=1s CMD x', 'DOCKERFILE_FLAG', 'dockerfile parse error on line 2: unknown flag: --intervals (did you mean interval?)'],
  // ONBUILD
  ['ONBUILD ONBUILD', 'FROM a\nONBUILD ONBUILD RUN x', 'DOCKERFILE_PARSE', 'dockerfile parse error on line 2: Chaining ONBUILD via `ONBUILD ONBUILD` isn\'t allowed'],
  ['ONBUILD FROM', 'FROM a\nONBUILD from b', 'DOCKERFILE_PARSE', 'dockerfile parse error on line 2: FROM isn\'t allowed as an ONBUILD trigger'],
  ['ONBUILD MAINTAINER', 'FROM a\nONBUILD MAINTAINER me', 'DOCKERFILE_PARSE', 'dockerfile parse error on line 2: MAINTAINER isn\'t allowed as an ONBUILD trigger'],
  ['ONBUILD with nothing', 'FROM a\nONBUILD', 'DOCKERFILE_PARSE', 'dockerfile parse error on line 2: ONBUILD requires at least one argument'],
  // Docker finds this one only when the trigger runs; we find it at once.
  ['ONBUILD of an unknown instruction', 'FROM a\nONBUILD RUNN x', 'DOCKERFILE_UNKNOWN_INSTRUCTION', 'dockerfile parse error on line 2: unknown instruction: RUNN (did you mean RUN?)'],
  ['a bad flag inside ONBUILD', 'FROM a\nONBUILD COPY --bogus a b', 'DOCKERFILE_FLAG', 'dockerfile parse error on line 2: unknown flag: --bogus'],
];

describe('errors name the line and the problem in Docker\'s words', () => {
  it.each(errors)('%s', (_, text, code, message) => {
    expect(() => parseDockerfile(text)).toThrow(expect.objectContaining({ code, kind: 'invalid-argument', message }));
  });

  it('names the first line of a continued instruction and keeps both ends in data', () => {
    let caught: unknown;
    try {
      parseDockerfile('FROM a\n# c\nCOPY \\\n  --bogus \\\n  a b\n');
    } catch (err) {
      caught = err;
    }
    expect(caught).toMatchObject({ code: 'DOCKERFILE_FLAG', data: { line: 3, endLine: 5, problem: 'unknown flag: --bogus' } });
  });

  it('names the Dockerfile as given', () => {
    expect(() => parseDockerfile('', { name: 'build/Dockerfile.dev' })).toThrow('the Dockerfile (build/Dockerfile.dev) cannot be empty');
  });
});
