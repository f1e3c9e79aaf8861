import { createHash } from 'node:crypto';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TerminalEvent } from '../../shared/api';
import type { ConsoleClient, OutputOf } from '../../shared/client';
import { recordingFile } from '../../electron/core/hosts/recording';
import { labDown, labUp, type LabHost, type LabState } from '../lab/site';
import { openTestCore, type TestCore } from '../support/core';

/**
 * Interactive terminals over SSH against a 1-host lab: PTY shell, resize, flow
 * control under a flood, exit, and the asciicast recording with its ledger digest.
 */
const sshd = existsSync('/usr/sbin/sshd');
if (!sshd)
  console.log(
    'terminals: skipped here: /usr/sbin/sshd is missing (apt-get install openssh-server; .ci/run does)',
  );

let lab: LabState;
let work: string;
let t: TestCore;
let admin: ConsoleClient;
let host: LabHost;

/** One open terminal as a test drives it: output so far, manual or automatic acks. */
class Term {
  id = '';
  text = '';
  received = 0;
  acked = 0;
  maxUnacked = 0;
  exit: number | null | undefined;
  readonly done: Promise<OutputOf<'terminals.open'>>;
  private readonly opened: Promise<void>;
  private readonly controller = new AbortController();
  /** Acks every batch at once unless set; the flood test acks by hand. */
  autoAck = true;
  private waiters: (() => void)[] = [];

  constructor(
    private readonly client: ConsoleClient,
    name: string,
    size = { cols: 80, rows: 24 },
  ) {
    let ready!: () => void;
    this.opened = new Promise((resolve) => (ready = resolve));
    this.done = client.call(
      'terminals.open',
      { host: name, ...size },
      {
        signal: this.controller.signal,
        onEvent: (e: TerminalEvent) => {
          if (e.type === 'opened') {
            this.id = e.terminal;
            ready();
          } else if (e.type === 'data') {
            this.received += e.data.length;
            this.maxUnacked = Math.max(this.maxUnacked, this.received - this.acked);
            if (this.text.length < 1_000_000) this.text += e.data;
            else this.text = this.text.slice(-200_000) + e.data;
            if (this.autoAck) void this.ack(e.data.length);
          } else {
            this.exit = e.code;
          }
          for (const w of this.waiters.splice(0)) w();
        },
      },
    );
    this.done.catch(() => undefined);
  }

  async ready(): Promise<this> {
    await Promise.race([this.opened, this.done]);
    return this;
  }

  ack(chars: number) {
    this.acked += chars;
    return this.client.call('terminals.ack', { terminal: this.id, chars }).catch(() => undefined);
  }

  send(data: string) {
    return this.client.call('terminals.input', { terminal: this.id, data });
  }

  /** Resolves once the output matches `pattern` (searching what arrived since `from`). */
  async waitFor(pattern: RegExp, timeoutMs = 15_000, from = 0): Promise<RegExpMatchArray> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const m = this.text.slice(from).match(pattern);
      if (m) return m;
      if (Date.now() > deadline)
        throw new Error(`no ${pattern} in terminal output:\n${this.text.slice(-2000)}`);
      await new Promise<void>((resolve) => {
        this.waiters.push(resolve);
        setTimeout(resolve, 200);
      });
    }
  }

  close() {
    this.controller.abort();
  }
}

const castLines = (gz: Buffer) =>
  gunzipSync(gz)
    .toString('utf8')
    .trimEnd()
    .split('\n')
    .map((l) => JSON.parse(l) as unknown);

// sshd started by a user other than root cannot allocate pseudo-terminals for its sessions
// ("Unable to request a pseudo-terminal"), so terminals need the root (network-namespace) lab.
const why = !sshd
  ? 'no sshd'
  : process.getuid?.() !== 0
    ? 'not root: the lab sshd cannot allocate pseudo-terminals'
    : '';
if (why) console.log(`terminals: skipped here: ${why}`);

describe.skipIf(why !== '')(`terminals over SSH${why ? ` (skipped: ${why})` : ''}`, () => {
  beforeAll(async () => {
    work = mkdtempSync(path.join(tmpdir(), 'enclave-terminals-'));
    chmodSync(work, 0o711);
    lab = await labUp({ hosts: 1, stateDir: path.join(work, 'lab') });
    console.log(`terminals: lab in ${lab.mode} mode (${lab.modeReason})`);
    host = lab.hosts[0] as LabHost;
    t = await openTestCore();
    admin = await t.connectAs(['admin']);
    await admin.call('hosts.add', {
      name: host.name,
      address: host.address,
      port: host.port,
      user: host.user,
      privateKey: readFileSync(lab.operatorKey, 'utf8'),
      fingerprint: host.fingerprint,
      labels: host.labels,
    });
  }, 60_000);
  afterAll(async () => {
    t?.close();
    if (lab) await labDown(lab.stateDir);
    rmSync(work, { recursive: true, force: true });
  }, 60_000);

  it('runs a shell: input, resize, exit; the recording is asciicast v2 and the ledger holds its digest', async () => {
    const term = await new Term(admin, host.name, { cols: 100, rows: 30 }).ready();
    expect(term.id).toMatch(/^t-[0-9a-f]{32}$/);
    await term.send('echo hello-$((6*7))\n');
    await term.waitFor(/^hello-42\r?$/m);
    await term.send('stty size\n');
    await term.waitFor(/^30 100\r?$/m);
    await admin.call('terminals.resize', { terminal: term.id, cols: 132, rows: 43 });
    const mark = term.text.length;
    await term.send('stty size\n');
    await term.waitFor(/^43 132\r?$/m, 15_000, mark);

    // Only the connection that opened a terminal may type into it.
    const other = await t.connectAs(['operator']);
    await expect(other.call('terminals.input', { terminal: term.id, data: 'id\n' })).rejects.toMatchObject({
      code: 'NOT_FOUND',
    });

    await term.send('exit 3\n');
    const result = await term.done;
    expect(term.exit).toBe(3);
    expect(result.exitCode).toBe(3);
    expect(result.terminal).toBe(term.id);

    const file = recordingFile(t.core.dataDir, term.id);
    const gz = readFileSync(file);
    expect(result.recording.sha256).toBe(createHash('sha256').update(gz).digest('hex'));
    expect(result.recording.bytes).toBe(gz.length);
    const [header, ...events] = castLines(gz) as [Record<string, unknown>, ...[number, string, string][]];
    expect(header).toMatchObject({ version: 2, width: 100, height: 30, env: { TERM: 'xterm-256color' } });
    expect(typeof header.timestamp).toBe('number');
    for (const e of events) {
      expect(typeof e[0]).toBe('number');
      expect(['o', 'r']).toContain(e[1]); // no "i": input is off by default
    }
    const out = events.filter((e) => e[1] === 'o').map((e) => e[2]);
    expect(out.join('')).toMatch(/^hello-42\r?$/m);
    expect(out.join('').length).toBe(result.recording.chars);
    expect(events).toContainEqual([expect.any(Number), 'r', '132x43']);
    const times = events.map((e) => e[0]);
    expect([...times].sort((a, b) => a - b)).toEqual(times);

    const [entry] = t.core.ledger.list({ procedure: 'terminals.open', limit: 1 }).entries;
    expect(entry).toMatchObject({
      outcome: 'ok',
      target: `host ${host.name}`,
      input: { host: host.name, cols: 100, rows: 30 },
      result: {
        recording: term.id,
        sha256: result.recording.sha256,
        chars: result.recording.chars,
        exitCode: 3,
      },
    });
    // Keystrokes are never in the ledger.
    expect(JSON.stringify(t.core.ledger.list({ limit: 50 }).entries)).not.toContain('hello-$((6*7))');

    const list = await admin.call('terminals.recordings', { host: host.name });
    expect(list[0]).toMatchObject({ id: term.id, sha256: result.recording.sha256, inputRecorded: false });
    expect(list[0]?.ended).not.toBeNull();
    const played = await admin.call('terminals.recording', { id: term.id });
    expect(played.truncated).toBe(false);
    expect(played.cast).toBe(gunzipSync(gz).toString('utf8'));
  }, 60_000);

  it('records keystrokes only when the site policy says so', async () => {
    const operator = await t.connectAs(['operator']);
    await expect(operator.call('terminals.setPolicy', { recordInput: true })).rejects.toMatchObject({
      code: 'FORBIDDEN',
    });
    expect(await admin.call('terminals.setPolicy', { recordInput: true })).toEqual({
      recordInput: true,
      previous: false,
    });
    try {
      const term = await new Term(operator, host.name).ready();
      await term.send('echo typed-$((2+3))\n');
      await term.waitFor(/^typed-5\r?$/m);
      await term.send('exit\n');
      const result = await term.done;
      expect(result.exitCode).toBe(0);
      const events = castLines(readFileSync(recordingFile(t.core.dataDir, term.id))).slice(1) as [
        number,
        string,
        string,
      ][];
      expect(events.filter((e) => e[1] === 'i').map((e) => e[2])).toEqual([
        'echo typed-$((2+3))\n',
        'exit\n',
      ]);
      expect((await admin.call('terminals.recordings', {}))[0]).toMatchObject({
        id: term.id,
        inputRecorded: true,
      });
    } finally {
      await admin.call('terminals.setPolicy', { recordInput: false });
    }
  }, 60_000);

  it('keeps a flood bounded while the renderer acks slowly, and completes once acked', async () => {
    const term = await new Term(admin, host.name).ready();
    term.autoAck = false;
    const rssBefore = process.memoryUsage().rss;
    let rssPeak = rssBefore;
    // A slow renderer: every 20 ms it "writes" what arrived and acknowledges it.
    let stop = false;
    const acker = (async () => {
      while (!stop) {
        await new Promise((r) => setTimeout(r, 20));
        const owed = term.received - term.acked;
        if (owed > 0) await term.ack(owed);
        rssPeak = Math.max(rssPeak, process.memoryUsage().rss);
      }
    })();
    try {
      await term.send('head -c 20000000 /dev/urandom | base64 -w 76; echo flood-$((1+1))-done\n');
      await term.waitFor(/^flood-2-done\r?$/m, 120_000);
    } finally {
      stop = true;
      await acker;
    }
    console.log(
      `terminals: flood ${term.received} chars, at most ${term.maxUnacked} unacknowledged, RSS +${Math.round((rssPeak - rssBefore) / 2 ** 20)} MiB`,
    );
    // 20 MB of base64 is ~27 M characters; never more than ~100k (+ one batch) were in flight.
    expect(term.received).toBeGreaterThan(26_000_000);
    expect(term.maxUnacked).toBeLessThan(200_000);
    expect(rssPeak - rssBefore).toBeLessThan(400 * 1024 * 1024);
    await term.ack(term.received - term.acked);
    await term.send('exit\n');
    const result = await term.done;
    expect(result.exitCode).toBe(0);
    expect(result.recording.chars).toBe(term.received);
  }, 180_000);

  it('closing (cancelling) a terminal ends the call; the ledger still gets the recording digest', async () => {
    const term = await new Term(admin, host.name).ready();
    await term.send('echo before-close\n');
    await term.waitFor(/^before-close\r?$/m);
    term.close();
    const result = await term.done;
    expect(result.exitCode).toBeNull();
    const gz = readFileSync(recordingFile(t.core.dataDir, term.id));
    expect(result.recording.sha256).toBe(createHash('sha256').update(gz).digest('hex'));
    const [entry] = t.core.ledger.list({ procedure: 'terminals.open', limit: 1 }).entries;
    expect(entry).toMatchObject({
      outcome: 'ok',
      result: { recording: term.id, sha256: result.recording.sha256 },
    });
    const { cast } = await admin.call('terminals.recording', { id: term.id });
    expect(cast).toContain('before-close');
  }, 60_000);
});
