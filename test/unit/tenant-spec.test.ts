import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  TenantSpecError,
  isCanonicalCidr,
  isQuantity,
  parseTenantSpec,
  quantityValue,
} from '../../shared/tenants';

const root = path.resolve(import.meta.dirname, '../..');
const example = readFileSync(path.join(root, 'docs/examples/tenant.yaml'), 'utf8');

function issuesOf(yaml: string): { field: string; line?: number; message: string }[] {
  try {
    parseTenantSpec(yaml);
  } catch (e) {
    expect(e).toBeInstanceOf(TenantSpecError);
    return (e as TenantSpecError).issues;
  }
  throw new Error('spec was accepted');
}

const MINIMAL = `name: lab
organisation: Lab
contacts:
  - name: Ops
    email: ops@lab.example
quotas:
  cpu: 8
  memory: 32Gi
  storage: 1Ti
  pods: 20
`;

describe('tenant spec', () => {
  it('parses the example spec', () => {
    const spec = parseTenantSpec(example);
    expect(spec.name).toBe('tenant-a');
    expect(spec.quotas.mig).toEqual({ '1g.10gb': 4, '3g.40gb': 2 });
    expect(spec.quotas.cpu).toBe('64');
    expect(spec.groups.map((g) => g.role)).toEqual(['tenant-admin', 'developer', 'viewer']);
    expect(spec.placement.runtimeClass).toBe('kata');
    expect(spec.residency.egressCidrs).toEqual(['10.40.0.0/16', 'fd00:40::/32']);
  });

  it('fills defaults for a minimal spec', () => {
    const spec = parseTenantSpec(MINIMAL);
    expect(spec.quotas).toMatchObject({ cpu: '8', gpus: 0, mig: {} });
    expect(spec.residency).toEqual({ egressCidrs: [], dns: {} });
    expect(spec.groups).toEqual([]);
    expect(spec.registries).toEqual([]);
  });

  it('names the field and line of each problem', () => {
    const issues = issuesOf(`name: Tenant_A
organisation: Lab
contacts:
  - name: Ops
    email: not-an-email
quotas:
  cpu: 1x
  memory: 32Gi
  storage: 1Ti
  pods: 1.5
  mig:
    big: 2
residency:
  egressCidrs: [10.0.0.1/8, "fd00::/200", 10.1.0.0/16]
groups:
  - group: g
    role: owner
colour: blue
`);
    const byField = Object.fromEntries(issues.map((i) => [i.field, i]));
    expect(byField['name']).toMatchObject({ line: 1 });
    expect(byField['contacts[0].email']).toMatchObject({ line: 5 });
    expect(byField['quotas.cpu']).toMatchObject({ line: 7 });
    expect(byField['quotas.cpu']?.message).toMatch(/quantity/);
    expect(byField['quotas.pods']).toMatchObject({ line: 10, message: 'must be a whole number' });
    expect(issues.find((i) => i.field.startsWith('quotas.mig'))).toMatchObject({ line: 12 });
    expect(byField['residency.egressCidrs[0]']).toMatchObject({ line: 14 });
    expect(byField['residency.egressCidrs[1]']).toMatchObject({ line: 14 });
    expect(byField['residency.egressCidrs[2]']).toBeUndefined();
    expect(byField['groups[0].role']).toMatchObject({ line: 17 });
    expect(byField['groups[0].role']?.message).toMatch(/tenant-admin, developer, viewer/);
    expect(issues.some((i) => i.message.includes('colour'))).toBe(true);
  });

  it('reports a missing field at its parent and the message names it', () => {
    const issues = issuesOf(MINIMAL.replace('  pods: 20\n', ''));
    expect(issues).toEqual([expect.objectContaining({ field: 'quotas.pods', line: 7 })]);
    expect(String(new TenantSpecError(issues).message)).toMatch(/^line 7: quotas\.pods: /);
  });

  it('refuses a limit below the request and a group listed twice', () => {
    const issues = issuesOf(
      `${MINIMAL}  cpuLimit: 4\ngroups:\n  - {group: a, role: viewer}\n  - {group: a, role: developer}\n`,
    );
    expect(issues.map((i) => i.field).sort()).toEqual(['groups[1].group', 'quotas.cpuLimit']);
  });

  it('reports YAML syntax errors with their line', () => {
    const issues = issuesOf('name: a\nquotas: [\n');
    expect(issues[0]).toMatchObject({ field: '(yaml)' });
    expect(issues[0]?.line).toBeGreaterThan(0);
    expect(issuesOf('name: a\nname: b\n')[0]).toMatchObject({ field: '(yaml)', line: 2 });
  });

  it('knows Kubernetes quantities', () => {
    for (const q of ['64', '250m', '0.5', '.5', '512Gi', '10Ti', '1e3', '1E', '2k', '+1'])
      expect(isQuantity(q)).toBe(true);
    for (const q of ['', '1x', '-1', '1.2.3', 'Gi', '1 Gi', '1gi', '1KB']) expect(isQuantity(q)).toBe(false);
    expect(quantityValue('250m')).toBe(0.25);
    expect(quantityValue('2Gi')).toBe(2 * 2 ** 30);
    expect(quantityValue('1e3')).toBe(1000);
  });

  it('knows canonical IPv4 and IPv6 CIDRs', () => {
    for (const c of [
      '10.40.0.0/16',
      '0.0.0.0/0',
      '192.0.2.7/32',
      'fd00::/8',
      '::/0',
      '2001:db8::/32',
      '::ffff:10.0.0.0/104',
    ])
      expect(isCanonicalCidr(c)).toBe(true);
    for (const c of [
      '10.40.0.1/16',
      '10.40.0.0',
      '256.0.0.0/8',
      '010.0.0.0/8',
      '10.0.0.0/33',
      'fd00::1/8',
      '1:2:3:4:5:6:7:8:9/128',
      'fd00:::/8',
      'g::/8',
      '::/129',
    ])
      expect(isCanonicalCidr(c)).toBe(false);
  });
});
