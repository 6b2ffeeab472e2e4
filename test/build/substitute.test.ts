// Chapter 5: variable substitution, as tables. Expectations are dockerd's (BuildKit's shell
// lexer, which the classic builder runs). Rows marked "buildah" were confirmed by building the
// same lines FROM scratch with buildah 1.28 and reading the image's Env and Labels; rows marked
// "Docker only" are forms buildah 1.28's older lexer lacks or reads differently.
import { describe, expect, it } from 'vitest';
import {
  envMap, expandArgs, expandPairs, expandWord, expandWords, parseDockerfile, SUBSTITUTED_INSTRUCTIONS, SUBSTITUTION,
  type Dockerfile, type Vars,
} from '../../engine/build/index.js';

const vars: Vars = envMap(['a=1', 'e=', 'Q=a  b', 'path=/usr/bin', 'PORTS=80/tcp 443', 'é=accent']);

// [word, result]
const words: Array<[string, string]> = [
  // variables (buildah)
  ['$a', '1'], ['${a}b', '1b'], ['$a_x', ''], ['a$', 'a$'], ['$1', ''], ['$zz', ''],
  ['${zz:-def}', 'def'], ['${a:-def}', '1'], ['${e:-empty}', 'empty'],
  ['${a:+alt}', 'alt'], ['${zz:+alt}', ''], ['${e:+set}', ''],
  // nesting and quotes inside the word (buildah)
  ['${zz:-$a}', '1'], ['${a:+$a$a}', '11'], ['"${zz:-\'s q\'}"', 's q'], ['${zz:-"d q"}', 'd q'], ['${zz:-"q $a"}', 'q 1'],
  ["${Q:+'$Q'}", '$Q'], ['"${Q:+$Q}"', 'a  b'],
  // quotes and escapes (buildah)
  ['"a\\"b"', 'a"b'], ['"a\\\\b"', 'a\\b'], ['"a\\nb"', 'a\\nb'], ['a\\ b', 'a b'], ["'it''s'", 'its'],
  ['"x\'y\'z"', "x'y'z"], ['\\"lit\\"', '"lit"'], ['a\\\\b', 'a\\b'], ["'${a}'", '${a}'], ['"${a}"', '1'],
  ['\\${a}', '${a}'], ["'$a'", '$a'], ['\\$a', '$a'], ['"$a  two"', '1  two'], ['$a  two   words', '1  two   words'],
  ['trailing\\', 'trailing'],
  // Docker only: without the colon, only an unset variable counts as missing
  ['${zz-dash}', 'dash'], ['${e-dash}', ''], ['${a+plus}', 'plus'], ['${zz+plus}', ''], ['${e+plus}', 'plus'],
  ['${e?}', ''], ['${a:?must be set}', '1'],
  // Docker only: special parameters are names (always unset); buildah 1.28 leaves `$$` as is
  ['$$', ''], ['$@x', 'x'], ['${#}', ''],
  // Docker only: patterns
  ['${path#*/}', 'usr/bin'], ['${path##*/}', 'bin'], ['${path%/*}', '/usr'], ['${path%%/*}', ''],
  ['${path/usr/opt}', '/opt/bin'], ['${path//\\//:}', ':usr:bin'], ['${path/?/}', 'usr/bin'], ['${zz/a/b}', ''],
  ['${a#\\*}', '1'],
  // names are Unicode letters, digits and _
  ['$é!', 'accent!'],
];

describe('expandWord', () => {
  it.each(words)('%s → %j', (word, result) => {
    expect(expandWord(word, vars)).toBe(result);
  });

  // With `# escape=\``, the backtick escapes and a backslash is an ordinary character. (Docker
  // only: buildah 1.28 parses the directive but substitutes with the backslash regardless.)
  const backtick: Array<[string, string]> = [
    ['C:\\path\\x', 'C:\\path\\x'], ['`$a', '$a'], ['"`"x`""', '"x"'], ['\\$a', '\\1'], ['a` b', 'a b'], ['"C:\\dir"', 'C:\\dir'],
  ];
  it.each(backtick)('with escape ` : %s → %j', (word, result) => {
    expect(expandWord(word, vars, '`')).toBe(result);
  });
});

describe('expandWords (EXPOSE)', () => {
  const cases: Array<[string, string[]]> = [
    ['$PORTS 22', ['80/tcp', '443', '22']], // buildah: ExposedPorts 80/tcp 443/tcp 22/tcp
    ['"a b" c', ['a b', 'c']],
    ["'$x y'", ['$x y']],
    ['a\\ b', ['a b']],
    ['"$Q"', ['a  b']],
    ['$Q', ['a', 'b']],
    ['x$Q', ['xa', 'b']],
    ['""', []],
    ['x""y', ['xy']],
    ['  lead  trail  ', ['lead', 'trail']],
  ];
  it.each(cases)('%s → %j', (word, result) => {
    expect(expandWords(word, vars)).toEqual(result);
  });
});

// [word, Docker's message]
const refused: Array<[string, string]> = [
  ['"abc', 'failed to process "\\"abc": unexpected end of statement while looking for matching double-quote'],
  ["'abc", 'failed to process "\'abc": unexpected end of statement while looking for matching single-quote'],
  ['${', 'failed to process "${": syntax error: missing \'}\''],
  ['${}', 'failed to process "${}": syntax error: bad substitution'],
  ['${:-x}', 'failed to process "${:-x}": syntax error: bad substitution'],
  ['${a:-x', 'failed to process "${a:-x": syntax error: missing \'}\''],
  ['${a', 'failed to process "${a": unsupported modifier (\uFFFD) in substitution'],
  ['${a!}', 'failed to process "${a!}": unsupported modifier (!) in substitution'],
  ['${a:x}', 'failed to process "${a:x}": unsupported modifier (:x) in substitution'],
  ['${a:#x}', 'failed to process "${a:#x}": unsupported modifier (:#) in substitution'],
  ['${zz:?}', 'failed to process "${zz:?}": zz: is not allowed to be unset'],
  ['${e:?}', 'failed to process "${e:?}": e: is not allowed to be empty'],
  ['${zz?needs a value}', 'failed to process "${zz?needs a value}": zz: needs a value'],
  ['${a/x', 'failed to process "${a/x": syntax error: missing \'/\' in ${}'],
  ['${a/x/y', 'failed to process "${a/x/y": syntax error: missing \'}\''],
  ['${path#\\a}', 'failed to process "${path#\\\\a}": invalid pattern (\\a) in substitution: invalid escape \'\\a\''],
];

describe('refusals', () => {
  it.each(refused)('%s', (word, message) => {
    expect(() => expandWord(word, vars)).toThrow(expect.objectContaining({ code: 'DOCKERFILE_SUBSTITUTION', kind: 'invalid-argument', message }));
  });
});

describe('scoping: one line sees the variables from before it', () => {
  it('ENV a=1 b=$a gives b the old a', () => {
    const pairs = [{ key: 'a', value: '1' }, { key: 'b', value: '$a' }];
    expect(expandPairs(pairs, envMap([]))).toEqual([{ key: 'a', value: '1' }, { key: 'b', value: '' }]);
    expect(expandPairs(pairs, envMap(['a=0']))).toEqual([{ key: 'a', value: '1' }, { key: 'b', value: '0' }]);
  });

  it('ARG x=1 y=$x likewise (buildah: Y= after ENV Y=$y)', () => {
    expect(expandArgs([{ name: 'x', default: '1' }, { name: 'y', default: '$x' }, { name: 'z' }], envMap([]))).toEqual([
      { name: 'x', default: '1' }, { name: 'y', default: '' }, { name: 'z' },
    ]);
  });

  it('a later entry of an Env list wins, and KEY alone is empty', () => {
    expect([...envMap(['a=1', 'b', 'a=2=3'])]).toEqual([['a', '2=3'], ['b', '']]);
  });
});

describe('which instructions substitute', () => {
  it('lists the reference\'s instructions and ARG, and no command-running ones', () => {
    expect([...SUBSTITUTED_INSTRUCTIONS].sort()).toEqual(
      ['ADD', 'ARG', 'COPY', 'ENV', 'EXPOSE', 'FROM', 'LABEL', 'STOPSIGNAL', 'USER', 'VOLUME', 'WORKDIR']);
    expect(SUBSTITUTION.EXPOSE).toBe('words');
    expect(SUBSTITUTION.FROM).toBe('meta-args');
    for (const k of ['RUN', 'CMD', 'ENTRYPOINT', 'SHELL', 'HEALTHCHECK', 'ONBUILD', 'MAINTAINER'] as const) expect(SUBSTITUTION[k]).toBe('none');
  });
});

/**
 * The ENV, ARG and LABEL steps of a build, as the classic builder applies them: each line's
 * arguments expanded against the environment before it (ENV first, then ARGs not shadowed),
 * then applied. Enough to compare a whole Dockerfile with the image buildah made.
 */
function metadata(df: Dockerfile): { env: string[]; labels: Record<string, string> } {
  const env = new Map<string, string>();
  const args = new Map<string, string>();
  const labels: Record<string, string> = {};
  for (const ins of df.instructions) {
    const before = new Map([...args, ...env]);
    if (ins.keyword === 'ENV') for (const p of expandPairs(ins.pairs, before, df.escape)) env.set(p.key, p.value);
    if (ins.keyword === 'LABEL') for (const p of expandPairs(ins.pairs, before, df.escape)) labels[p.key] = p.value;
    if (ins.keyword === 'ARG') for (const a of expandArgs(ins.args, before, df.escape)) if (a.default !== undefined) args.set(a.name, a.default);
  }
  return { env: [...env].map(([k, v]) => `${k}=${v}`), labels };
}

// [Dockerfile, the Env and Labels buildah 1.28 gave (less its own PATH and io.buildah.version)]
const built: Array<[string, string, { env: string[]; labels: Record<string, string> }]> = [
  ['pairs, legacy ENV, LABEL quotes', [
    'FROM scratch',
    'ENV a=1 b=$a c="x y" d=\'$a\' e=\\$a',
    'ENV f $a  two   words',
    'LABEL l1="quoted value" l2=$a \'l3\'=v3',
    'ENV g=${a:-def} h=${zz:-def} i=${a:+alt} j=${zz:+alt} n=${zz:-$a} o=${zz:-"q $a"} p="${a}x"',
  ].join('\n'), {
    env: ['a=1', 'b=', 'c=x y', 'd=$a', 'e=$a', 'f=1  two   words', 'g=1', 'h=def', 'i=alt', 'j=', 'n=1', 'o=q 1', 'p=1x'],
    labels: { l1: 'quoted value', l2: '1', l3: 'v3' },
  }],
  ['quotes and escapes in values', [
    'FROM scratch',
    'ENV a=1 e=',
    'ENV q1="a\\"b" q2="a\\\\b" q3="a\\nb" q4=a\\ b q5=\'it\'\'s\' q6="x\'y\'z" q7=\\"lit\\" q8=a\\\\b',
    'ENV n1=${zz:-$a} n2=${a:+$a$a} n3=${e:-empty} n4=${e:+set} n5=$1 n6=a$ n7=${a}b n8=$a_x n9="${zz:-\'s q\'}" n10=${zz:-"d q"}',
    'ENV m3=\'${a}\' m4="${a}" m5=\\${a}',
  ].join('\n'), {
    env: ['a=1', 'e=', 'q1=a"b', 'q2=a\\b', 'q3=a\\nb', 'q4=a b', 'q5=its', "q6=x'y'z", 'q7="lit"', 'q8=a\\b',
      'n1=1', 'n2=11', 'n3=empty', 'n4=', 'n5=', 'n6=a$', 'n7=1b', 'n8=', 'n9=s q', 'n10=d q', 'm3=${a}', 'm4=1', 'm5=${a}'],
    labels: {},
  }],
  ['ARG defaults, legacy LABEL, empty values', [
    'FROM scratch',
    'ARG q="a  b" r',
    'ENV Q=$q R=${r:-unset}',
    'LABEL k v  w',
    'LABEL e1= e2="" "e3"=x',
    'ENV L "a  b" c',
    'ENV k=',
    'ENV z=${Q:+\'$Q\'} w="${Q:+$Q}"',
  ].join('\n'), {
    env: ['Q=a  b', 'R=unset', 'L=a  b c', 'k=', 'z=$Q', 'w=a  b'],
    labels: { k: 'v  w', e1: '', e2: '', e3: 'x' },
  }],
  ['ARG x=1 y=$x: y sees the x from before the line', 'FROM scratch\nARG x=1 y=$x\nENV X=$x Y=$y S=TERM', {
    env: ['X=1', 'Y=', 'S=TERM'], labels: {},
  }],
];

describe('whole Dockerfiles, compared with buildah', () => {
  it.each(built)('%s', (_, text, expected) => {
    expect(metadata(parseDockerfile(text))).toEqual(expected);
  });

  it('a continued ENV with a comment and a blank line inside, under # escape=`', () => {
    const df = parseDockerfile([
      '# escape=`', 'FROM scratch', 'ENV a=1 `', '# a comment inside', '    p=C:\\path\\x `', '', '    t=`$a q="`"x`""',
    ].join('\n'));
    // buildah's history shows the same joined text: `ENV a=1     p=C:\path\x     t=…`.
    expect(df.instructions[1]!.original).toBe('ENV a=1     p=C:\\path\\x     t=`$a q="`"x`""');
    // Docker substitutes with the backtick (buildah 1.28 would give p=C:pathx).
    expect(metadata(df).env).toEqual(['a=1', 'p=C:\\path\\x', 't=$a', 'q="x"']);
  });

  it('the other substituted instructions of one Dockerfile (buildah: the same config)', () => {
    const df = parseDockerfile('FROM scratch\nENV X=1 S=TERM PORTS="80/tcp 443"\nEXPOSE $PORTS 9000/udp 22\nVOLUME ["/data", "/$X"]\nVOLUME /v1 /v2/$X\nUSER u$X:g\nSTOPSIGNAL SIG$S\n');
    const env = envMap(['X=1', 'S=TERM', 'PORTS=80/tcp 443']);
    const [, , expose, v1, v2, user, signal] = df.instructions;
    // Docker sorts the words as written ($PORTS first), then expands each.
    expect(expose!.keyword === 'EXPOSE' && expose!.ports.flatMap((p) => expandWords(p, env))).toEqual(['80/tcp', '443', '22', '9000/udp']);
    expect(v1!.keyword === 'VOLUME' && v1!.paths.map((p) => expandWord(p, env))).toEqual(['/data', '/1']);
    expect(v2!.keyword === 'VOLUME' && v2!.paths.map((p) => expandWord(p, env))).toEqual(['/v1', '/v2/1']);
    expect(user!.keyword === 'USER' && expandWord(user!.user, env)).toBe('u1:g');
    expect(signal!.keyword === 'STOPSIGNAL' && expandWord(signal!.signal, env)).toBe('SIGTERM');
  });
});
