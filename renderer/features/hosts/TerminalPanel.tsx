import { FitAddon } from '@xterm/addon-fit';
import { useEffect, useRef, useState } from 'react';
import type { ConsoleError } from '../../../shared/errors';
import { MAX_TERMINAL_INPUT } from '../../../shared/api';
import { toConsoleError } from '../../app/calls';
import { useClient } from '../../app/connection';
import { copyText } from '../../ui/clipboard';
import { ErrorBanner } from '../../ui/ErrorBanner';
import { Icon } from '../../ui/Icon';
import { clipboardKeys, createXterm } from './TerminalXterm';

type Status =
  | { kind: 'connecting' }
  | { kind: 'open'; terminal: string; recordsInput: boolean }
  | { kind: 'ended'; code: number | null }
  | { kind: 'failed'; error: ConsoleError };

/**
 * The host's interactive terminal (terminals.open): xterm.js sized to its box, output
 * acknowledged once xterm has written it (the core pauses the host above ~100k
 * unacknowledged characters), keystrokes sent as they come. Closing cancels the call.
 */
export function TerminalPanel({ host, onEnded }: { host: string; onEnded: () => void }) {
  const [session, setSession] = useState(0);
  const [status, setStatus] = useState<Status | undefined>();
  const open = status !== undefined;
  return (
    <section className="detail-block terminal-block" aria-labelledby="terminal-heading">
      <div className="terminal-head">
        <h3 id="terminal-heading">Terminal</h3>
        {open ? (
          <button type="button" className="button" onClick={() => setStatus(undefined)}>
            <Icon name="close" size={14} />
            Close terminal
          </button>
        ) : (
          <button
            type="button"
            className="button"
            onClick={() => {
              setSession((n) => n + 1);
              setStatus({ kind: 'connecting' });
            }}
          >
            <Icon name="play" size={14} />
            Open terminal
          </button>
        )}
      </div>
      <p className="field-hint">
        A shell over SSH as the host&apos;s user. Every session is recorded (output; keystrokes only where the
        site policy says so) and its digest is kept in the audit ledger. Ctrl+Shift+C copies, Ctrl+Shift+V
        pastes.
      </p>
      {status && (
        <>
          <p className="terminal-status small muted" role="status">
            {status.kind === 'connecting' && 'Connecting…'}
            {status.kind === 'open' &&
              `Connected · recording ${status.terminal}${status.recordsInput ? ' · keystrokes recorded' : ''}`}
            {status.kind === 'ended' &&
              (status.code === null ? 'The connection ended.' : `The shell exited with code ${status.code}.`)}
          </p>
          {status.kind === 'failed' && <ErrorBanner title="The terminal did not open" error={status.error} />}
          <LiveTerminal key={session} host={host} onStatus={setStatus} onSettled={onEnded} />
        </>
      )}
    </section>
  );
}

function LiveTerminal({
  host,
  onStatus,
  onSettled,
}: {
  host: string;
  onStatus: (status: Status) => void;
  /** The call ended, closed or not: its recording is complete now. */
  onSettled: () => void;
}) {
  const client = useClient();
  const box = useRef<HTMLDivElement>(null);
  const report = useRef(onStatus);
  const settled = useRef(onSettled);
  useEffect(() => {
    report.current = onStatus;
    settled.current = onSettled;
  });

  useEffect(() => {
    const element = box.current;
    if (!element) return;
    const term = createXterm({ cursorBlink: true });
    const fit = new FitAddon();
    term.loadAddon(fit);
    term.open(element);
    fit.fit();
    clipboardKeys(term, (text) => void copyText(text));
    const controller = new AbortController();
    let terminal: string | undefined;
    let owed = 0;
    const flushAck = () => {
      if (!terminal || owed === 0) return;
      void client.call('terminals.ack', { terminal, chars: owed }).catch(() => undefined);
      owed = 0;
    };
    // One ack per few thousand characters written (and at least every 100 ms) keeps calls few.
    const ack = (chars: number) => {
      owed += chars;
      if (owed >= 4096) flushAck();
    };
    const ackTimer = setInterval(flushAck, 100);
    const input = term.onData((data) => {
      if (!terminal) return;
      for (let i = 0; i < data.length; i += MAX_TERMINAL_INPUT) {
        void client
          .call('terminals.input', { terminal, data: data.slice(i, i + MAX_TERMINAL_INPUT) })
          .catch(() => undefined);
      }
    });
    // Dragging a window edge resizes many times a second: the host hears the size it settles on.
    let resizeTimer: ReturnType<typeof setTimeout> | undefined;
    const resized = term.onResize(({ cols, rows }) => {
      clearTimeout(resizeTimer);
      resizeTimer = setTimeout(() => {
        if (terminal) void client.call('terminals.resize', { terminal, cols, rows }).catch(() => undefined);
      }, 150);
    });
    const observer = new ResizeObserver(() => {
      if (element.clientWidth > 0) fit.fit();
    });
    observer.observe(element);

    client
      .call(
        'terminals.open',
        { host, cols: term.cols, rows: term.rows },
        {
          signal: controller.signal,
          onEvent: (event) => {
            if (event.type === 'opened') {
              terminal = event.terminal;
              report.current({ kind: 'open', terminal, recordsInput: event.recordsInput });
              term.focus();
            } else if (event.type === 'data') {
              const size = event.data.length;
              term.write(event.data, () => ack(size));
            }
          },
        },
      )
      .then(
        (result) => {
          settled.current();
          if (controller.signal.aborted) return;
          terminal = undefined;
          term.options.cursorBlink = false;
          report.current({ kind: 'ended', code: result.exitCode });
        },
        (error: unknown) => {
          settled.current();
          if (!controller.signal.aborted) report.current({ kind: 'failed', error: toConsoleError(error) });
        },
      );

    return () => {
      controller.abort();
      clearInterval(ackTimer);
      clearTimeout(resizeTimer);
      observer.disconnect();
      input.dispose();
      resized.dispose();
      term.dispose();
    };
  }, [client, host]);

  return <div ref={box} className="terminal-screen" role="group" aria-label={`Terminal on ${host}`} />;
}
