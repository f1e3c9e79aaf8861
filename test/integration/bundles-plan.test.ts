import { describe, expect, it } from 'vitest';
import { compareVersions } from '../../offline-bundles/manifest';
import {
  bundlePlanDigest,
  hostCommands,
  hostPackagesLayout,
  kindRefusal,
  parseManifestObjects,
  planFiles,
  planHostPackages,
  unsupportedKind,
  type ManifestLike,
} from '../../electron/core/bundles/plan';
import { progressMeter } from '../../electron/core/bundles/service';
import type { VerifyProgress } from '../../shared/api';

/** The pure planners behind bundle installs, with tables of cases (no I/O). */
const file = (p: string, size = 10) => ({ path: p, size, sha256: 'a'.repeat(64), mode: 0o644 });
const manifest = (kind: string, paths: string[]): ManifestLike => ({
  name: 'demo',
  kind,
  version: '1.2.0',
  files: paths.map((p) => file(p)),
});

describe('compareVersions', () => {
  it.each([
    ['1.10.0', '1.9.9', 1],
    ['1.0', '1.0.0', 0],
    ['2.0.0', '10.0.0', -1],
    ['0.0.1', '0.0.0.9', 1],
  ])('%s vs %s is %i', (a, b, expected) => expect(compareVersions(a, b)).toBe(expected));
});

describe('host-packages layout and commands', () => {
  it.each([
    [['a.deb', 'b.deb'], { debs: ['a.deb', 'b.deb'], rpms: [], script: undefined, problems: 0 }],
    [['x.rpm'], { debs: [], rpms: ['x.rpm'], script: undefined, problems: 0 }],
    [
      ['install.sh', 'a.deb', 'b.rpm'],
      { debs: ['a.deb'], rpms: ['b.rpm'], script: 'install.sh', problems: 0 },
    ],
    [['a.deb', 'b.rpm'], { debs: ['a.deb'], rpms: ['b.rpm'], script: undefined, problems: 1 }],
    [['README.md'], { debs: [], rpms: [], script: undefined, problems: 1 }],
    [['sub/install.sh'], { debs: [], rpms: [], script: undefined, problems: 1 }],
  ])('%j', (paths, expected) => {
    const l = hostPackagesLayout(manifest('host-packages', paths));
    expect({ debs: l.debs, rpms: l.rpms, script: l.script, problems: l.problems.length }).toEqual(expected);
  });

  it('runs the script with --dry-run first, in the scratch folder, with the bundle named', () => {
    const l = hostPackagesLayout(manifest('host-packages', ['install.sh', 'a.deb']));
    const c = hostCommands(l, { name: 'demo', version: '1.2.0' }, '/tmp/enclave-bundle-x');
    expect(c.dryRun).toBe(
      'cd /tmp/enclave-bundle-x && ENCLAVE_BUNDLE=demo ENCLAVE_BUNDLE_VERSION=1.2.0 ENCLAVE_BUNDLE_DIR=/tmp/enclave-bundle-x sh ./install.sh --dry-run',
    );
    expect(c.install).toBe(c.dryRun.replace(/ --dry-run$/, ''));
  });

  it('simulates debs with apt-get (dpkg --dry-run without apt) and installs as root or with sudo -n', () => {
    const l = hostPackagesLayout(manifest('host-packages', ["it's.deb"]));
    const c = hostCommands(l, { name: 'demo', version: '1' }, '/d');
    expect(c.dryRun).toContain(`apt-get install --simulate --no-download './it'\\''s.deb'`);
    expect(c.dryRun).toContain(`dpkg --dry-run -i './it'\\''s.deb'`);
    expect(c.install).toContain('SUDO="sudo -n"');
    expect(c.install).toContain('$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-download');
  });

  it('tests rpms with rpm -U --test', () => {
    const c = hostCommands(
      hostPackagesLayout(manifest('host-packages', ['x.rpm'])),
      { name: 'd', version: '1' },
      '/d',
    );
    expect(c.dryRun).toBe('cd /d && rpm -U --test ./x.rpm');
    expect(c.install).toMatch(/\$SUDO rpm -U \.\/x\.rpm$/);
  });

  it('plans one step per host', () => {
    const m = manifest('host-packages', ['a.deb']);
    const steps = planHostPackages(m, hostPackagesLayout(m), ['gpu-01', 'gpu-02']);
    expect(steps.map((s) => [s.target, s.action])).toEqual([
      ['host gpu-01', 'copy 1 file (10 B) by SFTP, then install a.deb (demo 1.2.0)'],
      ['host gpu-02', 'copy 1 file (10 B) by SFTP, then install a.deb (demo 1.2.0)'],
    ]);
  });
});

describe('k8s manifests', () => {
  it('reads multi-document YAML, JSON and Lists, CRDs and namespaces first, file then document order', () => {
    const { objects, problems } = parseManifestObjects([
      {
        path: 'b.yaml',
        text: 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c, namespace: n}\n---\n---\napiVersion: v1\nkind: Namespace\nmetadata: {name: n}\n',
      },
      {
        path: 'a.json',
        text: JSON.stringify({
          kind: 'List',
          apiVersion: 'v1',
          items: [{ apiVersion: 'v1', kind: 'Secret', metadata: { name: 's', namespace: 'n' } }],
        }),
      },
      {
        path: 'c.yml',
        text: 'apiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\nmetadata: {name: x.y}\n',
      },
      { path: 'notes.txt', text: 'not: [yaml' },
    ]);
    expect(problems).toEqual([]);
    expect(objects.map((o) => `${o.kind}/${o.metadata.name}`)).toEqual([
      'CustomResourceDefinition/x.y',
      'Namespace/n',
      'Secret/s',
      'ConfigMap/c',
    ]);
  });

  it.each([
    ['a.yaml', 'kind: ConfigMap\nmetadata: {name: x}\n', /not a Kubernetes object/],
    ['a.yaml', 'apiVersion: v1\nkind: [\n', /not valid YAML/],
    [
      'a.yaml',
      'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\n---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\n',
      /ConfigMap x appears twice/,
    ],
  ])('names the problem in %s: %j', (p, text, problem) => {
    expect(parseManifestObjects([{ path: p, text }]).problems.join('\n')).toMatch(problem);
  });
});

describe('kinds, roles and the plan digest', () => {
  it.each([
    ['files', ['operator'], null],
    ['host-packages', ['tenant-admin'], /needs one of: operator, admin/],
    ['k8s-manifests', ['operator'], /needs one of: tenant-admin, admin/],
    ['k8s-manifests', ['viewer', 'tenant-admin'], null],
    ['console-upgrade', ['operator', 'tenant-admin'], /needs one of: admin$/],
    ['something-new', ['operator'], /needs one of: admin$/],
  ])('%s for %j', (kind, roles, expected) => {
    const r = kindRefusal(kind, roles);
    if (expected === null) expect(r).toBeNull();
    else expect(r).toMatch(expected);
  });

  it('installs the known kinds and says plainly when one is not supported', () => {
    for (const k of ['files', 'host-packages', 'k8s-manifests', 'oci-images', 'console-upgrade'])
      expect(unsupportedKind(k)).toBeUndefined();
    expect(unsupportedKind('firmware')).toMatch(/^firmware bundles cannot be installed by this console yet/);
  });

  it('the digest changes with the targets, the steps and whether a step is blocked, not with dry-run wording', () => {
    const steps = planFiles(manifest('files', ['a', 'b']));
    const base = { manifestSha256: 'f'.repeat(64), kind: 'files', targets: {}, steps };
    const d = bundlePlanDigest(base);
    expect(d).toMatch(/^[0-9a-f]{64}$/);
    expect(bundlePlanDigest({ ...base, steps: steps.map((s) => ({ ...s, detail: 'other words' })) })).toBe(d);
    expect(bundlePlanDigest({ ...base, targets: { hosts: ['x'] } })).not.toBe(d);
    expect(bundlePlanDigest({ ...base, steps: steps.map((s) => ({ ...s, blocked: true })) })).not.toBe(d);
    expect(bundlePlanDigest({ ...base, manifestSha256: 'e'.repeat(64) })).not.toBe(d);
  });
});

describe('progress meter', () => {
  it('reports bytes, rate and ETA at most every 100 ms, and always the last', () => {
    let clock = 0;
    const events: VerifyProgress[] = [];
    const meter = progressMeter(
      'verifying',
      1000,
      (e) => events.push(e),
      () => clock,
    );
    clock = 100;
    meter(100);
    clock = 150;
    meter(150); // too soon: dropped
    clock = 500;
    meter(500);
    clock = 900;
    meter(1000, true);
    expect(events.map((e) => e.bytes)).toEqual([100, 500, 1000]);
    expect(events[0]).toEqual({
      phase: 'verifying',
      bytes: 100,
      totalBytes: 1000,
      rate: 1000,
      etaSeconds: 0.9,
    });
    expect(events[1]).toMatchObject({ rate: 1000, etaSeconds: 0.5 });
    expect(events[2]?.etaSeconds).toBe(0);
  });
});
