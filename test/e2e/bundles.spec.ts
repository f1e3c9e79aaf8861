/**
 * Bundles end to end: a files bundle made with the stock CLI (enclave bundle keygen, build, sign)
 * in a folder standing in for a medium -> first run -> Bundles: the administrator trusts the
 * signer's key (pasted) -> scan the folder -> Verify: the progress bar (bytes, rate), the manifest,
 * the signer against the threshold -> what installing will do (the plan) -> Import and install:
 * copied with re-verification, per-target progress, installed and listed -> a tampered copy is
 * refused with its reason. Keyboard only where it matters (the scan form is submitted with Enter).
 * Screenshots go to test-results/screenshots/ (docs/screenshots/ with UPDATE_SCREENSHOTS=1).
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect, test } from '@playwright/test';
import { heading, snap, startHarness, type Harness } from './harness';
import { firstRun, nav } from './lab';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const ENCLAVE = path.join(ROOT, 'out', 'node', 'enclave.mjs');
const enclave = (...args: string[]) =>
  execFileSync(process.execPath, [ENCLAVE, ...args], { encoding: 'utf8' });

let harness: Harness | undefined;
let work: string | undefined;
let medium: string;
let bundle: string;
let publicKey: string;

test.use({ actionTimeout: 20_000 });

test.beforeAll(async () => {
  work = mkdtempSync(path.join(tmpdir(), 'enclave-e2e-bundles-'));
  medium = path.join(work, 'medium');
  const source = path.join(work, 'src');
  mkdirSync(path.join(source, 'docs'), { recursive: true });
  mkdirSync(medium);
  writeFileSync(path.join(source, 'docs', 'runbook.md'), '# Site runbook\n\nHow to recover a GPU host.\n');
  writeFileSync(path.join(source, 'docs', 'contacts.txt'), 'security officer: ext. 4411\n');
  enclave('bundle', 'keygen', '--out', path.join(work, 'keys'), '--name', 'release-officer');
  publicKey = readFileSync(path.join(work, 'keys', 'release-officer.pub'), 'utf8').trim();
  bundle = path.join(medium, 'site-runbook-1.0.0.tar');
  enclave(
    'bundle',
    'build',
    source,
    '--name',
    'site-runbook',
    '--kind',
    'files',
    '--version',
    '1.0.0',
    '--out',
    bundle,
  );
  enclave(
    'bundle',
    'sign',
    bundle,
    '--key',
    path.join(work, 'keys', 'release-officer'),
    '--signer',
    'release-officer',
  );
  // A copy with one payload byte changed, on the same medium.
  const bytes = readFileSync(bundle);
  const at = bytes.indexOf(Buffer.from('How to recover'));
  bytes[at] = 'h'.charCodeAt(0);
  writeFileSync(path.join(medium, 'site-runbook-tampered.tar'), bytes);
  harness = await startHarness();
});

test.afterAll(async () => {
  await harness?.stop();
  if (work) rmSync(work, { recursive: true, force: true });
});

test('scan, verify with progress, plan, import and install a files bundle', async ({ page }, testInfo) => {
  await firstRun(page, (harness as Harness).url);
  await nav(page, 'Bundles').click();
  await expect(heading(page, 'Bundles')).toBeVisible();

  // Trust the signer (administrators only).
  const trust = page.getByRole('region', { name: 'Trust store' });
  await expect(trust.getByText('No trusted signers')).toBeVisible();
  const addSigner = trust.getByRole('form', { name: 'Add a trusted signer' });
  await addSigner.getByLabel('Signer name').fill('release-officer');
  await addSigner.getByLabel('Public key').fill(publicKey);
  await addSigner.getByRole('button', { name: 'Add signer' }).click();
  await expect(
    trust.getByRole('table', { name: 'Trusted signers' }).getByText('release-officer'),
  ).toBeVisible();

  // Scan the folder (submitted from the keyboard).
  const folder = page.getByRole('form', { name: 'Scan for bundles' }).getByLabel('Folder');
  await folder.fill(medium);
  await folder.press('Enter');
  const found = page.getByRole('table', { name: 'Bundles found' });
  await expect(found.getByText(bundle)).toBeVisible();

  // A tampered copy is refused with the reason.
  await page
    .getByRole('button', { name: `Verify ${path.join(medium, 'site-runbook-tampered.tar')}` })
    .click();
  await expect(page.getByText('Refused (wrong-hash)')).toBeVisible();

  // The genuine one verifies, with the progress bar and the manifest.
  await page.getByRole('button', { name: `Verify ${bundle}` }).click();
  const work = page.getByRole('region', { name: 'Bundle site-runbook-1.0.0.tar' });
  await expect(
    work.getByText(/^Verified: site-runbook 1\.0\.0, signed by 1 trusted signer \(1 needed\)/),
  ).toBeVisible();
  await expect(
    work.getByRole('table', { name: 'Files in the bundle' }).getByText('docs/runbook.md'),
  ).toBeVisible();
  await expect(work.getByRole('list', { name: 'Signers' }).getByText('release-officer')).toBeVisible();
  await snap(page, testInfo, 'bundles-verified.png');

  // What installing will do.
  await work.getByRole('button', { name: 'Show what installing will do' }).click();
  const plan = work.getByRole('region', { name: 'What installing will do' });
  await expect(plan.getByRole('cell', { name: /^keep 2 files \(.*\) in the staging area$/ })).toBeVisible();
  await snap(page, testInfo, 'bundles-plan.png');

  // Import (copied and verified again) and install.
  await work.getByRole('button', { name: 'Import and install site-runbook 1.0.0' }).click();
  const result = work.getByRole('region', { name: 'Install result' });
  await expect(result.getByText('site-runbook 1.0.0 installed and recorded')).toBeVisible();
  await expect(
    work.getByText(/^Staged in .*site-runbook-1\.0\.0 \(verified again while copying\)\.$/),
  ).toBeVisible();
  await expect(work.getByRole('progressbar', { name: 'Import progress' })).toHaveCount(0);
  const installed = page.getByRole('table', { name: 'Installed bundles' });
  await expect(installed.getByText('site-runbook')).toBeVisible();
  await expect(installed.getByText('workstation')).toBeVisible();
  await snap(page, testInfo, 'bundles-installed.png');

  // Verifying it again is refused: the same version is installed (rollback protection).
  await page
    .getByRole('button', { name: `Verify ${path.join(medium, 'site-runbook-tampered.tar')}` })
    .click();
  await page.getByRole('button', { name: `Verify ${bundle}` }).click();
  await expect(page.getByText('Refused (not-newer)')).toBeVisible();
});
