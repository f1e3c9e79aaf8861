import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/** One measured figure, with the goal it is held to and the peer it is compared with. */
export interface Figure {
  name: string;
  value: number;
  unit: string;
  goal?: string;
  met?: boolean;
  peer?: { name: string; value: number; unit: string };
  note?: string;
}

/** Writes bench/results/NAME.json and NAME.md and prints the table. */
export function report(name: string, figures: Figure[]): void {
  // bench/run.mjs runs every benchmark from the repository root.
  const dir = path.resolve('bench', 'results');
  mkdirSync(dir, { recursive: true });
  const machine = `${os.cpus().length} × ${os.cpus()[0]?.model ?? 'cpu'}, ${Math.round(os.totalmem() / 2 ** 30)} GiB, Node ${process.versions.node}`;
  const when = new Date().toISOString();
  writeFileSync(
    path.join(dir, `${name}.json`),
    `${JSON.stringify({ name, when, machine, figures }, null, 2)}\n`,
  );
  const fmt = (v: number) => (Math.abs(v) >= 100 ? Math.round(v).toLocaleString('en') : v.toFixed(2));
  const rows = figures.map(
    (f) =>
      `| ${f.name} | ${fmt(f.value)} ${f.unit} | ${f.peer ? `${f.peer.name}: ${fmt(f.peer.value)} ${f.peer.unit}` : '—'} | ${f.goal ?? '—'} | ${f.met === undefined ? '—' : f.met ? 'met' : '**not met**'} |${f.note ? ` ${f.note}` : ''}`,
  );
  const table = [
    `# Benchmark: ${name}`,
    '',
    `${when} on ${machine}`,
    '',
    '| figure | console | peer, same run | goal | | notes |',
    '|---|---|---|---|---|---|',
    ...rows.map((r) => (r.endsWith('|') ? `${r} |` : r)),
    '',
  ].join('\n');
  writeFileSync(path.join(dir, `${name}.md`), table);
  console.log(table);
}
