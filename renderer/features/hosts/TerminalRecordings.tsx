import { useEffect, useRef, useState } from 'react';
import type { RecordingRow } from '../../../shared/api';
import type { ConsoleError } from '../../../shared/errors';
import { toConsoleError, useProcedure } from '../../app/calls';
import { useClient } from '../../app/connection';
import { DataTable, type Column } from '../../ui/DataTable';
import { ErrorBanner } from '../../ui/ErrorBanner';
import { Icon } from '../../ui/Icon';
import { Timestamp } from '../../ui/Timestamp';
import { createXterm } from './TerminalXterm';

/** Pauses longer than this play back as this long (asciinema's idle_time_limit). */
const IDLE_LIMIT_S = 2;
const SPEEDS = [1, 2, 4, 16] as const;

interface Cast {
  width: number;
  height: number;
  events: [number, string, string][];
}

/** Parses asciicast v2 text; lines that do not parse are skipped (a crash-cut last line). */
export function parseCast(text: string): Cast {
  const [first = '{}', ...rest] = text.split('\n');
  const header = JSON.parse(first) as { width?: number; height?: number };
  const events: [number, string, string][] = [];
  for (const line of rest) {
    if (!line) continue;
    try {
      const e = JSON.parse(line) as unknown;
      if (
        Array.isArray(e) &&
        typeof e[0] === 'number' &&
        typeof e[1] === 'string' &&
        typeof e[2] === 'string'
      )
        events.push([e[0], e[1], e[2]]);
    } catch {
      // a partial line at the end of a recording cut short
    }
  }
  return { width: header.width ?? 80, height: header.height ?? 24, events };
}

const duration = (r: RecordingRow) =>
  r.ended ? `${Math.max(0, Math.round((Date.parse(r.ended) - Date.parse(r.started)) / 1000))} s` : 'open';

/** The host's terminal recordings, newest first, each playable in a read-only terminal. */
export function TerminalRecordings({ host, version }: { host: string; version: number }) {
  const list = useProcedure('terminals.recordings', { host, limit: 50 });
  const [playing, setPlaying] = useState<string | undefined>();
  const reload = useRef(list.reload);
  useEffect(() => {
    reload.current = list.reload;
  });
  useEffect(() => {
    if (version > 0) reload.current();
  }, [version]);

  const columns: Column<RecordingRow>[] = [
    { header: 'Started', cell: (r) => <Timestamp value={r.started} /> },
    { header: 'Operator', cell: (r) => r.operator },
    { header: 'Length', kind: 'numeric', cell: duration },
    { header: 'Output', kind: 'numeric', cell: (r) => `${r.chars.toLocaleString()} chars` },
    { header: 'Keystrokes', cell: (r) => (r.inputRecorded ? 'recorded' : 'not recorded') },
    {
      header: '',
      cell: (r) => (
        <button
          type="button"
          className="button"
          aria-label={`Play recording from ${r.started}`}
          onClick={() => setPlaying(r.id)}
        >
          <Icon name="play" size={14} />
          Play
        </button>
      ),
    },
  ];

  return (
    <section className="detail-block" aria-labelledby="recordings-heading">
      <h3 id="recordings-heading">Recordings</h3>
      {list.error && <ErrorBanner title="The recordings did not load" error={list.error} />}
      {list.data && list.data.length > 0 ? (
        <DataTable
          label={`Terminal recordings on ${host}`}
          columns={columns}
          rows={list.data}
          rowKey={(r) => r.id}
        />
      ) : (
        list.data && <p className="muted">No terminal sessions on this host yet.</p>
      )}
      {playing && <Player key={playing} id={playing} onClose={() => setPlaying(undefined)} />}
    </section>
  );
}

function Player({ id, onClose }: { id: string; onClose: () => void }) {
  const client = useClient();
  const box = useRef<HTMLDivElement>(null);
  const [cast, setCast] = useState<{ cast: Cast; truncated: boolean } | undefined>();
  const [error, setError] = useState<ConsoleError | undefined>();
  const [paused, setPaused] = useState(false);
  const [speed, setSpeed] = useState<number>(1);
  const [done, setDone] = useState(false);
  const control = useRef({ paused: false, speed: 1, wake: () => {} });

  useEffect(() => {
    let live = true;
    client.call('terminals.recording', { id }).then(
      (r) => live && setCast({ cast: parseCast(r.cast), truncated: r.truncated }),
      (e: unknown) => live && setError(toConsoleError(e)),
    );
    return () => {
      live = false;
    };
  }, [client, id]);

  useEffect(() => {
    control.current.paused = paused;
    control.current.speed = speed;
    control.current.wake();
  }, [paused, speed]);

  useEffect(() => {
    const element = box.current;
    if (!cast || !element) return;
    const term = createXterm({
      cols: cast.cast.width,
      rows: cast.cast.height,
      disableStdin: true,
      cursorBlink: false,
    });
    term.open(element);
    // xterm does not render while off screen; the player opens below the list.
    element.scrollIntoView?.({ block: 'nearest' });
    const ctl = control.current;
    let stopped = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const sleep = (ms: number) =>
      new Promise<void>((resolve) => {
        ctl.wake = () => {
          clearTimeout(timer);
          resolve();
        };
        timer = setTimeout(resolve, ms);
      });
    void (async () => {
      let clock = 0; // playback position, in recording seconds
      for (const [at, code, data] of cast.cast.events) {
        let gap = Math.min(at - clock, IDLE_LIMIT_S);
        while (!stopped && (ctl.paused || gap > 0)) {
          if (ctl.paused) {
            await sleep(60_000);
            continue;
          }
          const step = Math.min(gap, 0.25);
          const started = performance.now();
          await sleep((step * 1000) / ctl.speed);
          gap -= ((performance.now() - started) / 1000) * ctl.speed;
        }
        if (stopped) return;
        clock = at;
        if (code === 'o') term.write(data);
        else if (code === 'r') {
          const [cols, rows] = data.split('x').map(Number);
          if (cols && rows) term.resize(cols, rows);
        }
      }
      if (!stopped) setDone(true);
    })();
    return () => {
      stopped = true;
      clearTimeout(timer);
      ctl.wake();
      term.dispose();
    };
  }, [cast]);

  return (
    <div className="terminal-player" role="region" aria-label="Recording player">
      <div className="terminal-head">
        <code className="small truncate">{id}</code>
        <div className="terminal-player-controls">
          <button
            type="button"
            className="button"
            onClick={() => setPaused((p) => !p)}
            disabled={!cast || done}
          >
            {paused ? 'Play' : 'Pause'}
          </button>
          <label className="filter">
            <span className="visually-hidden">Speed</span>
            <select value={speed} onChange={(e) => setSpeed(Number(e.target.value))} aria-label="Speed">
              {SPEEDS.map((s) => (
                <option key={s} value={s}>
                  {s}×
                </option>
              ))}
            </select>
          </label>
          <button type="button" className="button" onClick={onClose}>
            <Icon name="close" size={14} />
            Close player
          </button>
        </div>
      </div>
      {error && <ErrorBanner title="The recording did not load" error={error} />}
      {cast?.truncated && (
        <p className="muted small">This recording is long: only its beginning is played here.</p>
      )}
      <p className="small muted" role="status">
        {!cast && !error ? 'Loading…' : done ? 'Finished.' : paused ? 'Paused.' : cast ? 'Playing…' : ''}
      </p>
      <div
        ref={box}
        className="terminal-screen terminal-screen-replay"
        aria-label="Recorded terminal"
        role="group"
      />
    </div>
  );
}
