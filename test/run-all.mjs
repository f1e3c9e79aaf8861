// `npm test`: every check the project has, in one run, with one summary.
//   build → typecheck → lint → format → unit + integration (Vitest) → end to end (Playwright)
// Every stage runs even when an earlier one failed (except the build), so one
// run shows everything that is wrong. Skipped tests are listed with their reason.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';

const root = path.resolve(import.meta.dirname, '..');
const bin = (name) => path.join(root, 'node_modules', '.bin', name);
const results = [];
const skipped = [];
let passed = 0;
let failed = 0;

function stage(name, command, args, { counts } = {}) {
  process.stdout.write(`\n=== ${name}: ${[path.basename(command), ...args].join(' ')}\n`);
  const started = Date.now();
  const run = spawnSync(command, args, {
    cwd: root,
    stdio: 'inherit',
    env: { ...process.env, FORCE_COLOR: '0' },
  });
  const ok = run.status === 0;
  const seconds = ((Date.now() - started) / 1000).toFixed(1);
  const detail = counts ? counts() : undefined;
  results.push({ name, ok, seconds, detail });
  if (!detail) {
    if (ok) passed++;
    else failed++;
  }
  return ok;
}

function vitestCounts() {
  const file = path.join(root, 'test-results', 'vitest.json');
  if (!existsSync(file)) return 'no report';
  const r = JSON.parse(readFileSync(file, 'utf8'));
  passed += r.numPassedTests;
  failed += r.numFailedTests;
  for (const suite of r.testResults ?? []) {
    for (const t of suite.assertionResults ?? []) {
      if (t.status === 'skipped' || t.status === 'pending' || t.status === 'todo') {
        skipped.push(`${path.relative(root, suite.name)}: ${t.fullName}`);
      }
    }
  }
  return `${r.numPassedTests} passed, ${r.numFailedTests} failed, ${r.numPendingTests + r.numTodoTests} skipped`;
}

function playwrightCounts() {
  const file = path.join(root, 'test-results', 'e2e.json');
  if (!existsSync(file)) return 'no report';
  const r = JSON.parse(readFileSync(file, 'utf8'));
  let p = 0;
  let f = 0;
  let s = 0;
  const visit = (suite) => {
    for (const spec of suite.specs ?? []) {
      for (const t of spec.tests ?? []) {
        const last = t.results?.at(-1);
        if (t.status === 'skipped' || last?.status === 'skipped') {
          s++;
          const reason = t.annotations?.find((a) => a.type === 'skip')?.description ?? 'no reason given';
          skipped.push(`${spec.file} › ${spec.title} [${t.projectName}]: ${reason}`);
        } else if (t.status === 'expected' || t.status === 'flaky') p++;
        else f++;
      }
    }
    for (const child of suite.suites ?? []) visit(child);
  };
  for (const suite of r.suites ?? []) visit(suite);
  passed += p;
  failed += f;
  return `${p} passed, ${f} failed, ${s} skipped`;
}

rmSync(path.join(root, 'test-results'), { recursive: true, force: true });
if (!stage('build', process.execPath, ['build/build.mjs'])) {
  process.stdout.write('\nThe build failed; nothing else can run.\n0 passed, 1 failed\n');
  process.exit(1);
}
stage('typecheck', bin('tsc'), ['--noEmit', '-p', 'tsconfig.json']);
stage('lint', bin('eslint'), ['--max-warnings', '0', '.']);
stage('format', bin('prettier'), ['--check', '--log-level', 'warn', '.']);
stage('unit and integration', bin('vitest'), ['run'], { counts: vitestCounts });
if (!existsSync('/usr/bin/chromium')) {
  process.stdout.write(
    '\n=== end to end: /usr/bin/chromium is missing; install it with `apt-get install chromium` (.ci/run does).\n',
  );
  results.push({ name: 'end to end', ok: false, seconds: '0.0', detail: 'Chromium missing' });
  failed++;
} else {
  stage('end to end', bin('playwright'), ['test'], { counts: playwrightCounts });
}

process.stdout.write('\n=== Summary\n');
for (const r of results) {
  process.stdout.write(
    `${r.ok ? 'ok  ' : 'FAIL'}  ${r.name.padEnd(22)} ${r.seconds.padStart(6)} s${r.detail ? `  ${r.detail}` : ''}\n`,
  );
}
if (skipped.length) {
  process.stdout.write('\nSkipped here, and why:\n');
  for (const s of skipped) process.stdout.write(`  - ${s}\n`);
}
const allOk = results.every((r) => r.ok);
process.stdout.write(
  `\n${passed} passed, ${failed} failed${skipped.length ? `, ${skipped.length} skipped` : ''}\n`,
);
process.exit(allOk ? 0 : 1);
