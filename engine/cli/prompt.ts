// Asking the user (chapter 4's `login` without -u/-p): a user name read as typed, a password
// read with the terminal's echo off. Raw mode hands us every key, so the few a line editor
// needs are handled here: Enter ends, Backspace takes one back, ^C and ^D give up.
import { CliError } from './errors.js';

/** One line from a terminal; `echo: false` for secrets. */
export function ask(a: { stdin: NodeJS.ReadStream; stdout: NodeJS.WriteStream; question: string; echo: boolean }): Promise<string> {
  const { stdin, stdout } = a;
  const raw = !a.echo && stdin.isTTY === true;
  // Echo off before the question shows: a quick typist answers as soon as it does.
  if (raw) stdin.setRawMode(true);
  stdout.write(a.question);
  return new Promise<string>((resolve, reject) => {
    let line = '';
    const finish = (err?: Error) => {
      stdin.off('data', onData);
      stdin.off('end', onEnd);
      if (raw) {
        stdin.setRawMode(false);
        stdout.write('\n'); // the Enter was not echoed
      }
      stdin.pause();
      if (err) reject(err);
      else resolve(line);
    };
    const onEnd = () => finish(new CliError('Error: no input: the login was not completed'));
    const onData = (chunk: Buffer) => {
      for (const ch of chunk.toString('utf8')) {
        if (ch === '\r' || ch === '\n') return finish();
        if (ch === '\x03' || ch === '\x04') return finish(new CliError('login canceled', 130));
        if (ch === '\x7f' || ch === '\b') line = line.slice(0, -1);
        else line += ch;
      }
    };
    stdin.on('data', onData);
    stdin.once('end', onEnd);
    stdin.resume();
  });
}
