/**
 * The console in the browser harness, end to end, the way an operator meets it:
 * first run -> sign out -> a refused sign-in -> sign in -> every page -> the command
 * palette and key bindings -> the audit ledger showing the sign-in, its inclusion
 * proof, the filters, verification and the export wizard. Screenshots of
 * each page go to the report and test-results/screenshots/; with
 * UPDATE_SCREENSHOTS=1 they replace the README's in docs/screenshots/.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { expect, test, type Page } from '@playwright/test';
import { heading, snap, startHarness, type Harness } from './harness';

const ADMIN = { name: 'admin', displayName: 'Ada Lovelace', passphrase: 'correct horse battery staple' };
const VIEWER = { name: 'vic.viewer', displayName: 'Vic Viewer', passphrase: 'seven lanterns over harbour' };

let harness: Harness;
/** Stands in for a mounted USB drive in the export step. */
let exportDir: string;

test.beforeAll(async () => {
  harness = await startHarness();
  exportDir = mkdtempSync(path.join(tmpdir(), 'enclave-e2e-media-'));
});

test.afterAll(async () => {
  await harness?.stop();
  if (exportDir) rmSync(exportDir, { recursive: true, force: true });
});

async function signIn(page: Page, operator: string, passphrase: string): Promise<void> {
  await page.getByLabel('Operator name').fill(operator);
  await page.getByLabel('Passphrase', { exact: true }).fill(passphrase);
  await page.getByRole('button', { name: 'Sign in', exact: true }).click();
}

async function signOut(page: Page): Promise<void> {
  await page.getByRole('button', { name: 'Sign out' }).click();
  await expect(heading(page, 'Sign in')).toBeVisible();
}

test('an operator sets up the workstation, signs in, works through every page and finds the sign-in in the audit ledger', async ({
  page,
}, testInfo) => {
  test.setTimeout(120_000);
  // The CSP forbids inline styles and scripts; any widget that tried would show up here.
  const refusals: string[] = [];
  page.on('console', (message) => {
    if (/Refused to|Content Security Policy.*violat/i.test(message.text())) refusals.push(message.text());
  });

  await test.step('first run: create the first administrator', async () => {
    await page.goto(harness.url);
    await expect(heading(page, 'Set up this workstation')).toBeVisible();
    expect(page.url(), 'the token is removed from the address bar').not.toContain('token=');

    await page.getByLabel('Passphrase', { exact: true }).fill('too short');
    await page.getByLabel('Operator name').focus();
    await expect(page.getByText('Use at least 12 characters')).toBeVisible();
    await page.getByLabel('Operator name').fill('Admin!');
    await page.getByLabel('Display name').focus();
    await expect(page.getByText(/use lower-case letters/i)).toBeVisible();
    await snap(page, testInfo, 'first-run.png');

    await page.getByLabel('Operator name').fill(ADMIN.name);
    await page.getByLabel('Display name').fill(ADMIN.displayName);
    await page.getByLabel('Passphrase', { exact: true }).fill(ADMIN.passphrase);
    await page.getByLabel('Confirm passphrase').fill(ADMIN.passphrase);
    await page.getByRole('button', { name: 'Create administrator and sign in' }).click();
    await expect(heading(page, 'Overview')).toBeVisible();
  });

  await test.step('sign out, then a wrong passphrase is refused', async () => {
    await signOut(page);
    await signIn(page, ADMIN.name, 'not the right passphrase');
    const refusal = page.getByRole('alert').filter({ hasText: 'Sign-in refused' });
    await expect(refusal).toBeVisible();
    await expect(refusal.getByText('UNAUTHENTICATED')).toBeVisible();
    await snap(page, testInfo, 'sign-in-refused.png');
  });

  await test.step('sign in and run the self-check from the Overview', async () => {
    await signIn(page, ADMIN.name, ADMIN.passphrase);
    await expect(heading(page, 'Overview')).toBeVisible();
    await expect(page.getByRole('banner').getByText(ADMIN.displayName)).toBeVisible();
    await expect(
      page.getByRole('list', { name: 'Counts' }).getByRole('link', { name: /Operators\s*1/ }),
    ).toBeVisible();
    await page.getByRole('button', { name: 'Run self-check' }).click();
    await expect(page.getByText('all checks passed')).toBeVisible();
    await snap(page, testInfo, 'overview-dark.png');
  });

  const pages = [
    { link: 'Hosts', empty: 'No GPU hosts yet', file: 'hosts.png' },
    { link: 'GPUs', empty: 'No GPUs discovered yet', file: 'gpus.png' },
    { link: 'Clusters', empty: 'No clusters imported', file: 'clusters.png' },
    { link: 'Tenants', empty: 'No tenants yet', file: 'tenants.png' },
    { link: 'Bundles', empty: 'No offline bundles installed', file: 'bundles.png' },
  ];
  for (const target of pages) {
    await test.step(`visit ${target.link}`, async () => {
      await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: target.link }).click();
      await expect(heading(page, target.link)).toBeVisible();
      await expect(page.getByRole('heading', { name: target.empty })).toBeVisible();
      await snap(page, testInfo, target.file);
    });
  }

  await test.step('Settings: workstation facts, and add a viewer operator', async () => {
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Settings' }).click();
    await expect(heading(page, 'Settings')).toBeVisible();
    await expect(page.getByText('Schema version')).toBeVisible();
    await expect(
      page.getByRole('table', { name: 'Operators' }).getByRole('row').filter({ hasText: ADMIN.displayName }),
    ).toBeVisible();
    const ledgerKey = page.getByRole('region', { name: 'Ledger key' });
    await expect(ledgerKey.getByRole('group', { name: 'Verifier key' }).locator('code')).toHaveText(
      /^enclave-console\.local\/.+\/audit\+[0-9a-f]{8}\+[A-Za-z0-9+/]+=*$/,
    );
    await expect(ledgerKey.getByRole('group', { name: 'OpenSSH public key' }).locator('code')).toHaveText(
      /^ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAA[A-Za-z0-9+/]+=* /,
    );
    await expect(ledgerKey.getByRole('button', { name: 'Copy the verifier key' })).toBeVisible();
    await snap(page, testInfo, 'settings.png');

    const form = page.getByRole('form', { name: 'Add operator' });
    await form.getByLabel('Operator name').fill(VIEWER.name);
    await form.getByLabel('Display name').fill(VIEWER.displayName);
    await form.getByLabel('Passphrase', { exact: true }).fill(VIEWER.passphrase);
    await form.getByLabel('Confirm passphrase').fill(VIEWER.passphrase);
    await form.getByRole('button', { name: 'Add operator' }).click();
    await expect(page.getByRole('status').filter({ hasText: `Operator ${VIEWER.name} added` })).toBeVisible();
    await expect(
      page.getByRole('table', { name: 'Operators' }).getByRole('row').filter({ hasText: VIEWER.displayName }),
    ).toBeVisible();
  });

  await test.step('keyboard: arrows in the page list, G then U opens GPUs, ? opens keyboard help', async () => {
    const nav = page.getByRole('navigation', { name: 'Main' });
    await nav.getByRole('link', { name: 'Settings' }).focus();
    await page.keyboard.press('ArrowUp');
    await expect(nav.getByRole('link', { name: 'Audit' }), 'arrow keys move in the page list').toBeFocused();
    await page.keyboard.press('Home');
    await expect(nav.getByRole('link', { name: 'Overview' })).toBeFocused();

    // Plain-key bindings are ignored while typing, so start from outside any field.
    await heading(page, 'Settings').click();
    await page.keyboard.press('g');
    await page.keyboard.press('u');
    await expect(heading(page, 'GPUs')).toBeVisible();
    await page.keyboard.press('?');
    const help = page.getByRole('dialog', { name: 'Keyboard shortcuts' });
    await expect(help).toBeVisible();
    await expect(help.getByText('Sign out')).toBeVisible();
    await snap(page, testInfo, 'keyboard-help.png');
    await page.keyboard.press('Escape');
    await expect(help).toBeHidden();
  });

  await test.step('command palette: run the self-check, then go to Audit', async () => {
    await page.keyboard.press('Control+K');
    const palette = page.getByRole('dialog', { name: 'Command palette' });
    await expect(palette).toBeVisible();
    await page.keyboard.type('self');
    await expect(palette.getByRole('option', { name: /Run self-check/ })).toBeVisible();
    await snap(page, testInfo, 'command-palette.png');
    await page.keyboard.press('Enter');
    await expect(palette).toBeHidden();
    await expect(page.getByRole('status').filter({ hasText: /Self-check passed/ })).toBeVisible();

    await page.keyboard.press('Control+K');
    await page.keyboard.type('add operator');
    await page.keyboard.press('Enter');
    await expect(heading(page, 'Settings')).toBeVisible();
    await expect(
      page.getByRole('form', { name: 'Add operator' }).getByLabel('Operator name'),
      'the palette entry lands on the form',
    ).toBeFocused();

    await page.keyboard.press('Control+K');
    await page.keyboard.type('go to audit');
    await palette.getByRole('option', { name: /Go to Audit/ }).click();
    await expect(heading(page, 'Audit')).toBeVisible();
  });

  const ledger = page.getByRole('listbox', { name: 'Audit entries' });
  const detail = page.getByRole('complementary', { name: 'Audit entry details' });
  const filters = page.getByRole('search', { name: 'Filter audit entries' });

  await test.step('the audit ledger shows the sign-in', async () => {
    const signInEntry = ledger.getByRole('option', {
      name: new RegExp(`${ADMIN.name}, session\\.signIn, .*, ok,`),
    });
    await expect(signInEntry.first()).toBeVisible();
    await signInEntry.first().click();
    await expect(detail.getByText('session.signIn', { exact: true })).toBeVisible();
    await expect(detail, 'the passphrase never reaches the ledger').toContainText(
      '"passphrase": "[redacted]"',
    );
    await expect(
      ledger.getByRole('option', { name: /session\.signIn, .*, (denied|error),/ }).first(),
    ).toBeVisible();
    await expect(page.getByRole('region', { name: 'Ledger' })).toContainText(/covers \d+ of \d+ entries/);
  });

  await test.step('the entry inclusion proof: shown, copied and saved as a tlog-proof file', async () => {
    const index = Number(
      /^Entry (\d+)$/.exec((await detail.getByRole('heading', { level: 2 }).textContent()) ?? '')?.[1],
    );
    expect(index).toBeGreaterThanOrEqual(0);
    const proof = detail.getByRole('region', { name: 'Inclusion proof' });
    await proof.getByRole('button', { name: 'Show proof' }).click();
    await expect(proof.getByText(/^\d+ entries/)).toBeVisible();
    await expect(
      proof
        .getByRole('list', { name: /Proof hashes/ })
        .getByRole('listitem')
        .first(),
    ).toHaveText(/^[A-Za-z0-9+/]{43}=$/);
    await proof.getByText('The tlog-proof file').click();
    const file = proof.locator('pre');
    await expect(file).toBeVisible();
    const text = (await file.textContent()) ?? '';
    expect(text.startsWith('c2sp.org/tlog-proof@v1\n'), text).toBe(true);
    expect(text).toContain(`\nindex ${index}\n`);

    await page.context().grantPermissions(['clipboard-read', 'clipboard-write']);
    await proof.getByRole('button', { name: 'Copy tlog-proof' }).click();
    await expect(proof.getByRole('button', { name: 'Copied' })).toBeVisible();
    expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(text);

    const downloading = page.waitForEvent('download');
    await proof.getByRole('button', { name: 'Save…' }).click();
    const download = await downloading;
    expect(download.suggestedFilename()).toBe(`entry-${index}.tlog-proof`);
    expect(readFileSync(await download.path(), 'utf8')).toBe(text);
    await expect(proof.getByText(/enclave audit verify-proof entry-\d+\.tlog-proof --key KEY/)).toBeVisible();
    await proof.getByRole('heading', { name: 'Inclusion proof' }).scrollIntoViewIfNeeded();
    await snap(page, testInfo, 'audit-proof.png');
  });

  await test.step('filters: action, target and time range narrow the list', async () => {
    const count = filters.getByRole('status');
    await expect(count).toHaveText(/^(\d+) of \1 entries$/);
    const everything = Number(/^(\d+)/.exec((await count.textContent()) ?? '')?.[1]);

    await filters.getByLabel('Action').selectOption('session.signIn');
    await filters.getByLabel('Target contains').fill('operator admin');
    // The wrong passphrase and the sign-in after it; the first administrator was created by setup.
    await expect(count).toHaveText(`2 of ${everything} entries`);
    await expect(ledger.getByRole('option')).toHaveCount(2);
    await expect(ledger.getByRole('option', { name: /, session\.signIn, operator admin, / })).toHaveCount(2);

    const from = filters.getByLabel('From (UTC)');
    await from.fill('2099-01-01T00:00:00');
    await expect(count).toHaveText(`0 of ${everything} entries`);
    await expect(page.getByRole('heading', { name: 'No entries match these filters' })).toBeVisible();
    await filters.getByLabel('To (UTC)').fill('2098-01-01T00:00:00');
    await expect(filters.getByText('The time range ends before it starts.')).toBeVisible();
    await filters.getByRole('button', { name: 'Any time' }).click();
    await expect(count).toHaveText(`2 of ${everything} entries`);

    await filters.getByRole('button', { name: 'Last hour' }).click();
    await expect(filters.getByRole('button', { name: 'Last hour' })).toHaveAttribute('aria-pressed', 'true');
    // A datetime-local value leaves out ":00" seconds (HTML's serialisation), one minute in sixty.
    await expect(from).toHaveValue(/^\d{4}-\d\d-\d\dT\d\d:\d\d(:\d\d)?$/);
    await expect(count).toHaveText(`2 of ${everything} entries`);

    await filters.getByLabel('Outcome').selectOption('ok');
    await expect(count).toHaveText(`1 of ${everything} entries`);
    await expect(ledger.getByRole('option', { name: /, (denied|error),/ })).toHaveCount(0);
    await filters.getByLabel('Outcome').selectOption('');
    await snap(page, testInfo, 'audit-filters.png');

    await filters.getByRole('button', { name: 'Clear filters' }).click();
    await expect(count).toHaveText(new RegExp(`^${everything} of ${everything} entries$`));
  });

  await test.step('verify the ledger', async () => {
    await page.getByRole('button', { name: 'Verify ledger' }).click();
    await expect(page.getByRole('status').filter({ hasText: 'Ledger verified' })).toBeVisible();
    await page.getByRole('button', { name: 'Show checkpoint' }).click();
    await expect(page.getByRole('region', { name: 'Newest signed checkpoint' }).locator('pre')).toHaveText(
      /^enclave-console\.local\/.+\/audit\n\d+\n[A-Za-z0-9+/]{43}=\n\n— /,
    );
    await page.getByRole('button', { name: 'Hide checkpoint' }).click();
  });

  await test.step('the export wizard writes the ledger to the medium and reads it back', async () => {
    const exportDialog = page.getByRole('dialog', { name: 'Export the audit ledger' });
    await page.getByRole('button', { name: 'Export to media…' }).click();
    await expect(exportDialog.getByRole('heading', { name: 'Choose the medium' })).toBeVisible();
    await page.keyboard.press('Escape');
    await expect(exportDialog, 'Escape closes the wizard').toBeHidden();

    await page.getByRole('button', { name: 'Export to media…' }).click();
    // The test machine has no USB drive; the folder stands in for one.
    await exportDialog.getByRole('radio', { name: /A folder/ }).check();
    await exportDialog.getByLabel('Folder path').fill(exportDir);
    await exportDialog.getByLabel('Folder path').press('Enter');

    await expect(exportDialog.getByRole('heading', { name: 'Choose what to export' })).toBeVisible();
    await expect(exportDialog.getByRole('radio', { name: /New entries .*from entry 0/ })).toBeChecked();
    await expect(exportDialog.getByText(/^about \d+ entries\./).first()).toBeVisible();
    await exportDialog.getByRole('button', { name: 'Export', exact: true }).click();

    const progress = exportDialog.getByRole('progressbar', { name: 'Export progress' });
    await expect(progress).toHaveAttribute('value', '100');
    await expect(progress).toHaveAttribute('aria-valuetext', 'Done, 100 %');
    await expect(exportDialog.getByRole('status').filter({ hasText: 'Exported entries 0 to' })).toBeVisible();
    const folder =
      (await exportDialog.getByRole('group', { name: 'Folder' }).locator('code').textContent()) ?? '';
    expect(path.dirname(folder)).toBe(exportDir);
    expect(path.basename(folder)).toMatch(/^enclave-audit-[0-9a-f]{8}-0-\d+-\d{8}T\d{6}Z$/);
    expect(readFileSync(path.join(folder, 'checkpoint'), 'utf8')).toMatch(/^enclave-console\.local\//);
    await expect(exportDialog.getByText(/Keep a copy of its checkpoint file/)).toBeVisible();
    await snap(page, testInfo, 'audit-export.png');
    await exportDialog.getByRole('button', { name: 'Done' }).click();
    await expect(exportDialog).toBeHidden();
    await expect(page.getByRole('region', { name: 'Ledger' })).toContainText(/Last export\s*entries 0–\d+/);
    await snap(page, testInfo, 'audit.png');
  });

  await test.step('light theme', async () => {
    await page.getByRole('button', { name: 'Switch to the light theme' }).click();
    await expect(page.locator('html')).toHaveAttribute('data-theme', 'light');
    await snap(page, testInfo, 'audit-light.png');
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Overview' }).click();
    await expect(heading(page, 'Overview')).toBeVisible();
    await snap(page, testInfo, 'overview-light.png');
    await page.reload();
    await expect(page.locator('html'), 'the choice survives a reload').toHaveAttribute('data-theme', 'light');
  });

  await test.step('a viewer is told the audit ledger needs another role', async () => {
    // The reload above started a new connection, and with it a new session.
    await signIn(page, VIEWER.name, VIEWER.passphrase);
    await expect(heading(page, 'Overview')).toBeVisible();
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Audit' }).click();
    await expect(
      page.getByText(/needs the auditor, security-officer or admin role; yours \(viewer\)/),
    ).toBeVisible();
    await snap(page, testInfo, 'audit-viewer.png');
  });

  expect(refusals, 'no CSP refusals').toEqual([]);
});

test('connection problems say what to do: no token, a wrong token, a core that stopped', async ({ page }) => {
  const bare = harness.url.replace(/#.*$/, '');
  await page.goto(bare);
  await expect(page.getByRole('heading', { name: 'This page needs its access token' })).toBeVisible();
  await expect(page.getByText('Open the URL printed by')).toBeVisible();

  // Pasting another URL into the same tab only changes the hash; the page connects with the new token.
  await page.goto(`${bare}#token=not-the-token`);
  await expect(page.getByRole('heading', { name: 'Could not connect to the console core' })).toBeVisible();
  await expect(page.getByText('missing or wrong harness token')).toBeVisible();

  const doomed = await startHarness();
  try {
    await page.goto(doomed.url);
    await expect(page.getByRole('heading', { name: 'Set up this workstation' })).toBeVisible();
  } finally {
    await doomed.stop();
  }
  const lost = page.getByRole('alert').filter({ hasText: 'Connection to the console core lost' });
  await expect(lost).toBeVisible();
  await expect(lost.getByRole('button', { name: 'Reconnect' })).toBeVisible();
});
