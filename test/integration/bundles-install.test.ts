import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { createServer } from 'node:net';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ConsoleClient } from '../../shared/client';
import type { ConsoleError } from '../../shared/errors';
import { labDown, labUp, type LabHost, type LabState } from '../lab/site';
import { seedDefaultGpus } from '../lab/site/gpu-profiles';
import { testCluster, type TestCluster } from '../support/cluster';
import { ADMIN, openTestCore, type TestCore } from '../support/core';
import { makeBundle, makeSigner, type TestSigner } from './bundles-fixtures';

/**
 * Installing bundles for real: host-packages on lab hosts over SSH (a tiny .deb built here with
 * dpkg-deb, copied by SFTP, dry-run, then installed with dpkg into each lab host's own root), and
 * k8s-manifests on the lab's Kubernetes API emulator (or ENCLAVE_TEST_KUBECONFIG's cluster) with a
 * server-side-apply dry-run diff first. Plans are shown before install; install checks the digest.
 */
const work = mkdtempSync(path.join(tmpdir(), 'enclave-bundles-install-'));
chmodSync(work, 0o711); // the lab's login user must reach its host directories
let t: TestCore;
let admin: ConsoleClient;
let alice: TestSigner;
const now = () => t.clock.now();
const failure = (p: Promise<unknown>) =>
  p.then(
    () => {
      throw new Error('expected a refusal');
    },
    (e: ConsoleError) => e,
  );

beforeAll(async () => {
  t = await openTestCore();
  t.clock.ms = Date.now(); // the emulator's certificates are issued now
  admin = t.connect();
  await admin.call('session.signIn', { operator: ADMIN.name, passphrase: ADMIN.passphrase });
  alice = makeSigner(work, 'alice');
  await admin.call('bundles.trustAddSigner', { name: 'alice', publicKey: alice.publicKey });
});
afterAll(() => {
  t?.close();
  rmSync(work, { recursive: true, force: true });
});

const sshd = existsSync('/usr/sbin/sshd');
const dpkgDeb = existsSync('/usr/bin/dpkg-deb') && existsSync('/usr/bin/dpkg');
const hostReason = !sshd
  ? 'no /usr/sbin/sshd (apt-get install openssh-server)'
  : !dpkgDeb
    ? 'no dpkg-deb/dpkg to build and install the test package'
    : '';
if (hostReason) console.log(`bundles-install: host-packages on lab hosts skipped here: ${hostReason}`);

/** A .deb with one file, built with dpkg-deb. */
function buildDeb(version: string): Buffer {
  const dir = mkdtempSync(path.join(work, 'deb-'));
  mkdirSync(path.join(dir, 'pkg', 'DEBIAN'), { recursive: true });
  mkdirSync(path.join(dir, 'pkg', 'usr', 'share', 'enclave-hello'), { recursive: true });
  writeFileSync(
    path.join(dir, 'pkg', 'DEBIAN', 'control'),
    `Package: enclave-hello\nVersion: ${version}\nArchitecture: all\nMaintainer: Enclave Test <test@example.invalid>\nDescription: a tiny package for the bundle tests\n`,
  );
  writeFileSync(path.join(dir, 'pkg', 'usr', 'share', 'enclave-hello', 'hello.txt'), `hello ${version}\n`);
  const deb = path.join(dir, 'enclave-hello.deb');
  execFileSync('dpkg-deb', ['--root-owner-group', '--build', path.join(dir, 'pkg'), deb], {
    stdio: 'ignore',
  });
  return readFileSync(deb);
}

/**
 * The bundle's install script: dpkg into the lab host's own root (`$ENCLAVE_LAB_HOST_DIR/sysroot`,
 * as the lab's unprivileged login user), a dry run with --dry-run; a host holding a `refuse` file
 * fails its dry run.
 */
const INSTALL_SH = `#!/bin/sh
set -eu
R="\${ENCLAVE_LAB_HOST_DIR:?this script installs into a lab host's own root}/sysroot"
mkdir -p "$R/var/lib/dpkg/updates" "$R/var/lib/dpkg/info"
touch "$R/var/lib/dpkg/status"
DPKG="dpkg --force-not-root --force-bad-path --root=$R --admindir=$R/var/lib/dpkg --instdir=$R"
if [ "\${1-}" = "--dry-run" ]; then
  if [ -e "$ENCLAVE_LAB_HOST_DIR/refuse" ]; then echo "this host refuses $ENCLAVE_BUNDLE" >&2; exit 4; fi
  $DPKG --dry-run -i ./enclave-hello_1.0_all.deb
  echo "would install enclave-hello into $R"
  exit 0
fi
$DPKG -i ./enclave-hello_1.0_all.deb
echo "installed $ENCLAVE_BUNDLE $ENCLAVE_BUNDLE_VERSION"
`;

describe.skipIf(hostReason !== '')(
  `host-packages on lab hosts${hostReason ? ` (skipped: ${hostReason})` : ''}`,
  () => {
    let lab: LabState;
    const host = (i: number) => lab.hosts[i] as LabHost;
    const installed = (h: LabHost) =>
      path.join(h.hostDir, 'sysroot', 'usr', 'share', 'enclave-hello', 'hello.txt');

    beforeAll(async () => {
      lab = await labUp({ hosts: 2, stateDir: path.join(work, 'lab'), seedHost: seedDefaultGpus });
      console.log(`bundles-install: lab in ${lab.mode} mode (${lab.modeReason})`);
      const key = readFileSync(lab.operatorKey, 'utf8');
      for (const h of lab.hosts) {
        await admin.call('hosts.add', {
          name: h.name,
          address: h.address,
          port: h.port,
          user: h.user,
          privateKey: key,
          labels: h.labels,
          fingerprint: h.fingerprint,
        });
      }
    }, 90_000);
    afterAll(async () => {
      if (lab) await labDown(lab.stateDir);
    }, 60_000);

    it('plans with a dry run on each host (nothing installed), installs over SSH, per-host results, recorded', async () => {
      const b = await makeBundle(work, {
        name: 'hello-pkg',
        kind: 'host-packages',
        version: '1.0.0',
        files: { 'enclave-hello_1.0_all.deb': buildDeb('1.0'), 'install.sh': [INSTALL_SH, 0o755] },
        signers: [alice],
        now: now(),
      });
      const s = await admin.call('bundles.import', { path: b.path });
      const names = [host(0).name, host(1).name];
      const none = await admin.call('bundles.plan', { staged: s.manifestSha256 });
      expect(none.problems).toEqual(['name the hosts to install the packages on']);

      const plan = await admin.call('bundles.plan', { staged: s.manifestSha256, hosts: names });
      expect(plan.problems).toEqual([]);
      expect(plan.steps.map((x) => x.target)).toEqual(names.map((n) => `host ${n}`));
      for (const step of plan.steps) {
        expect(step.action).toMatch(
          /^copy 2 files .* by SFTP, then run install\.sh with enclave-hello_1\.0_all\.deb/,
        );
        expect(step.detail).toMatch(/would install enclave-hello/);
        expect(step.blocked).toBe(false);
      }
      for (const h of lab.hosts) expect(existsSync(installed(h))).toBe(false); // a plan changes nothing

      const events: { target: string; phase: string }[] = [];
      const out = await admin.call(
        'bundles.install',
        { staged: s.manifestSha256, hosts: names, planDigest: plan.planDigest },
        { onEvent: (e) => events.push(e) },
      );
      expect(out.installed).toBe(true);
      expect(out.results.map((r) => [r.target, r.ok])).toEqual(names.map((n) => [`host ${n}`, true]));
      expect(out.results[0]?.detail).toMatch(/installed hello-pkg 1\.0\.0/);
      for (const h of lab.hosts) expect(readFileSync(installed(h), 'utf8')).toBe('hello 1.0\n');
      expect(
        events
          .filter((e) => e.phase === 'done')
          .map((e) => e.target)
          .sort(),
      ).toEqual(names.map((n) => `host ${n}`).sort());
      const entry = t.core.ledger.list({ limit: 1 }).entries[0];
      expect(entry).toMatchObject({
        procedure: 'bundles.install',
        outcome: 'ok',
        result: {
          installed: true,
          results: names.map((n) => expect.objectContaining({ target: `host ${n}`, ok: true })),
        },
      });
      const row = (await admin.call('bundles.list', {})).find((r) => r.name === 'hello-pkg');
      expect(row).toMatchObject({
        version: '1.0.0',
        kind: 'host-packages',
        targets: names.map((n) => `host ${n}`),
      });
      // The scratch folders are gone from the hosts.
      const left = await admin.call('hosts.run', {
        hosts: names,
        command: 'ls -d /tmp/enclave-bundle-* 2>/dev/null | wc -l',
      });
      expect(left.results.map((r) => r.stdout.trim())).toEqual(['0', '0']);
    });

    it('a host whose dry run fails blocks the plan, and install refuses it with that host named', async () => {
      const b = await makeBundle(work, {
        name: 'hello-pkg-two',
        kind: 'host-packages',
        version: '1.0.0',
        files: { 'enclave-hello_1.0_all.deb': buildDeb('1.0'), 'install.sh': [INSTALL_SH, 0o755] },
        signers: [alice],
        now: now(),
      });
      const s = await admin.call('bundles.import', { path: b.path });
      writeFileSync(path.join(host(1).hostDir, 'refuse'), '');
      chmodSync(path.join(host(1).hostDir, 'refuse'), 0o644);
      try {
        const plan = await admin.call('bundles.plan', {
          staged: s.manifestSha256,
          hosts: [host(0).name, host(1).name],
        });
        expect(plan.steps.map((x) => x.blocked)).toEqual([false, true]);
        expect(plan.steps[1]?.detail).toMatch(
          /^the dry run failed \(exit 4\):[\s\S]*this host refuses hello-pkg-two/,
        );
        expect(plan.problems).toHaveLength(1);
        const e = await failure(
          admin.call('bundles.install', {
            staged: s.manifestSha256,
            hosts: [host(0).name, host(1).name],
            planDigest: plan.planDigest,
          }),
        );
        expect(e.message).toMatch(
          new RegExp(`^hello-pkg-two 1\\.0\\.0 cannot be installed: host ${host(1).name}: `),
        );
        expect((await admin.call('bundles.list', {})).map((r) => r.name)).not.toContain('hello-pkg-two');
      } finally {
        rmSync(path.join(host(1).hostDir, 'refuse'), { force: true });
      }
    });

    it('a plain .deb bundle is dry-run with apt-get --simulate', async () => {
      const b = await makeBundle(work, {
        name: 'hello-deb',
        kind: 'host-packages',
        version: '1.0.0',
        files: { 'enclave-hello_1.0_all.deb': buildDeb('1.0') },
        signers: [alice],
        now: now(),
      });
      const plan = await admin.call('bundles.plan', { path: b.path, hosts: [host(0).name] });
      expect(plan.steps[0]?.action).toMatch(/then install enclave-hello_1\.0_all\.deb/);
      expect(plan.steps[0]?.detail).toMatch(/Inst enclave-hello|enclave-hello/);
    });
  },
);

describe('k8s-manifests on a cluster', () => {
  let k: TestCluster;
  let cluster: string;
  const ns = 'bundle-demo';
  const manifests = (greeting: string) => ({
    'manifests/10-config.yaml': `apiVersion: v1
kind: ConfigMap
metadata:
  name: greeting
  namespace: ${ns}
data:
  greeting: ${greeting}
---
apiVersion: v1
kind: ServiceAccount
metadata:
  name: runner
  namespace: ${ns}
`,
    'manifests/00-namespace.yaml': `apiVersion: v1
kind: Namespace
metadata:
  name: ${ns}
`,
    'README.md': 'not a manifest; ignored\n',
  });

  beforeAll(async () => {
    k = await testCluster();
    t.clock.ms = Date.now(); // the emulator's certificates are issued now, not when the core opened
    const imported = await admin.call('clusters.import', { kubeconfig: k.kubeconfig });
    cluster = imported.imported[0]?.name as string;
  }, 60_000);
  afterAll(async () => {
    await k?.close();
  });

  it('plans with a dry-run diff, installs with server-side apply in order, reads back, and plans an update as a field diff', async () => {
    const v1 = await makeBundle(work, {
      name: 'demo-app',
      kind: 'k8s-manifests',
      version: '1.0.0',
      files: manifests('hello'),
      signers: [alice],
      now: now(),
    });
    const s = await admin.call('bundles.import', { path: v1.path });
    const plan = await admin.call('bundles.plan', { staged: s.manifestSha256, cluster });
    expect(plan.problems).toEqual([]);
    expect(plan.steps.map((x) => x.action)).toEqual([
      `create Namespace ${ns}`,
      `create ServiceAccount ${ns}/runner`,
      `create ConfigMap ${ns}/greeting`,
    ]);
    expect(plan.objects.map((o) => o.action)).toEqual(['create', 'create', 'create']);
    const out = await admin.call('bundles.install', {
      staged: s.manifestSha256,
      cluster,
      planDigest: plan.planDigest,
    });
    expect(out.installed).toBe(true);
    expect(out.results).toEqual([
      expect.objectContaining({
        target: `cluster ${cluster}`,
        ok: true,
        detail: expect.stringMatching(/^applied and read back 3 objects/),
      }),
    ]);
    const again = await admin.call('bundles.plan', { staged: s.manifestSha256, cluster });
    expect(again.objects.map((o) => o.action)).toEqual(['unchanged', 'unchanged', 'unchanged']);

    const v2 = await makeBundle(work, {
      name: 'demo-app',
      kind: 'k8s-manifests',
      version: '1.1.0',
      files: manifests('bonjour'),
      signers: [alice],
      now: now(),
    });
    const plan2 = await admin.call('bundles.plan', { path: v2.path, cluster });
    const cm = plan2.objects.find((o) => o.object.kind === 'ConfigMap');
    expect(cm).toMatchObject({
      action: 'update',
      fields: [{ path: 'data.greeting', before: 'hello', after: 'bonjour' }],
    });
    expect(plan2.installedVersion).toBe('1.0.0');
  });

  it('an object the cluster refuses blocks the plan and nothing is applied', async () => {
    const bad = await makeBundle(work, {
      name: 'bad-app',
      kind: 'k8s-manifests',
      version: '1.0.0',
      files: {
        'all.yaml': `apiVersion: v1
kind: ConfigMap
metadata:
  name: fine
  namespace: default
data:
  a: b
---
apiVersion: v1
kind: ResourceQuota
metadata:
  name: broken
  namespace: default
spec:
  hard: not-a-map
`,
      },
      signers: [alice],
      now: now(),
    });
    const s = await admin.call('bundles.import', { path: bad.path });
    const plan = await admin.call('bundles.plan', { staged: s.manifestSha256, cluster });
    expect(plan.steps.map((x) => x.blocked)).toEqual([false, true]);
    expect(plan.problems[0]).toMatch(/the cluster refuses ResourceQuota default\/broken/);
    const e = await failure(
      admin.call('bundles.install', { staged: s.manifestSha256, cluster, planDigest: plan.planDigest }),
    );
    expect(e.message).toMatch(/^bad-app 1\.0\.0 cannot be installed/);
    const cms = await admin.call('bundles.plan', { staged: s.manifestSha256, cluster });
    expect(cms.objects[0]?.action).toBe('create'); // the good object was not applied either
  });
});

const REGISTRY_BIN = '/usr/bin/docker-registry';
const registryReason = existsSync(REGISTRY_BIN) ? '' : `no ${REGISTRY_BIN} (apt-get install docker-registry)`;
if (registryReason)
  console.log(`bundles-install: oci-images into a registry skipped here: ${registryReason}`);

/** A one-image OCI layout (config, one layer, manifest, index.json naming tag v1) as bundle files. */
function ociLayoutFiles(): Record<string, Buffer | string> {
  const files: Record<string, Buffer | string> = {
    'oci-layout': JSON.stringify({ imageLayoutVersion: '1.0.0' }),
  };
  const blob = (bytes: Buffer, mediaType: string) => {
    const hex = createHash('sha256').update(bytes).digest('hex');
    files[`blobs/sha256/${hex}`] = bytes;
    return { mediaType, digest: `sha256:${hex}`, size: bytes.length };
  };
  const layer = blob(randomBytes(64 * 1024), 'application/vnd.oci.image.layer.v1.tar+gzip');
  const config = blob(
    Buffer.from(
      JSON.stringify({ architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: [] } }),
    ),
    'application/vnd.oci.image.config.v1+json',
  );
  const manifest = blob(
    Buffer.from(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: 'application/vnd.oci.image.manifest.v1+json',
        config,
        layers: [layer],
      }),
    ),
    'application/vnd.oci.image.manifest.v1+json',
  );
  files['index.json'] = JSON.stringify({
    schemaVersion: 2,
    mediaType: 'application/vnd.oci.image.index.v1+json',
    manifests: [{ ...manifest, annotations: { 'org.opencontainers.image.ref.name': 'v1' } }],
  });
  return files;
}

describe.skipIf(registryReason !== '')(
  `oci-images into a registry on loopback${registryReason ? ` (skipped: ${registryReason})` : ''}`,
  () => {
    let registry: ChildProcess | undefined;
    let url: string;
    beforeAll(async () => {
      const dir = mkdtempSync(path.join(work, 'registry-'));
      const port = await new Promise<number>((resolve) => {
        const s = createServer().listen(0, '127.0.0.1', () => {
          const p = (s.address() as { port: number }).port;
          s.close(() => resolve(p));
        });
      });
      writeFileSync(
        path.join(dir, 'config.yml'),
        `version: 0.1\nlog:\n  level: error\n  accesslog:\n    disabled: true\nstorage:\n  filesystem:\n    rootdirectory: ${dir}/data\nhttp:\n  addr: 127.0.0.1:${port}\n`,
      );
      registry = spawn(REGISTRY_BIN, ['serve', path.join(dir, 'config.yml')], { stdio: 'ignore' });
      url = `http://127.0.0.1:${port}`;
      for (let i = 0; i < 300; i++) {
        const up = await fetch(`${url}/v2/`).then(
          (r) => r.status === 200,
          () => false,
        );
        if (up) return;
        await new Promise((r) => setTimeout(r, 50));
      }
      throw new Error('docker-registry did not answer on /v2/');
    }, 30_000);
    afterAll(() => {
      registry?.kill('SIGTERM');
    });

    it('plans the push, pushes through bundles.install, reads back, and a second plan skips everything', async () => {
      const b = await makeBundle(work, {
        name: 'app-images',
        kind: 'oci-images',
        version: '1.0.0',
        files: Object.fromEntries(Object.entries(ociLayoutFiles()).map(([p, v]) => [`layout/${p}`, v])),
        signers: [alice],
        now: now(),
      });
      const s = await admin.call('bundles.import', { path: b.path });
      const target = { staged: s.manifestSha256, registry: url, repository: 'enclave/app' };
      const plan = await admin.call('bundles.plan', target);
      expect(plan.problems).toEqual([]);
      expect(plan.steps.map((x) => x.action.split(' ').slice(0, 2).join(' '))).toEqual([
        'push blob',
        'push blob',
        'push manifest',
      ]);
      expect(plan.steps.at(-1)?.action).toBe('push manifest enclave/app:v1');
      const out = await admin.call('bundles.install', { ...target, planDigest: plan.planDigest });
      expect(out.installed).toBe(true);
      expect(out.results[0]?.detail).toMatch(/^pushed 3, mounted 0, already there 0; read back/);
      const tags = (await (await fetch(`${url}/v2/enclave/app/tags/list`)).json()) as { tags: string[] };
      expect(tags.tags).toEqual(['v1']);
      const again = await admin.call('bundles.plan', target);
      expect(again.steps.every((x) => x.action.startsWith('skip '))).toBe(true);
    });
  },
);
