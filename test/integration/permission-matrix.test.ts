import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { api, rolesAllow, type AnyProcedure, type ProcedureId } from '../../shared/api';
import type { ConsoleError } from '../../shared/errors';
import { ROLES, type Role } from '../../shared/roles';

import { opensshPublicKey } from '../../offline-bundles/sshsig';
import { ADMIN, openTestCore, type TestCore } from '../support/core';

const EXAMPLE_TENANT = readFileSync(new URL('../../docs/examples/tenant.yaml', import.meta.url), 'utf8');

/**
 * Every procedure × every role, through the real dispatcher. A new procedure
 * without a sample input here fails the suite, so none can slip past the matrix.
 */
let n = 0;
/** A new OpenSSH Ed25519 public key line (a signer for the bundle trust store). */
const freshSignerKey = () => {
  const jwk = generateKeyPairSync('ed25519').publicKey.export({ format: 'jwk' });
  return opensshPublicKey(Buffer.from(jwk.x as string, 'base64url'), 'matrix');
};
const NO_TERMINAL = `t-${'0'.repeat(32)}`;
const SAMPLE_INPUT: Record<ProcedureId, () => unknown> = {
  'session.status': () => ({}),
  'session.signIn': () => ({ operator: ADMIN.name, passphrase: ADMIN.passphrase }),
  'session.signOut': () => ({}),
  'setup.createFirstAdmin': () => ({
    name: 'second',
    displayName: 'Second',
    passphrase: 'another long passphrase',
  }),
  'system.info': () => ({}),
  'system.overview': () => ({}),
  'system.selfCheck': () => ({}),
  'operators.list': () => ({}),
  'operators.create': () => ({
    name: `matrix${++n}`,
    displayName: 'Matrix',
    roles: ['viewer'],
    passphrase: 'a long enough passphrase',
  }),
  'audit.list': () => ({ limit: 5 }),
  'audit.status': () => ({}),
  'audit.verify': () => ({}),
  'audit.proof': () => ({ index: 0 }),
  'audit.media': () => ({}),
  'audit.export': () => ({ to: exportTarget }),
  'gpu.layouts': () => ({}),
  'gpu.state': () => ({ host: 'nowhere' }),
  'gpu.plan': () => ({ host: 'nowhere', layout: { name: 'all-1g' } }),
  'gpu.apply': () => ({ host: 'nowhere', layout: { name: 'all-1g' } }),
  'gpu.fleetApply': () => ({ layout: 'all-1g', labels: { site: 'nowhere' } }),
  'gpu.fleetPlan': () => ({ layout: 'all-1g', labels: { site: 'nowhere' } }),
  'gpu.fleetRuns': () => ({}),
  'gpu.importMigParted': () => ({
    yaml: 'version: v1\nmig-configs:\n  matrix:\n    - devices: all\n      mig-enabled: false\n',
  }),
  'gpu.exportMigParted': () => ({}),
  'policy.get': () => ({}),
  'policy.set': () => ({ allowPasswordLogin: false }),
  'hosts.list': () => ({}),
  // Reaches no host (nothing listens there): the matrix checks permissions, not SSH.
  'hosts.add': () => ({
    name: `h${++n}`,
    address: '127.0.0.1',
    port: 9,
    user: 'x',
    privateKey: 'k'.repeat(64),
  }),
  'hosts.run': () => ({ hosts: ['nowhere'], command: 'true' }),
  'hosts.discover': () => ({ hosts: ['nowhere'] }),
  'hosts.upload': () => ({ hosts: ['nowhere'], localPath: '/nonexistent', remotePath: '/tmp/x' }),
  'hosts.download': () => ({ host: 'nowhere', remotePath: '/tmp/x', localPath: '/nonexistent' }),
  'hosts.repin': () => ({ name: 'nowhere', fingerprint: `SHA256:${'A'.repeat(43)}` }),
  // No such host or terminal: the matrix checks permissions, not shells.
  'terminals.open': () => ({ host: 'nowhere', cols: 80, rows: 24 }),
  'terminals.input': () => ({ terminal: NO_TERMINAL, data: 'x' }),
  'terminals.resize': () => ({ terminal: NO_TERMINAL, cols: 80, rows: 24 }),
  'terminals.ack': () => ({ terminal: NO_TERMINAL, chars: 1 }),
  'terminals.recordings': () => ({}),
  'terminals.recording': () => ({ id: NO_TERMINAL }),
  'terminals.policy': () => ({}),
  'terminals.setPolicy': () => ({ recordInput: false }),
  'gpus.list': () => ({}),
  'clusters.list': () => ({}),
  'tenants.list': () => ({}),
  'clusters.contexts': () => ({ kubeconfig: 'x' }),
  'clusters.import': () => ({ kubeconfig: 'x' }),
  'clusters.view': () => ({ cluster: 'lab' }),
  'clusters.remove': () => ({ cluster: 'lab' }),
  'tenants.render': () => ({ spec: EXAMPLE_TENANT }),
  'tenants.plan': () => ({ spec: EXAMPLE_TENANT }),
  'tenants.apply': () => ({ spec: EXAMPLE_TENANT }),
  'tenants.drift': () => ({ name: 'x' }),
  'tenants.decommission': () => ({ name: 'x' }),
  'tenants.get': () => ({ name: 'x' }),
  'tenants.capacity': () => ({ cluster: 'lab' }),
  'gpu.operatorPlan': () => ({ cluster: 'lab', node: 'gpu-01', layout: 'all-1g.10gb' }),
  'gpu.operatorApply': () => ({ cluster: 'lab', node: 'gpu-01', layout: 'all-1g.10gb' }),
  'bundles.list': () => ({}),
  'bundles.trust': () => ({}),
  'bundles.trustAddSigner': () => ({ name: `signer${++n}`, publicKey: freshSignerKey() }),
  'bundles.trustRemoveSigner': () => ({ name: 'nobody' }),
  'bundles.trustSetThreshold': () => ({ kind: 'files', threshold: 1 }),
  'bundles.trustExport': () => ({ to: path.join(exportTarget, `trust${++n}`) }),
  'bundles.trustImport': () => ({ from: path.join(exportTarget, 'no-trust-here') }),
  'bundles.scan': () => ({ path: exportTarget }),
  'bundles.staged': () => ({}),
  'bundles.verify': () => ({ path: path.join(exportTarget, 'missing.tar') }),
  'bundles.import': () => ({ path: path.join(exportTarget, 'missing.tar') }),
  'bundles.plan': () => ({ path: path.join(exportTarget, 'missing.tar') }),
  'bundles.install': () => ({ staged: 'a'.repeat(64), planDigest: 'b'.repeat(64) }),
};

let t: TestCore;
let exportTarget: string;
beforeAll(async () => {
  t = await openTestCore();
  exportTarget = mkdtempSync(path.join(tmpdir(), 'enclave-matrix-export-'));
});
afterAll(() => {
  t.close();
  rmSync(exportTarget, { recursive: true, force: true });
});

const procedures = Object.values(api) as AnyProcedure[];

describe('permission matrix', () => {
  it('has a sample input for every procedure', () => {
    expect(Object.keys(SAMPLE_INPUT).sort()).toEqual(procedures.map((p) => p.id).sort());
  });

  for (const p of procedures) {
    for (const role of ROLES) {
      const allowed = rolesAllow(p, [role]);
      it(`${p.id} × ${role}: ${allowed ? 'allowed' : 'denied'}`, async () => {
        const client = await t.connectAs([role as Role]);
        const before = t.core.ledger.count();
        const outcome = await client
          .call(p.id as ProcedureId, SAMPLE_INPUT[p.id as ProcedureId]() as never)
          .then(
            () => 'ok',
            (e: ConsoleError) => e.code,
          );
        if (allowed) {
          expect(outcome).not.toBe('FORBIDDEN');
          expect(outcome).not.toBe('UNAUTHENTICATED');
          expect(outcome).not.toBe('BAD_REQUEST');
        } else {
          expect(outcome).toBe('FORBIDDEN');
        }
        // Audited procedures leave exactly one entry per call; denials are recorded for every procedure.
        expect(t.core.ledger.count() - before).toBe(p.audited || !allowed ? 1 : 0);
        if (!allowed) {
          const [entry] = t.core.ledger.list({ limit: 1 }).entries;
          expect(entry).toMatchObject({ procedure: p.id, outcome: 'denied', operator: { roles: [role] } });
        }
      });
    }

    it(`${p.id} signed out: ${p.roles === 'public' ? 'allowed' : 'refused'}`, async () => {
      const outcome = await t
        .connect()
        .call(p.id as ProcedureId, SAMPLE_INPUT[p.id as ProcedureId]() as never)
        .then(
          () => 'ok',
          (e: ConsoleError) => e.code,
        );
      if (p.roles === 'public') expect(outcome).not.toBe('FORBIDDEN');
      else expect(outcome).toBe('UNAUTHENTICATED');
    });
  }
});
