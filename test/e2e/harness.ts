import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Page, TestInfo } from '@playwright/test';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const ENCLAVE = path.join(ROOT, 'out', 'node', 'enclave.mjs');
const URL_LINE = /http:\/\/127\.0\.0\.1:\d+\/#token=[A-Za-z0-9_-]+/;

export interface Harness {
  /** The URL `enclave serve` printed, token included. */
  url: string;
  dataDir: string;
  stop(): Promise<void>;
}

/**
 * Starts `enclave serve` on a free port with a fresh data directory, as an operator
 * would, and returns the URL it prints. Needs `npm run build` first.
 */
export async function startHarness(): Promise<Harness> {
  if (!existsSync(ENCLAVE)) throw new Error(`${ENCLAVE} is missing: run npm run build first`);
  const dataDir = mkdtempSync(path.join(tmpdir(), 'enclave-e2e-'));
  const child = spawn(process.execPath, [ENCLAVE, 'serve', '--port', '0', '--data-dir', dataDir], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, NO_COLOR: '1' },
  });
  const stop = async () => {
    await terminate(child);
    rmSync(dataDir, { recursive: true, force: true });
  };
  try {
    const url = await printedUrl(child);
    return { url, dataDir, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}

function printedUrl(child: ChildProcess): Promise<string> {
  return new Promise((resolve, reject) => {
    let output = '';
    const timer = setTimeout(() => fail(new Error('enclave serve printed no URL within 20 s')), 20_000);
    const fail = (error: Error) => {
      clearTimeout(timer);
      reject(new Error(`${error.message}\n--- enclave serve said ---\n${output}`));
    };
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      const match = URL_LINE.exec(output);
      if (match) {
        clearTimeout(timer);
        resolve(match[0]);
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    child.once('error', fail);
    child.once('exit', (code) => fail(new Error(`enclave serve exited with code ${code}`)));
  });
}

async function terminate(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
  await exited;
  clearTimeout(timer);
}

/** Screenshots go to the report and test-results/screenshots; with UPDATE_SCREENSHOTS=1 to the README's folder. */
export const SCREENSHOTS = path.resolve(
  path.dirname(fileURLToPath(import.meta.url)),
  '..',
  '..',
  ...(process.env.UPDATE_SCREENSHOTS ? ['docs', 'screenshots'] : ['test-results', 'screenshots']),
);

export async function snap(page: Page, testInfo: TestInfo, name: string): Promise<void> {
  // Notices from earlier steps would cover the page; hover and focus transitions settle.
  // (Behind an open modal dialog they are inert, and dimmed anyway.)
  if ((await page.locator('dialog[open]').count()) === 0) {
    const dismiss = page.getByRole('button', { name: 'Dismiss' });
    while ((await dismiss.count()) > 0) await dismiss.first().click();
  }
  await page.mouse.move(0, 0);
  await page.waitForTimeout(200);
  const body = await page.screenshot();
  mkdirSync(SCREENSHOTS, { recursive: true });
  writeFileSync(path.join(SCREENSHOTS, name), body);
  await testInfo.attach(name, { body, contentType: 'image/png' });
}

/** A page's main heading. */
export function heading(page: Page, name: string) {
  return page.getByRole('heading', { level: 1, name, exact: true });
}
