// What the end-to-end specs that need a lab host share: a one-host lab (real sshd and the
// nvidia-smi simulator) brought up and down through the lab's own CLI, the first-run setup of the
// console, and the main navigation.
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect, type Page } from '@playwright/test';
import { parse } from 'yaml';
import { heading } from './harness';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const LAB = path.join(ROOT, 'out', 'lab', 'lab.mjs');
export const ADMIN = {
  name: 'admin',
  displayName: 'Ada Lovelace',
  passphrase: 'correct horse battery staple',
};
export const SSHD = '/usr/sbin/sshd';

/** A host as the lab's inventory.yaml lists it. */
export interface LabHost {
  name: string;
  address: string;
  port: number;
  user: string;
  keyFile: string;
  hostname: string;
  fingerprint: string;
  labels: Record<string, string>;
}

export interface OneHostLab {
  parent: string;
  state: string;
  host: LabHost;
}

/** The built lab CLI (out/lab/lab.mjs), as an operator runs it; its output, or a thrown error. */
export function lab(args: string[]): string {
  const run = spawnSync(process.execPath, [LAB, ...args], { cwd: ROOT, encoding: 'utf8', timeout: 60_000 });
  if (run.status !== 0) {
    throw new Error(`lab ${args.join(' ')} failed (${run.status}):\n${run.stdout}\n${run.stderr}`);
  }
  return run.stdout;
}

/** `lab up --hosts 1` in a fresh folder named after `prefix`; its one host as the inventory lists it. */
export function upOneHostLab(prefix: string): OneHostLab {
  // The lab's login user must traverse the parent to reach its state directory.
  const parent = mkdtempSync(path.join(tmpdir(), prefix));
  chmodSync(parent, 0o711);
  const state = path.join(parent, 'lab');
  lab(['up', '--hosts', '1', '--state', state, '--json']);
  const inventory = parse(readFileSync(path.join(state, 'inventory.yaml'), 'utf8')) as { hosts: LabHost[] };
  const host = inventory.hosts[0];
  if (!host) throw new Error('the lab inventory lists no hosts');
  return { parent, state, host };
}

export function downOneHostLab(up: Pick<OneHostLab, 'parent' | 'state'> | undefined): void {
  if (!up) return;
  if (existsSync(path.join(up.state, 'lab.json'))) lab(['down', '--state', up.state, '--json']);
  rmSync(up.parent, { recursive: true, force: true });
}

export function nav(page: Page, link: string) {
  return page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: link, exact: true });
}

/** The first-run screen: create the administrator and land on the Overview. */
export async function firstRun(page: Page, url: string): Promise<void> {
  await page.goto(url);
  await expect(heading(page, 'Set up this workstation')).toBeVisible();
  await page.getByLabel('Operator name').fill(ADMIN.name);
  await page.getByLabel('Display name').fill(ADMIN.displayName);
  await page.getByLabel('Passphrase', { exact: true }).fill(ADMIN.passphrase);
  await page.getByLabel('Confirm passphrase').fill(ADMIN.passphrase);
  await page.getByRole('button', { name: 'Create administrator and sign in' }).click();
  await expect(heading(page, 'Overview')).toBeVisible();
}
