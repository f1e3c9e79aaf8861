/**
 * Clusters and tenants end to end against the lab's Kubernetes API emulator (test/lab/k8s) with GPU
 * nodes seeded: first run -> Clusters: a kubeconfig with TLS verification off is refused with the
 * reason, then the lab kubeconfig (pasted) is imported with its current context, named -> the
 * cluster view: version, GPU Operator, nodes with GPUs and MIG resources, totals -> Tenants: the
 * wizard (identity, access, quotas with a MIG quota, placement, residency with egress CIDRs, one
 * with host bits set refused with the network meant, registries) -> the plan: every object to
 * create, the GPU capacity -> apply, verified -> healthy in the list -> the tenant changed on the
 * cluster behind the console's back with a real kubectl (plain HTTPS where kubectl is missing) ->
 * Check drift shows the changed fields and the list says drifted -> Edit: an over-committing MIG
 * quota is refused with the numbers; a smaller one plans the drifted fields back, applies, and no
 * drift is left -> Decommission with the name typed, gone.
 * Screenshots go to test-results/screenshots/ (docs/screenshots/ with UPDATE_SCREENSHOTS=1).
 */
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { expect, test, type Page } from '@playwright/test';
import type * as EmulatorModule from '../lab/k8s/server';
import type { KubeEmulator } from '../lab/k8s/server';
import { heading, snap, startHarness, type Harness } from './harness';
import { firstRun, nav } from './lab';

let harness: Harness | undefined;
let kube: KubeEmulator | undefined;
let stateDir: string | undefined;

test.use({ actionTimeout: 20_000 });

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const CLUSTER = 'lab';
const TENANT = 'tenant-a';

/**
 * The emulator's module, bundled with esbuild first: it reaches the MIG catalogue, a JSON import
 * that Node's ESM loader (which Playwright runs specs under) refuses without an import attribute.
 * Bundled under test-results/ so its packages resolve from the project's node_modules.
 */
async function loadEmulator(): Promise<typeof EmulatorModule> {
  const { build } = await import('esbuild');
  const outdir = path.join(ROOT, 'test-results', 'e2e-k8s');
  mkdirSync(outdir, { recursive: true });
  const outfile = path.join(outdir, 'emulator.mjs');
  await build({
    entryPoints: [path.join(ROOT, 'test', 'lab', 'k8s', 'server.ts')],
    outfile,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    packages: 'external',
    logLevel: 'error',
  });
  return (await import(pathToFileURL(outfile).href)) as typeof EmulatorModule;
}

test.beforeAll(async () => {
  stateDir = mkdtempSync(path.join(tmpdir(), 'enclave-e2e-tenants-'));
  const { startKubeEmulator } = await loadEmulator();
  kube = await startKubeEmulator({
    stateDir: path.join(stateDir, 'k8s'),
    nodes: [
      // 2 GPUs split into seven 1g.10gb each (14 slices), 4 whole GPUs.
      { name: 'gpu-mig-01', gpuProduct: 'H100-80GB-SXM5', gpus: 2, migLayout: 'all-1g' },
      { name: 'gpu-full-01', gpuProduct: 'H100-80GB-SXM5', gpus: 4 },
    ],
  });
  harness = await startHarness();
});

test.afterAll(async () => {
  await harness?.stop();
  await kube?.close();
  if (stateDir) rmSync(stateDir, { recursive: true, force: true });
});

/**
 * kubectl, as an operator would use it behind the console's back. Run asynchronously: the emulator
 * answers from this very process, so a blocking spawn would leave kubectl's TLS handshake unanswered.
 */
function run(command: string, args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(command, args, { encoding: 'utf8', timeout: 30_000 }, (error, stdout, stderr) => {
      const code = error ? (typeof error.code === 'number' ? error.code : -1) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

async function kubectlOnPath(): Promise<boolean> {
  return (await run('kubectl', ['version', '--client'])).code === 0;
}

async function kubectl(args: string[]): Promise<string> {
  const kubeconfig = path.join(stateDir as string, 'kubeconfig-for-kubectl');
  writeFileSync(kubeconfig, (kube as KubeEmulator).kubeconfig, { mode: 0o600 });
  const result = await run('kubectl', ['--kubeconfig', kubeconfig, ...args]);
  if (result.code !== 0)
    throw new Error(`kubectl ${args.join(' ')} failed (${result.code}): ${result.stderr}`);
  return result.stdout;
}

/** The same change as a plain HTTPS merge patch, for machines without kubectl. */
function mergePatch(apiPath: string, body: unknown): Promise<number> {
  const k = kube as KubeEmulator;
  return new Promise((resolve, reject) => {
    const url = new URL(apiPath, k.url);
    const text = JSON.stringify(body);
    const req = request(
      url,
      {
        method: 'PATCH',
        ca: k.caPem,
        headers: {
          authorization: `Bearer ${k.token}`,
          'content-type': 'application/merge-patch+json',
          'content-length': Buffer.byteLength(text),
        },
      },
      (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      },
    );
    req.on('error', reject);
    req.end(text);
  });
}

function tenantRow(page: Page) {
  return page.getByRole('table', { name: 'Tenants' }).getByRole('row').filter({ hasText: TENANT });
}

test('an administrator imports a cluster, provisions a tenant with a MIG quota, finds its drift, fixes it and decommissions it', async ({
  page,
}, testInfo) => {
  test.setTimeout(240_000);
  if (!harness || !kube) throw new Error('the harness or the Kubernetes emulator did not start');
  const refusals: string[] = [];
  page.on('console', (message) => {
    if (/Refused to|Content Security Policy.*violat/i.test(message.text())) refusals.push(message.text());
  });

  await test.step('first run', async () => {
    await firstRun(page, harness!.url);
  });

  await test.step('Clusters: import the lab kubeconfig, pasted', async () => {
    await nav(page, 'Clusters').click();
    await expect(heading(page, 'Clusters')).toBeVisible();
    await expect(page.getByRole('region', { name: 'No clusters imported' })).toBeVisible();
    // From the command palette, as every console action can be reached.
    await page.keyboard.press('Control+K');
    await page.keyboard.type('import a kubeconfig');
    await page.keyboard.press('Enter');
    const dialog = page.getByRole('dialog', { name: 'Import a kubeconfig' });
    await expect(dialog.getByLabel('Kubeconfig file')).toBeFocused();
    const paste = dialog.getByLabel('Or paste the kubeconfig');
    await expect(paste).toBeVisible();
    await dialog.getByRole('button', { name: 'Show contexts' }).click();
    await expect(dialog.getByText('choose a kubeconfig file or paste its text')).toBeVisible();

    // First with TLS verification turned off: refused before anything connects, with what to do.
    const insecure = kube!.kubeconfig.replace(
      /certificate-authority-data: .*/,
      'insecure-skip-tls-verify: true',
    );
    await paste.fill(insecure);
    await dialog.getByRole('button', { name: 'Show contexts' }).click();
    await dialog.getByRole('button', { name: 'Import 1 context' }).click();
    const refused = dialog.getByRole('alert').filter({ hasText: 'Nothing was imported' });
    await expect(refused).toContainText('insecure-skip-tls-verify', { timeout: 15_000 });
    await snap(page, testInfo, 'clusters-import-refused.png');
    await dialog.getByRole('button', { name: 'Back' }).click();

    await paste.fill(kube!.kubeconfig);
    await dialog.getByRole('button', { name: 'Show contexts' }).click();
    // The current context is chosen; the client-certificate one is offered but not chosen.
    const current = dialog.getByRole('checkbox', { name: /^enclave-lab \(current\)/ });
    await expect(current).toBeChecked({ timeout: 15_000 });
    await expect(dialog.getByRole('checkbox', { name: /^enclave-lab-cert/ })).not.toBeChecked();
    await expect(dialog.getByLabel('OIDC group prefix')).toHaveValue('oidc:');
    await dialog.getByLabel('Cluster name (optional)').fill(CLUSTER);
    await snap(page, testInfo, 'clusters-import.png');
    await dialog.getByRole('button', { name: 'Import 1 context' }).click();
    const result = dialog.getByRole('region', { name: 'Import result' });
    await expect(result.getByText('Imported 1 cluster')).toBeVisible({ timeout: 30_000 });
    await expect(result).toContainText(`${CLUSTER} from context enclave-lab`);
    await result.getByRole('button', { name: 'Close' }).click();
    await expect(dialog).toBeHidden();
  });

  await test.step('the cluster view: version, GPU Operator, nodes and their GPU and MIG resources', async () => {
    await expect(page).toHaveURL(new RegExp(`#/clusters/${CLUSTER}$`));
    const view = page.getByRole('region', { name: `Cluster ${CLUSTER}` });
    await expect(view.getByText('present', { exact: true })).toBeVisible({ timeout: 30_000 });
    const nodes = view.getByRole('table', { name: `Nodes of ${CLUSTER}` });
    await expect(nodes.locator('tbody tr')).toHaveCount(2);
    const migNode = nodes.getByRole('row').filter({ hasText: 'gpu-mig-01' });
    await expect(migNode).toContainText('ready');
    await expect(migNode).toContainText('mixed');
    await expect(migNode).toContainText('all-1g');
    const totals = view.getByRole('list', { name: `GPU resource totals on ${CLUSTER}` });
    await expect(totals.getByRole('listitem').filter({ hasText: 'nvidia.com/mig-1g.10gb' })).toContainText(
      '14',
    );
    await expect(totals.getByRole('listitem').filter({ hasText: 'nvidia.com/gpu' })).toContainText('4');
    const resources = view.getByRole('table', { name: `GPU resources by node on ${CLUSTER}` });
    await expect(resources.getByRole('row', { name: /gpu-mig-01 mig-1g\.10gb 14 14/ })).toBeVisible();
    const reserved = view.getByRole('table', { name: `GPU reservations on ${CLUSTER}` });
    await expect(reserved.getByRole('row', { name: /nvidia\.com\/mig-1g\.10gb 14 .* 0 14$/ })).toBeVisible();
    await snap(page, testInfo, 'cluster-view.png');
  });

  await test.step('Tenants: the wizard, step by step, with a MIG quota and egress CIDRs', async () => {
    await nav(page, 'Tenants').click();
    await expect(heading(page, 'Tenants')).toBeVisible();
    await page.keyboard.press('Control+K');
    await page.keyboard.type('plan a tenant');
    await page.keyboard.press('Enter');
    const wizard = page.getByRole('region', { name: 'New tenant' });
    await expect(wizard.getByLabel('Cluster', { exact: true })).toHaveValue(CLUSTER);
    const next = wizard.getByRole('button', { name: 'Next' });

    // Identity: Next with nothing filled in says what is missing.
    await next.click();
    await expect(wizard.getByText('required').first()).toBeVisible();
    await wizard.getByLabel('Tenant name', { exact: true }).fill(TENANT);
    await wizard.getByLabel('Organisation', { exact: true }).fill('Agence Exemple de Recherche');
    await wizard.getByLabel('Contact 1 name', { exact: true }).fill('Camille Martin');
    await wizard.getByLabel('Contact 1 email', { exact: true }).fill('camille.martin@agence.example');
    await next.click();

    // Access
    await expect(wizard.getByRole('heading', { name: 'Access' })).toBeFocused();
    await wizard.getByLabel('Group 1', { exact: true }).fill('tenant-a/admins');
    await wizard.getByRole('button', { name: 'Add group' }).click();
    await wizard.getByLabel('Group 2', { exact: true }).fill('tenant-a/researchers');
    await expect(wizard.getByLabel('Role of group 2', { exact: true })).toHaveValue('developer');
    await next.click();

    // Quotas, with two slices of 1g.10gb
    await wizard.getByLabel('CPU', { exact: true }).fill('16');
    await wizard.getByLabel('Memory', { exact: true }).fill('64Gi');
    await wizard.getByLabel('Storage', { exact: true }).fill('1Ti');
    await wizard.getByLabel('Pods', { exact: true }).fill('fifty');
    await wizard.getByLabel('Whole GPUs', { exact: true }).fill('1');
    await wizard.getByRole('button', { name: 'Add MIG profile' }).click();
    await expect(
      wizard.getByLabel('MIG profile 1', { exact: true }),
      'a row added takes the focus',
    ).toBeFocused();
    await wizard.getByLabel('MIG profile 1', { exact: true }).fill('1g.10gb');
    await wizard.getByLabel('MIG slices 1', { exact: true }).fill('2');
    await next.click();
    await expect(wizard.getByText('must be a whole number')).toBeVisible();
    await wizard.getByLabel('Pods', { exact: true }).fill('50');
    await snap(page, testInfo, 'tenant-wizard-quotas.png');
    await next.click();

    // Placement
    await wizard.getByRole('button', { name: 'Add GPU product' }).click();
    await wizard.getByLabel('GPU product 1', { exact: true }).fill('NVIDIA-H100-80GB-HBM3');
    await next.click();

    // Residency: a CIDR with host bits set is refused with the network meant.
    await wizard.getByLabel('Residency zone', { exact: true }).fill('eu-fr');
    await wizard.getByRole('button', { name: 'Add CIDR' }).click();
    await wizard.getByLabel('CIDR 1', { exact: true }).fill('10.40.0.1/16');
    await expect(wizard.getByText('has host bits set: the network is 10.40.0.0/16')).toBeVisible();
    await wizard.getByLabel('CIDR 1', { exact: true }).fill('10.40.0.0/16');
    await wizard.getByRole('button', { name: 'Add CIDR' }).click();
    await wizard.getByLabel('CIDR 2', { exact: true }).fill('fd00:40::/32');
    await expect(wizard.getByText(/has host bits set/)).toBeHidden();
    await next.click();

    // Registries
    await wizard.getByRole('button', { name: 'Add registry' }).click();
    await wizard.getByLabel('Registry 1', { exact: true }).fill('registry.enclave.example');
    await next.click();

    // Review: valid, and the YAML says what was chosen.
    await expect(wizard.getByText('The spec is valid.')).toBeVisible();
    const yaml = wizard.getByLabel('Tenant spec YAML');
    await expect(yaml).toContainText(`name: ${TENANT}`);
    await expect(yaml).toContainText(`cluster: ${CLUSTER}`);
    await expect(yaml).toContainText('1g.10gb: 2');
    await expect(yaml).toContainText('- 10.40.0.0/16');

    // The YAML tab shows the same spec, editable, checked as it is typed.
    await wizard.getByRole('button', { name: 'YAML', exact: true }).click();
    const text = wizard.getByLabel('Tenant spec (YAML)');
    await expect(text).toHaveValue(/1g\.10gb: 2/);
    await wizard.getByRole('button', { name: 'Form', exact: true }).click();
    await expect(wizard.getByText('The spec is valid.')).toBeVisible();
  });

  const wizard = page.getByRole('region', { name: 'New tenant' });
  const plan = wizard.getByRole('region', { name: `Plan on ${CLUSTER}` });

  await test.step('the plan: every object to create, the GPU capacity', async () => {
    await wizard.getByRole('button', { name: `Plan on ${CLUSTER}` }).click();
    const objects = plan.getByRole('list', { name: `Objects of ${TENANT}` });
    await expect(objects).toBeVisible({ timeout: 30_000 });
    await expect(plan.getByText(/objects: \d+ to create/)).toBeVisible();
    await expect(objects.getByRole('listitem', { name: `Namespace ${TENANT}` })).toContainText('create');
    await expect(
      objects.getByRole('listitem', { name: `ResourceQuota ${TENANT}/tenant-quota` }),
    ).toContainText('create');
    const capacity = plan.getByRole('table', { name: `GPU capacity on ${CLUSTER}` });
    await expect(capacity.getByRole('row', { name: /nvidia\.com\/mig-1g\.10gb 14 .* 2 12$/ })).toBeVisible();
    await expect(capacity.getByRole('row', { name: /nvidia\.com\/gpu 4 .* 1 3$/ })).toBeVisible();
    await plan.scrollIntoViewIfNeeded();
    await snap(page, testInfo, 'tenant-plan.png');
  });

  await test.step('apply: confirm, progress, verified; healthy in the list', async () => {
    await plan.getByRole('button', { name: 'Apply plan…' }).click();
    const confirm = page.getByRole('dialog', { name: `Apply tenant ${TENANT}?` });
    await expect(confirm).toContainText(`create Namespace ${TENANT}`);
    await confirm.getByRole('button', { name: 'Apply tenant' }).click();
    const result = plan.getByRole('region', { name: 'Apply result' });
    await expect(result.getByText('verified', { exact: true })).toBeVisible({ timeout: 60_000 });
    await expect(
      plan
        .getByRole('list', { name: `Objects of ${TENANT}` })
        .getByText('applied')
        .first(),
    ).toBeVisible();
    await result.scrollIntoViewIfNeeded();
    await snap(page, testInfo, 'tenant-applied.png');
    await expect(tenantRow(page).getByText('healthy', { exact: true })).toBeVisible({ timeout: 15_000 });
    await wizard.getByRole('button', { name: 'Close wizard' }).click();
  });

  await test.step('behind the console: the quota and a namespace label changed on the cluster', async () => {
    if (await kubectlOnPath()) {
      await kubectl([
        'patch',
        'resourcequota',
        'tenant-quota',
        '-n',
        TENANT,
        '--type',
        'merge',
        '-p',
        JSON.stringify({ spec: { hard: { 'requests.nvidia.com/mig-1g.10gb': '6' } } }),
      ]);
      await kubectl(['label', 'namespace', TENANT, 'tenancy.enclave.io/residency=us-east', '--overwrite']);
    } else {
      console.log('kubectl is not on PATH: making the same changes with plain HTTPS merge patches');
      expect(
        await mergePatch(`/api/v1/namespaces/${TENANT}/resourcequotas/tenant-quota`, {
          spec: { hard: { 'requests.nvidia.com/mig-1g.10gb': '6' } },
        }),
      ).toBe(200);
      expect(
        await mergePatch(`/api/v1/namespaces/${TENANT}`, {
          metadata: { labels: { 'tenancy.enclave.io/residency': 'us-east' } },
        }),
      ).toBe(200);
    }
  });

  await test.step('Check drift: the changed fields, and drifted in the list', async () => {
    await tenantRow(page)
      .getByRole('button', { name: `Check drift of ${TENANT}` })
      .click();
    const drift = page.getByRole('region', { name: `Drift of ${TENANT} on ${CLUSTER}` });
    await expect(drift.getByText('2 objects drifted since the last apply')).toBeVisible({ timeout: 30_000 });
    const changes = drift.getByRole('list', { name: `Drift of ${TENANT}` });
    const quota = changes.getByRole('listitem', { name: `ResourceQuota ${TENANT}/tenant-quota` });
    await expect(quota).toContainText('changed');
    await expect(
      quota.getByRole('row', { name: /spec\.hard\["requests\.nvidia\.com\/mig-1g\.10gb"\] 2 6/ }),
    ).toBeVisible();
    const namespace = changes.getByRole('listitem', { name: `Namespace ${TENANT}` });
    await expect(
      namespace.getByRole('row', { name: /tenancy\.enclave\.io\/residency.* eu-fr us-east/ }),
    ).toBeVisible();
    await expect(tenantRow(page).getByText('drifted', { exact: true })).toBeVisible({ timeout: 15_000 });
    await expect(tenantRow(page)).toContainText('2 objects');
    await drift.scrollIntoViewIfNeeded();
    await snap(page, testInfo, 'tenant-drift.png');
  });

  const edit = page.getByRole('region', { name: `Edit tenant ${TENANT}` });
  const toReview = async () => {
    for (let i = 0; i < 4; i++) await edit.getByRole('button', { name: 'Next' }).click();
    await expect(edit.getByText('The spec is valid.')).toBeVisible();
  };

  await test.step('Edit: 20 slices of 1g.10gb where the cluster offers 14 is shown over-committed, with the numbers, and cannot be applied', async () => {
    await tenantRow(page)
      .getByRole('button', { name: `Edit ${TENANT}` })
      .click();
    await expect(edit.getByLabel('Tenant name', { exact: true })).toHaveValue(TENANT, { timeout: 15_000 });
    await expect(edit.getByLabel('Cluster', { exact: true })).toBeDisabled();
    await edit.getByRole('button', { name: 'Next' }).click();
    await edit.getByRole('button', { name: 'Next' }).click();
    await expect(edit.getByLabel('MIG slices 1', { exact: true })).toHaveValue('2');
    await edit.getByLabel('MIG slices 1', { exact: true }).fill('20');
    await toReview();
    await edit.getByRole('button', { name: `Plan on ${CLUSTER}` }).click();
    const refused = edit.getByText('GPU capacity is over-committed').locator('..');
    await expect(refused).toBeVisible({ timeout: 30_000 });
    await expect(
      edit.getByText(/asks for 20, other tenants hold 0, cluster lab offers 14 \(6 too many\)/),
    ).toBeVisible();
    await expect(edit.getByRole('button', { name: 'Apply plan…' })).toBeDisabled();
    await refused.scrollIntoViewIfNeeded();
    await snap(page, testInfo, 'tenant-overcommit.png');
  });

  await test.step('Edit: 3 slices; the plan puts the drifted fields back; apply; no drift left', async () => {
    for (let i = 0; i < 4; i++) await edit.getByRole('button', { name: 'Back' }).click();
    await edit.getByLabel('MIG slices 1', { exact: true }).fill('3');
    await toReview();
    await edit.getByRole('button', { name: `Plan on ${CLUSTER}` }).click();
    const replan = edit.getByRole('region', { name: `Plan on ${CLUSTER}` });
    const objects = replan.getByRole('list', { name: `Objects of ${TENANT}` });
    const quota = objects.getByRole('listitem', { name: `ResourceQuota ${TENANT}/tenant-quota` });
    await expect(quota).toContainText('update', { timeout: 30_000 });
    await expect(
      quota.getByRole('row', { name: /spec\.hard\["requests\.nvidia\.com\/mig-1g\.10gb"\] 6 3/ }),
    ).toBeVisible();
    const namespace = objects.getByRole('listitem', { name: `Namespace ${TENANT}` });
    await expect(
      namespace.getByRole('row', { name: /tenancy\.enclave\.io\/residency.* us-east eu-fr/ }),
    ).toBeVisible();
    await replan.getByRole('button', { name: 'Apply plan…' }).click();
    await page
      .getByRole('dialog', { name: `Apply tenant ${TENANT}?` })
      .getByRole('button', { name: 'Apply tenant' })
      .click();
    await expect(
      replan.getByRole('region', { name: 'Apply result' }).getByText('verified', { exact: true }),
    ).toBeVisible({ timeout: 60_000 });
    await edit.getByRole('button', { name: 'Close wizard' }).click();
    await tenantRow(page)
      .getByRole('button', { name: `Check drift of ${TENANT}` })
      .click();
    const drift = page.getByRole('region', { name: `Drift of ${TENANT} on ${CLUSTER}` });
    await expect(drift.getByText('No drift')).toBeVisible({ timeout: 30_000 });
    await expect(tenantRow(page).getByText('healthy', { exact: true })).toBeVisible({ timeout: 15_000 });
    await drift.getByRole('button', { name: 'Close drift' }).click();
  });

  await test.step('Decommission: the name typed to confirm, progress, gone', async () => {
    await tenantRow(page)
      .getByRole('button', { name: `Decommission ${TENANT}` })
      .click();
    const dialog = page.getByRole('dialog', { name: `Decommission ${TENANT}?` });
    const confirm = dialog.getByRole('button', { name: `Decommission ${TENANT}` });
    await expect(confirm).toBeDisabled();
    await dialog.getByLabel(`Type ${TENANT} to confirm`).fill('tenant');
    await expect(confirm).toBeDisabled();
    await dialog.getByLabel(`Type ${TENANT} to confirm`).fill(TENANT);
    await confirm.click();
    await expect(dialog.getByText(`Tenant ${TENANT} is gone`, { exact: true })).toBeVisible({
      timeout: 60_000,
    });
    await expect(dialog.getByRole('list', { name: 'Decommission progress' })).toContainText(
      `deleting namespace ${TENANT}`,
    );
    await snap(page, testInfo, 'tenant-decommissioned.png');
    await dialog.getByRole('button', { name: 'Close' }).last().click();
    await expect(page.getByRole('region', { name: 'No tenants yet' })).toBeVisible({ timeout: 15_000 });
  });

  expect(refusals, 'the page broke its Content Security Policy').toEqual([]);
});
