/**
 * MIG partitioning end to end against a real OpenSSH lab host (test/lab) with its nvidia-smi
 * simulator: first run -> add the lab host (its key confirmed) and discover -> GPUs page: the
 * model summary and the host's slot maps -> the layout editor on GPU 0: start from `balanced`,
 * place a 4g.20gb over it on purpose (the problems in words, the slots highlighted), remove it ->
 * the plan as a diff -> apply, with progress (the lab slows each MIG command) -> 'applied', the
 * slot map re-drawn from the state read back -> planning again shows no changes -> a named layout
 * on GPU 1 whose third create fails (lab fault): rolled back, shown step by step -> drift after the
 * GPU loses its instances behind the console's back, re-applied from the recorded layout -> a
 * fleet apply across the lab by label, listed with the recent runs -> the ledger has gpu.apply.
 * Screenshots go to test-results/screenshots/ (docs/screenshots/ with UPDATE_SCREENSHOTS=1).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { expect, test } from '@playwright/test';
import { heading, snap, startHarness, type Harness } from './harness';
import { downOneHostLab, firstRun, lab, nav, SSHD, upOneHostLab, type LabHost, type OneHostLab } from './lab';

let harness: Harness | undefined;
let up: OneHostLab | undefined;
let labState: string | undefined;
let labHost: LabHost;

/** Faults, some aimed at certain commands only, through the lab CLI. */
function labFault(kind: 'slow' | 'fail' | 'clear', value?: string, target?: { match: string; nth?: number }) {
  lab([
    'fault',
    '--state',
    labState as string,
    labHost.name,
    kind,
    ...(value === undefined ? [] : [value]),
    ...(target ? ['--match', target.match] : []),
    ...(target?.nth ? ['--nth', String(target.nth)] : []),
  ]);
}

/** A command on the lab host behind the console's back, as a reboot or another tool would. */
function onHost(command: string): string {
  const run = spawnSync(
    'ssh',
    [
      '-i',
      labHost.keyFile,
      '-p',
      String(labHost.port),
      '-o',
      'BatchMode=yes',
      '-o',
      `UserKnownHostsFile=${path.join(labState as string, 'known_hosts')}`,
      `${labHost.user}@${labHost.address}`,
      command,
    ],
    { encoding: 'utf8', timeout: 30_000 },
  );
  if (run.status !== 0) throw new Error(`ssh ${command} failed (${run.status}): ${run.stderr}`);
  return run.stdout;
}

test.beforeAll(async () => {
  if (!existsSync(SSHD)) return;
  up = upOneHostLab('enclave-e2e-gpu-');
  labState = up.state;
  labHost = up.host;
  harness = await startHarness();
});

test.afterAll(async () => {
  await harness?.stop();
  downOneHostLab(up);
});

test('an operator partitions a lab GPU with the slot map, the editor and a plan, then the fleet', async ({
  page,
}, testInfo) => {
  test.skip(!existsSync(SSHD), `${SSHD} is missing: the lab needs OpenSSH's server (openssh-server)`);
  test.setTimeout(240_000);
  if (!harness) throw new Error('the harness did not start');
  const refusals: string[] = [];
  page.on('console', (message) => {
    if (/Refused to|Content Security Policy.*violat/i.test(message.text())) refusals.push(message.text());
  });

  await test.step('first run', async () => {
    await firstRun(page, harness!.url);
  });

  await test.step('add the lab host, confirm its key, discover its GPUs', async () => {
    await nav(page, 'Hosts').click();
    await page.getByRole('button', { name: 'Add host', exact: true }).click();
    const dialog = page.getByRole('dialog', { name: 'Add a GPU host' });
    await dialog.getByLabel('Name', { exact: true }).fill(labHost.name);
    await dialog.getByLabel('Address', { exact: true }).fill(labHost.address);
    await dialog.getByLabel('Port', { exact: true }).fill(String(labHost.port));
    await dialog.getByLabel('User', { exact: true }).fill(labHost.user);
    await dialog.getByLabel('Private key file').setInputFiles({
      name: path.basename(labHost.keyFile),
      mimeType: 'text/plain',
      buffer: readFileSync(labHost.keyFile),
    });
    await expect(dialog.getByText(`Read ${path.basename(labHost.keyFile)}`)).toBeVisible();
    for (const [i, [key, value]] of Object.entries(labHost.labels).entries()) {
      if (i > 0) await dialog.getByRole('button', { name: 'Add label' }).click();
      await dialog.getByLabel(`Label ${i + 1} key`).fill(key);
      await dialog.getByLabel(`Label ${i + 1} value`).fill(value);
    }
    await dialog.getByRole('button', { name: 'Add host', exact: true }).click();
    const presented = dialog.getByRole('group', { name: 'Presented fingerprint' }).locator('code');
    await expect(presented).toHaveText(labHost.fingerprint, { timeout: 30_000 });
    await dialog.getByRole('button', { name: 'It matches — pin it' }).click();
    await dialog.getByRole('button', { name: 'Discover now' }).click({ timeout: 30_000 });
    await expect(dialog).toBeHidden();
    const detail = page.getByRole('region', { name: `Host ${labHost.name}` });
    await expect(
      detail.getByRole('table', { name: `GPUs on ${labHost.name}` }).locator('tbody tr'),
    ).toHaveCount(8, { timeout: 60_000 });
  });

  const hostView = page.getByRole('region', { name: `GPUs of ${labHost.name}` });
  const card = (gpu: number) =>
    hostView.getByRole('list', { name: `GPU slot maps of ${labHost.name}` }).getByRole('listitem', {
      name: `GPU ${gpu}`,
      exact: true,
    });

  await test.step('the GPUs page: the model summary, then the host and its slot maps', async () => {
    await nav(page, 'GPUs').click();
    await expect(heading(page, 'GPUs')).toBeVisible();
    const models = page.getByRole('list', { name: 'GPU models' });
    await expect(models).toContainText('NVIDIA A100-SXM4-40GB');
    await expect(models).toContainText('8 GPUs');
    await expect(models).toContainText('MIG on 8');
    await expect(page.getByRole('table', { name: 'GPUs' }).locator('tbody tr')).toHaveCount(8);

    await page.getByLabel('Host', { exact: true }).selectOption(labHost.name);
    await expect(page).toHaveURL(new RegExp(`#/gpus/${labHost.name}$`));
    await expect(card(0)).toBeVisible({ timeout: 30_000 });
    await expect(
      hostView
        .getByRole('listitem')
        .filter({ has: page.getByRole('group', { name: /^Slot map of GPU \d$/ }) }),
    ).toHaveCount(8);
    const map0 = card(0).getByRole('group', { name: 'Slot map of GPU 0' });
    await expect(map0.getByText('No GPU instances')).toBeVisible();
    await expect(map0.getByRole('list', { name: 'Memory slots of GPU 0' }).getByRole('listitem')).toHaveCount(
      8,
    );
    // The summary now counts the slots read from the host: all 64 free.
    await expect(models).toContainText('0 allocated · 64 free');
    await snap(page, testInfo, 'gpu-host.png');
  });

  const editor = page.getByRole('region', { name: /^Layout editor: GPU 0/ });
  const editMap = editor.getByRole('group', { name: 'Slot map of GPU 0 being edited' });

  await test.step('the editor: start from balanced, place a 4g.20gb over it, see why not, fix it', async () => {
    await card(0).getByRole('button', { name: 'Edit layout of GPU 0' }).click();
    await expect(editor).toBeVisible();
    await editor.getByLabel('Start from').selectOption('balanced');
    for (const block of [
      '2g.10gb at slots 0–1',
      '1g.5gb at slot 2',
      '1g.5gb at slot 3',
      '3g.20gb at slots 4–7',
    ])
      await expect(editMap.getByRole('button', { name: new RegExp(`^${block}`) })).toBeVisible();
    await expect(editor.getByRole('status').filter({ hasText: 'Valid layout' })).toContainText(
      '8 of 8 memory slots, 7 of 7 compute slices',
    );

    // Keyboard: the free-cell buttons are gone (every slot is used); the form places any profile anywhere.
    const add = editor.getByRole('form', { name: 'Add a GPU instance' });
    await add.getByLabel('Profile').selectOption('4g.20gb');
    await expect(add.getByLabel('Start')).toHaveValue('0');
    await expect(add.getByLabel('Start').locator('option:checked')).toHaveText('slots 0–3 — conflicts');
    await add.getByRole('button', { name: 'Add GPU instance' }).click();

    const problems = editor.getByRole('alert', { name: 'Layout problems' });
    await expect(problems).toContainText('4g.20gb at slot 0 overlaps 2g.10gb at slots 0–1');
    await expect(problems).toContainText('4g.20gb at slot 0 overlaps 1g.5gb at slot 2');
    await expect(problems).toContainText('The layout needs 11 compute slices');
    const slots = editMap.getByRole('list', { name: /^Memory slots of GPU 0/ });
    await expect(slots.locator('.slot-conflict')).toHaveCount(4);
    for (const s of [0, 1, 2, 3]) await expect(slots.getByText(`Slot ${s}, conflict`)).toBeAttached();
    await expect(slots.getByText('Slot 4, used')).toBeAttached();
    await expect(
      editMap.getByRole('button', { name: /^4g\.20gb at slots 0–3.*has a problem$/ }),
    ).toBeVisible();
    await expect(editor.getByRole('button', { name: 'Plan this layout' })).toBeDisabled();
    await snap(page, testInfo, 'gpu-editor-conflict.png');

    await editor.getByRole('button', { name: 'Remove 4g.20gb at slots 0–3' }).click();
    await expect(problems).toBeHidden();
    await expect(slots.locator('.slot-conflict')).toHaveCount(0);

    // A compute instance of our own in the 3g: two 1c.3g.20gb instead of the full-size one.
    const three = '3g.20gb at slots 4–7';
    await editor.getByRole('button', { name: `Remove compute instance 3g.20gb from ${three}` }).click();
    await editor.getByLabel(`Compute instance profile for ${three}`).selectOption('1c.3g.20gb');
    await editor.getByRole('button', { name: `Add compute instance 1c.3g.20gb to ${three}` }).click();
    await editor.getByRole('button', { name: `Add compute instance 1c.3g.20gb to ${three}` }).click();
    await expect(editor.getByRole('status').filter({ hasText: 'Valid layout' })).toContainText(
      '1× 3g.20gb (2× 1c.3g.20gb)',
    );
  });

  const plan = editor.getByRole('region', { name: /^Plan for GPU 0: / });
  const row0 = plan.getByRole('region', { name: 'Plan for GPU 0' });

  await test.step('the plan as a diff: now and after, the steps in order', async () => {
    await editor.getByRole('button', { name: 'Plan this layout' }).click();
    await expect(row0.getByText('10 steps: 9 to create')).toBeVisible({ timeout: 30_000 });
    const steps = row0.getByRole('list', { name: 'Steps for GPU 0' }).getByRole('listitem');
    await expect(steps).toHaveCount(10);
    await expect(steps.first()).toHaveText(/create 2g\.10gb at slots 0–1/);
    await expect(steps.first()).toHaveClass(/plan-step-create/);
    await expect(steps.last()).toHaveText(/verify GPU 0 reads back as planned/);
    const after = row0.getByRole('group', { name: 'Slot map of GPU 0 after the plan' });
    await expect(
      after.getByRole('group', { name: /^3g\.20gb at slots 4–7, created by the plan$/ }),
    ).toContainText('1c.3g.20gb1c.3g.20gb');
    await row0.scrollIntoViewIfNeeded();
    await snap(page, testInfo, 'gpu-plan.png');
  });

  await test.step('apply: confirm, watch the progress, read back as applied', async () => {
    // Each MIG command takes a while on the lab host, so the progress can be seen.
    labFault('slow', '0.6', { match: 'nvidia-smi mig -i 0 -c' });
    await plan.getByRole('button', { name: 'Apply plan…' }).click();
    const confirm = page.getByRole('dialog', { name: 'Apply this MIG layout?' });
    await expect(confirm).toContainText('GPU 0: 10 steps: 9 to create');
    await confirm.getByRole('button', { name: 'Apply layout' }).click();
    const progress = row0.getByRole('progressbar', { name: 'Progress of GPU 0' });
    await expect(progress).toBeVisible({ timeout: 30_000 });
    await expect(row0.getByText(/GPU 0: Step [3-8] of 10/)).toBeVisible({ timeout: 30_000 });
    await snap(page, testInfo, 'gpu-apply-progress.png');

    const result = plan.getByRole('region', { name: 'Result on GPU 0' });
    await expect(result.getByText('applied', { exact: true })).toBeVisible({ timeout: 60_000 });
    labFault('clear');
    const ran = result.getByRole('table', { name: 'Steps run on GPU 0' });
    await expect(ran.locator('tbody tr')).toHaveCount(10);
    await expect(
      ran.getByRole('row', { name: /create 2g\.10gb at slots 0–1 nvidia-smi mig -i 0 -cgi 14:0 0 ok/ }),
    ).toBeVisible();
    const readBack = result.getByRole('group', { name: 'Slot map of GPU 0 read back' });
    await expect(readBack.getByRole('group', { name: /^3g\.20gb at slots 4–7/ })).toContainText(
      '1c.3g.20gb1c.3g.20gb',
    );

    // The host's slot map is drawn again from the state the applier read back.
    const map0 = card(0).getByRole('group', { name: 'Slot map of GPU 0' });
    for (const block of [
      '2g.10gb at slots 0–1',
      '1g.5gb at slot 2',
      '1g.5gb at slot 3',
      '3g.20gb at slots 4–7',
    ])
      await expect(map0.getByRole('group', { name: block, exact: true })).toBeVisible();
    await expect(card(0)).toContainText('8 of 8 memory slots allocated');
    await expect(page.getByRole('list', { name: 'GPU models' })).toContainText('8 allocated · 56 free');
    await result.scrollIntoViewIfNeeded();
    await snap(page, testInfo, 'gpu-applied.png');
  });

  await test.step('planning the same layout again: no changes', async () => {
    await plan.getByRole('button', { name: 'Plan again' }).click();
    await expect(row0.getByText('No changes: the GPU already has this layout')).toBeVisible({
      timeout: 30_000,
    });
    await expect(plan.getByText('Nothing to apply: no changes.')).toBeVisible();
    await expect(plan.getByRole('button', { name: 'Apply plan…' })).toBeDisabled();
    await expect(row0.getByText('Kept in place: 2g.10gb at slot 0, 1g.5gb at slot 2')).toBeVisible();
    await editor.getByRole('button', { name: 'Close editor' }).click();
    await expect(editor).toBeHidden();
  });

  await test.step('keyboard: place GPU instances from the free cells of the slot map', async () => {
    await card(2).getByRole('button', { name: 'Edit layout of GPU 2' }).click();
    const editor2 = page.getByRole('region', { name: /^Layout editor: GPU 2/ });
    await expect(editor2.getByRole('heading', { name: /^Layout editor: GPU 2/ })).toBeFocused();
    const map2 = editor2.getByRole('group', { name: 'Slot map of GPU 2 being edited' });
    await map2.getByRole('button', { name: 'Free slot 4: choose what to place here' }).focus();
    await page.keyboard.press('Enter');
    const fits = editor2.getByRole('group', { name: 'Profiles that fit at slot 4' });
    await expect(fits.getByRole('button')).toHaveText([
      'Place 1g.5gb at slot 4',
      'Place 1g.5gb+me at slot 4',
      'Place 1g.10gb at slot 4',
      'Place 2g.10gb at slot 4',
      'Place 3g.20gb at slot 4',
    ]);
    await fits.getByRole('button', { name: 'Place 3g.20gb at slot 4' }).focus();
    await page.keyboard.press('Enter');
    await expect(map2.getByRole('button', { name: /^3g\.20gb at slots 4–7 with 3g\.20gb$/ })).toBeFocused();
    await map2.getByRole('button', { name: 'Free slot 0: choose what to place here' }).focus();
    await page.keyboard.press('Space');
    await editor2
      .getByRole('group', { name: 'Profiles that fit at slot 0' })
      .getByRole('button', { name: 'Place 4g.20gb at slot 0' })
      .click();
    await expect(editor2.getByRole('status').filter({ hasText: 'Valid layout' })).toContainText(
      '1× 3g.20gb, 1× 4g.20gb — 8 of 8 memory slots, 7 of 7 compute slices',
    );
    await expect(map2.getByRole('button', { name: /^Free slot/ })).toHaveCount(0);
    await editor2.scrollIntoViewIfNeeded();
    await snap(page, testInfo, 'gpu-editor-place.png');
    await editor2.getByRole('button', { name: 'Close editor' }).click();
  });

  await test.step('a named layout on GPU 1 whose third create fails: rolled back', async () => {
    const form = hostView.getByRole('form', { name: 'Apply a named layout' });
    await form.getByLabel('Named layout').selectOption('all-1g');
    for (let i = 0; i < 8; i++)
      if (i !== 1) await form.getByRole('checkbox', { name: `GPU ${i}`, exact: true }).uncheck();
    await form.getByRole('button', { name: 'Plan named layout' }).click();
    const named = hostView.getByRole('region', { name: 'Plan: all-1g on GPU 1' });
    await expect(named.getByText('15 steps: 14 to create')).toBeVisible({ timeout: 30_000 });

    labFault('fail', 'Unable to create a GPU instance on GPU  1 using profile 19: Insufficient Resources', {
      match: 'nvidia-smi mig -i 1 -cgi',
      nth: 3,
    });
    await named.getByRole('button', { name: 'Apply plan…' }).click();
    await page
      .getByRole('dialog', { name: 'Apply this MIG layout?' })
      .getByRole('button', { name: 'Apply layout' })
      .click();
    const result = named.getByRole('region', { name: 'Result on GPU 1' });
    await expect(result.getByText('rolled-back', { exact: true })).toBeVisible({ timeout: 60_000 });
    labFault('clear');
    const ran = result.getByRole('table', { name: 'Steps run on GPU 1' });
    await expect(
      ran.getByRole('row', { name: /create 1g\.5gb at slot 2 nvidia-smi mig -i 1 -cgi 19:2 1 failed/ }),
    ).toBeVisible();
    await expect(result.getByText(/Rolled back on GPU 1: 3 steps/)).toBeVisible();
    await expect(result.getByRole('table', { name: 'Rollback on GPU 1' }).locator('tbody tr')).toHaveCount(3);
    await expect(result.getByRole('group', { name: 'Slot map of GPU 1 read back' })).toContainText(
      'No GPU instances',
    );
    await expect(card(1).getByRole('group', { name: 'Slot map of GPU 1' })).toContainText('No GPU instances');
    await result.scrollIntoViewIfNeeded();
    await snap(page, testInfo, 'gpu-rollback.png');
    await named.getByRole('button', { name: 'Close plan' }).click();
  });

  await test.step('drift: GPU 0 loses its instances behind the console; re-apply the recorded layout', async () => {
    onHost('nvidia-smi mig -i 0 -dci && nvidia-smi mig -i 0 -dgi');
    await hostView.getByRole('button', { name: 'Read again' }).click();
    const drift = hostView.getByRole('status', { name: 'Drift' });
    await expect(drift).toContainText('1 GPU no longer has the layout applied', { timeout: 30_000 });
    await expect(drift).toContainText(
      'GPU 0: applied 1× 2g.10gb, 2× 1g.5gb, 1× 3g.20gb (2× 1c.3g.20gb), now MIG enabled, no GPU instances',
    );
    await expect(card(0).getByText('drift', { exact: true })).toBeVisible();
    await snap(page, testInfo, 'gpu-drift.png');
    await drift.getByRole('button', { name: 'Re-apply recorded layout' }).click();
    const reapply = hostView.getByRole('region', { name: 'Re-apply the recorded layout on 1 GPU' });
    await expect(reapply.getByText('10 steps: 9 to create')).toBeVisible({ timeout: 30_000 });
    await reapply.getByRole('button', { name: 'Apply plan…' }).click();
    await page
      .getByRole('dialog', { name: 'Apply this MIG layout?' })
      .getByRole('button', { name: 'Apply layout' })
      .click();
    await expect(
      reapply.getByRole('region', { name: 'Result on GPU 0' }).getByText('applied', { exact: true }),
    ).toBeVisible({
      timeout: 60_000,
    });
    await expect(drift).toBeHidden();
    await expect(card(0)).toContainText('8 of 8 memory slots allocated');
  });

  await test.step('fleet apply by label: the canary fails and the run stops; resumed, it is done', async () => {
    const fleet = page.getByRole('form', { name: 'Fleet apply' });
    await fleet.getByLabel('Layout').selectOption('all-7g');
    const [key, value] = Object.entries(labHost.labels)[0] as [string, string];
    await fleet.getByLabel('Labels').fill(`${key}=${value}`);
    await expect(fleet.getByText(`Selects 1 host: ${labHost.name}`)).toBeVisible();
    labFault('fail', 'Insufficient Resources', { match: 'nvidia-smi mig -i 0 -cgi', nth: 1 });
    await fleet.getByRole('button', { name: 'Start fleet apply…' }).click();
    await page
      .getByRole('dialog', { name: 'Start this fleet apply?' })
      .getByRole('button', { name: 'Start' })
      .click();
    const live = page.getByRole('region', { name: 'Fleet progress' });
    await expect(live.getByRole('status').filter({ hasText: /Run f-[0-9a-f]{16}: stopped/ })).toContainText(
      `the canary ${labHost.name} failed; no other host was started`,
      { timeout: 120_000 },
    );
    labFault('clear');
    const hostsTable = live.getByRole('table', { name: 'Fleet hosts' });
    // GPU 0 was rolled back; the host's other GPUs took the layout.
    await expect(hostsTable).toContainText('GPU 0 rolled-back');
    await expect(hostsTable).toContainText('GPU 7 applied');
    const runs = page.getByRole('table', { name: 'Recent fleet runs' });
    const first = runs.locator('tbody tr').first();
    await expect(first).toContainText('stopped');
    await expect(first).toContainText('1 failed');
    await first.getByRole('button', { name: /^Resume fleet run f-[0-9a-f]{16}$/ }).click();
    const resume = page.getByRole('dialog', { name: 'Resume this fleet run?' });
    await expect(resume).toContainText('1 host not done are applied again');
    await resume.getByRole('button', { name: 'Resume', exact: true }).click();
    await expect(live.getByRole('heading', { name: /^Resume f-[0-9a-f]{16} \(all-7g\)$/ })).toBeVisible();
    await expect(live.getByRole('status').filter({ hasText: /Run f-[0-9a-f]{16}: done/ })).toBeVisible({
      timeout: 120_000,
    });
    await expect(hostsTable).toContainText('GPU 0 applied');
    await expect(hostsTable).toContainText('GPU 7 unchanged');
    await expect(first).toContainText('all-7g');
    await expect(first).toContainText('done');
    await expect(first).toContainText('1 done');
    await expect(runs.locator('tbody tr')).toHaveCount(1);
    await live.scrollIntoViewIfNeeded();
    await snap(page, testInfo, 'gpu-fleet.png');
    // The host is read again once the run ends: every GPU now has one 7g.40gb.
    await expect(
      card(3)
        .getByRole('group', { name: 'Slot map of GPU 3' })
        .getByRole('group', { name: '7g.40gb at slots 0–7', exact: true }),
    ).toBeVisible({
      timeout: 30_000,
    });
  });

  await test.step('the audit ledger records the applies', async () => {
    await nav(page, 'Audit').click();
    const ledger = page.getByRole('listbox', { name: 'Audit entries' });
    const action = page.getByRole('search', { name: 'Filter audit entries' }).getByLabel('Action');
    await action.selectOption('gpu.apply');
    await expect(
      ledger.getByRole('option', { name: new RegExp(`, gpu\\.apply, host ${labHost.name} GPU 1, ok,`) }),
    ).toBeVisible();
    await expect(
      ledger.getByRole('option', { name: new RegExp(`, gpu\\.apply, host ${labHost.name} GPU 0, ok,`) }),
    ).toHaveCount(2);
    await action.selectOption('gpu.fleetApply');
    await expect(ledger.getByRole('option', { name: /, gpu\.fleetApply, layout all-7g, ok,/ })).toBeVisible();
  });

  expect(refusals, 'no CSP refusals').toEqual([]);
});
