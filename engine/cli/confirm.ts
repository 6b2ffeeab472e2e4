// The prune verbs' "Are you sure you want to continue? [y/N]" (issue 9). Docker asks on stdin
// even when it is not a terminal, so `echo y | dockling image prune` works; an input that ends
// before a line counts as "no", as does anything but y/yes.
import { createInterface } from 'node:readline';

export function confirm(a: { stdin: NodeJS.ReadStream; stdout: NodeJS.WriteStream; warning: string }): Promise<boolean> {
  a.stdout.write(`${a.warning}\nAre you sure you want to continue? [y/N] `);
  return new Promise<boolean>((resolve) => {
    const rl = createInterface({ input: a.stdin, terminal: false });
    let answered = false;
    rl.once('line', (line) => {
      answered = true;
      rl.close();
      resolve(/^y(es)?$/i.test(line.trim()));
    });
    rl.once('close', () => {
      if (answered) return;
      a.stdout.write('\n');
      resolve(false);
    });
  }).finally(() => a.stdin.pause());
}
