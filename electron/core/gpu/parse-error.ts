// Errors and line handling shared by the discovery parsers (nvidia-smi outputs, mig.md §5; host
// facts). Pure: text in, typed data or an error out.

/** Longest part of an offending line quoted in an error message. */
const QUOTE_LIMIT = 80;

/** The offending line as the message quotes it: JSON-escaped, cut to 80 characters. */
export function quoteLine(text: string): string {
  const cut = text.length > QUOTE_LIMIT ? `${text.slice(0, QUOTE_LIMIT - 1)}…` : text;
  return JSON.stringify(cut);
}

/**
 * Output that does not fit the command's grammar: garbled, truncated, from another locale or
 * another command. The message names the command and the line (1-based, counted in the text as
 * received) and quotes that line, so the operator can find it in the raw capture. A parser that
 * throws returns nothing: no partial result is ever stored.
 */
export class ParseError extends Error {
  override readonly name: string = 'ParseError';
  readonly command: string;
  readonly lineNumber: number;
  readonly line: string;
  readonly reason: string;
  /** The host the output came from, once the caller knows it (see `onHost`). */
  readonly host: string | null;

  constructor(command: string, lineNumber: number, line: string, reason: string, host: string | null = null) {
    super(`${host === null ? '' : `${host}: `}${command}: line ${lineNumber} ${reason}: ${quoteLine(line)}`);
    this.command = command;
    this.lineNumber = lineNumber;
    this.line = line;
    this.reason = reason;
    this.host = host;
  }

  /** The same error, its message prefixed with the host it came from (issue 4: name the host). */
  onHost(host: string): ParseError {
    return new ParseError(this.command, this.lineNumber, this.line, this.reason, host);
  }
}

/**
 * nvidia-smi answered with a failure message instead of the listing (mig.md §5 conventions,
 * §10.2): `Failed to display compute instances: Insufficient Permissions`,
 * `No GPU instances found: Permission denied`, `NVIDIA-SMI has failed because ...`. `nvmlError` is
 * the text after the last `: ` (the NVML error string), or the whole line when there is none.
 */
export class NvidiaSmiFailure extends ParseError {
  override readonly name: string = 'NvidiaSmiFailure';
  readonly nvmlError: string;

  constructor(command: string, lineNumber: number, line: string, host: string | null = null) {
    super(command, lineNumber, line, 'reports a failure', host);
    const colon = line.lastIndexOf(': ');
    this.nvmlError = colon >= 0 ? line.slice(colon + 2) : line;
  }

  override onHost(host: string): NvidiaSmiFailure {
    return new NvidiaSmiFailure(this.command, this.lineNumber, this.line, host);
  }
}

/** One line of a capture: its 1-based number in the original text and its text. */
export interface Line {
  n: number;
  text: string;
}

/**
 * Splits a capture into lines, tolerating what transports add: CRLF (or a stray CR) and
 * trailing spaces or tabs (mig.md §5: real tables have none after the final `|`, so nothing of
 * value is lost). Blank lines before the first and after the last line of text are dropped; blank
 * lines in between are kept, for the grammar to judge.
 */
export function splitLines(text: string): Line[] {
  const all = text.split('\n').map((raw, i) => ({ n: i + 1, text: raw.replace(/[\r \t]+$/, '') }));
  let first = 0;
  let last = all.length - 1;
  while (first <= last && all[first]?.text === '') first++;
  while (last >= first && all[last]?.text === '') last--;
  return all.slice(first, last + 1);
}

/** The output had no text at all. */
export function emptyOutput(command: string): ParseError {
  return new ParseError(command, 1, '', 'is empty: the output has no text');
}

/**
 * Messages that mean "nothing to list" (mig.md §10.2: detect empty answers by message), and
 * messages that mean the command failed. Returns 'empty' when the whole output is one of the
 * given empty messages, throws NvidiaSmiFailure when it starts with a failure message, and
 * returns 'content' otherwise (the caller parses the listing).
 */
export function classifyMessage(
  command: string,
  lines: readonly Line[],
  emptyMessages: readonly string[],
): 'empty' | 'content' {
  const first = lines[0];
  if (!first) throw emptyOutput(command);
  if (lines.length === 1 && emptyMessages.includes(first.text)) return 'empty';
  if (isFailureLine(first.text)) throw new NvidiaSmiFailure(command, first.n, first.text);
  return 'content';
}

/** `Unable to ...`, `Failed to ...`, `NVIDIA-SMI has failed ...`, `No ... found: <not Not Found>`. */
function isFailureLine(text: string): boolean {
  if (/^(Unable to |Failed to |NVIDIA-SMI has failed)/.test(text)) return true;
  const m = /^No [A-Za-z -]+ found(?:\.|: (.+))$/.exec(text);
  return m !== null;
}
