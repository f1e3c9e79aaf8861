import { createInterface } from 'node:readline';

/** Reads a line from the terminal without echoing it. */
export function promptHidden(question: string): Promise<string> {
  const input = process.stdin;
  const output = process.stderr;
  return new Promise((resolve, reject) => {
    const rl = createInterface({ input, output, terminal: true });
    const rlOut = rl as unknown as { _writeToOutput: (s: string) => void };
    let asked = false;
    rlOut._writeToOutput = (s: string) => {
      // Print the question once, then nothing of what is typed.
      if (!asked) {
        asked = true;
        output.write(s);
      }
    };
    rl.question(question, (answer) => {
      output.write('\n');
      rl.close();
      resolve(answer);
    });
    rl.on('SIGINT', () => {
      rl.close();
      reject(new Error('cancelled'));
    });
  });
}

export function promptLine(question: string): Promise<string> {
  return new Promise((resolve) => {
    const rl = createInterface({ input: process.stdin, output: process.stderr, terminal: true });
    rl.question(question, (answer) => {
      rl.close();
      resolve(answer.trim());
    });
  });
}

export const interactive = () => Boolean(process.stdin.isTTY);
