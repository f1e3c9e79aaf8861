import { ConsoleError } from '../../../shared/errors';
import {
  addSigner,
  countBundles,
  exportTrustDir,
  importTrustDir,
  listBundles,
  listStaged,
  readTrust,
  removeSigner,
  scanForBundles,
  setThreshold,
} from '../bundles';
import { countClusters, listClusters } from '../clusters';
import { BundleService } from '../bundles/service';
import { ClusterService } from '../clusters/service';
import { countGpus, listGpus } from '../gpu';
import { FleetApplier } from '../gpu/fleet';
import { OperatorMig } from '../gpu/operator';
import { MigService, planDigestOf, type Journal } from '../gpu/mig';
import type { HostInventory } from '../hosts';
import {
  getRecording,
  listRecordings,
  readCast,
  recordInputPolicy,
  setRecordInputPolicy,
} from '../hosts/recording';
import { Terminals } from '../hosts/terminal';
import { ledgerOperator, operatorRow, sessionView, type Identity } from '../identity';
import type { Session } from '../identity/session';
import { existsSync, statSync } from 'node:fs';
import path from 'node:path';
import type { Clock } from '../clock';
import {
  createLedgerKey,
  entryView,
  exportLedger,
  formatTlogProof,
  lastExport,
  readLedgerPublicKey,
  verifierKey,
  verifyLedger,
  type CheckpointWitness,
  type Ledger,
  type LedgerEntry,
} from '../ledger';
import { RECORDINGS_DIR } from '../hosts/recording';
import { detectRemovableMedia } from '../media';
import { setSitePolicy, sitePolicy } from '../policy';
import type { Db, SecretsVault } from '../store';
import { opensshPublicKey } from '../../../offline-bundles/sshsig';
import { countTenants, listTenants } from '../tenants';
import { TenantService } from '../tenants/service';
import { runSelfCheck, selfChecks, workstationInfo } from '../workstation';
import type { Handlers } from './dispatcher';

export interface CoreServices {
  db: Db;
  dataDir: string;
  identity: Identity;
  vault: SecretsVault;
  ledger: Ledger;
  witness: CheckpointWitness;
  clock: Clock;
  hosts: HostInventory;
}

/** Binds every declared procedure to the capability that serves it. */
function ledgerSigner(s: CoreServices) {
  const signer = s.ledger.signer();
  if (!signer) {
    throw new ConsoleError('FAILED', 'the workstation key is locked', {
      hint: 'sign in with a passphrase to unlock it',
    });
  }
  return signer;
}

export function createHandlers(s: CoreServices): Handlers {
  const hosts = s.hosts;
  const terminals = new Terminals({ db: s.db, dataDir: s.dataDir, hosts, clock: s.clock });
  const mig = new MigService({ db: s.db, hosts, clock: s.clock });
  const fleet = new FleetApplier({ db: s.db, hosts, clock: s.clock, mig });
  const clusters = new ClusterService({
    db: s.db,
    vault: s.vault,
    clock: s.clock,
    policy: () => sitePolicy(s.db),
  });
  const tenants = new TenantService({ db: s.db, clusters, clock: s.clock });
  const bundles = new BundleService({ db: s.db, dataDir: s.dataDir, clock: s.clock, hosts, clusters });
  const operatorMig = new OperatorMig({ clusters, layout: (name) => mig.layout(name) });
  /** Ledger entries a long action writes as it goes (plan, steps), as the operator who started it. */
  const journalFor =
    (session: Session | null, transport: string): Journal =>
    ({ procedure, target, input, planDigest }) =>
      s.ledger.append({
        time: s.clock.now().toISOString(),
        operator: ledgerOperator(session),
        procedure,
        target,
        input,
        ...(planDigest ? { planDigest } : {}),
        outcome: 'ok',
        error: null,
        durationMs: 0,
        transport,
      });
  const mayForce = (session: Session | null, force: boolean) => {
    if (force && !session?.roles.includes('admin'))
      throw new ConsoleError(
        'FORBIDDEN',
        'only an administrator may apply a MIG layout while GPU processes run',
        {
          hint: 'stop the processes on those GPUs, or ask an administrator',
        },
      );
  };
  const signedIn = (session: { name: string } | null) => {
    if (!session) throw new ConsoleError('UNAUTHENTICATED', 'sign in first');
    return session.name;
  };
  return {
    'session.status': (_input, { connection }) => ({
      initialised: s.identity.isInitialised(),
      session: connection.session ? sessionView(connection.session) : null,
    }),
    'session.signIn': async ({ operator, passphrase }, { connection }) => {
      connection.session = null; // a failed attempt also ends whatever session this connection had
      connection.session = await s.identity.signIn(operator, passphrase);
      return sessionView(connection.session);
    },
    'session.signOut': (_input, { connection }) => {
      connection.session = null;
      return { signedOut: true as const };
    },
    'setup.createFirstAdmin': async (input, { connection }) => {
      const session = await s.identity.createFirstAdmin(input);
      const workstation = s.identity.workstationId() as string;
      const key = createLedgerKey(s.db, s.vault, workstation);
      s.ledger.append({
        time: s.clock.now().toISOString(),
        operator: ledgerOperator(session),
        procedure: 'ledger.keyCreated',
        target: key.name,
        input: { verifierKey: key.verifierKey },
        outcome: 'ok',
        error: null,
        durationMs: 0,
        transport: connection.transport,
      });
      connection.session = session;
      return sessionView(session);
    },
    'system.info': () => workstationInfo(s),
    'system.overview': () => ({
      hosts: hosts.count(),
      gpus: countGpus(s.db),
      clusters: countClusters(s.db),
      tenants: countTenants(s.db),
      bundles: countBundles(s.db),
      operators: s.identity.operators.count(),
      auditEntries: s.ledger.count(),
      lastAuditAt: s.ledger.lastAt(),
    }),
    'system.selfCheck': (_input, { signal, emit }) => runSelfCheck(selfChecks(s), signal, emit),
    'operators.list': () => s.identity.operators.list().map(operatorRow),
    'operators.create': async (input, { session }) => {
      if (input.roles.includes('admin') && !session?.roles.includes('admin')) {
        throw new ConsoleError('FORBIDDEN', 'only an administrator can create another administrator');
      }
      return operatorRow(await s.identity.createOperator(input));
    },
    'audit.list': (filter) => s.ledger.list(filter),
    'audit.status': () => {
      const key = readLedgerPublicKey(s.db);
      const head = s.ledger.head();
      return {
        entries: s.ledger.count(),
        checkpoint: head ? { size: head.size, note: head.note } : null,
        verifierKey: key ? verifierKey(key.origin, key.publicKey) : null,
        opensshKey: key ? opensshPublicKey(key.publicKey, key.origin) : null,
        lastExport: lastExport(s.db) ?? null,
      };
    },
    'audit.verify': () => verifyLedger(s.db, s.witness),
    'audit.proof': ({ index }) => {
      const size = s.ledger.count();
      if (index >= size)
        throw new ConsoleError('NOT_FOUND', `there is no entry ${index}; the ledger has ${size}`);
      let head = s.ledger.head();
      if (!head || head.size <= index) head = s.ledger.signNow();
      if (!head) {
        throw new ConsoleError('FAILED', `entry ${index} is not yet covered by a signed checkpoint`, {
          hint: 'sign in with a passphrase so the workstation key can sign it',
        });
      }
      const bytes = s.ledger.entryBytes(index) as Buffer;
      const proof = s.ledger.inclusionProof(index, head.size);
      return {
        index,
        treeSize: head.size,
        entry: entryView(JSON.parse(bytes.toString('utf8')) as LedgerEntry),
        inclusion: proof.map((h) => Buffer.from(h).toString('base64')),
        tlogProof: formatTlogProof({ entry: bytes, index, proof, checkpoint: head.note }),
      };
    },
    'audit.media': () => detectRemovableMedia(),
    'audit.export': async ({ to, full }, { emit, signal }) => {
      const target = path.resolve(to);
      if (!existsSync(target) || !statSync(target).isDirectory()) {
        throw new ConsoleError('NOT_FOUND', `the target folder ${target} does not exist`, {
          hint: 'mount the medium first, or give an existing folder',
        });
      }
      const signer = ledgerSigner(s);
      return exportLedger(
        {
          db: s.db,
          ledger: s.ledger,
          signer,
          workstationId: s.identity.workstationId() as string,
          version: __ENCLAVE_VERSION__,
          now: () => s.clock.now(),
          recordingsDir: path.join(s.dataDir, RECORDINGS_DIR),
        },
        { targetDir: target, full, onProgress: emit, signal },
      );
    },
    'hosts.list': () => hosts.list(),
    'hosts.add': (input) => hosts.add(input),
    'gpu.layouts': () => mig.layouts(),
    'gpu.state': ({ host }) => mig.state(host),
    'gpu.plan': async ({ host, gpus, layout, force }) => {
      const { rows } = await mig.plan(host, { gpus, layout, force });
      return { host, gpus: rows, planDigest: planDigestOf(rows) };
    },
    'gpu.apply': (
      { host, gpus, layout, force, readBack, planDigest },
      { session, connection, signal, emit },
    ) => {
      mayForce(session, force);
      return mig.apply(host, {
        gpus,
        layout,
        force,
        readBack,
        planDigest,
        operator: signedIn(session),
        journal: journalFor(session, connection.transport),
        signal,
        onProgress: emit,
      });
    },
    'gpu.fleetApply': (input, { session, connection, signal, emit }) => {
      const context = {
        operator: signedIn(session),
        journal: journalFor(session, connection.transport),
        signal,
        emit,
      };
      if ('resume' in input) {
        mayForce(session, fleet.forced(input.resume)); // resuming a forced run forces again
        return fleet.resume(input.resume, context);
      }
      mayForce(session, input.force);
      return fleet.start(input, context);
    },
    'gpu.fleetPlan': (input) => fleet.plan(input),
    'gpu.fleetRuns': ({ limit }) => fleet.runs(limit),
    'gpu.importMigParted': ({ yaml }, { session }) => mig.importMigParted(yaml, signedIn(session)),
    'gpu.exportMigParted': (input) => mig.exportMigParted(input),
    'gpu.operatorPlan': ({ cluster, node, layout }) => operatorMig.plan(cluster, node, layout),
    'gpu.operatorApply': ({ cluster, node, layout, planDigest, timeoutSeconds }, { signal, emit }) =>
      operatorMig.apply(cluster, node, layout, { planDigest, timeoutSeconds, signal, onProgress: emit }),
    'policy.get': () => sitePolicy(s.db),
    'policy.set': (change) => setSitePolicy(s.db, change),
    'hosts.run': async ({ hosts: named, labels, command, timeoutSeconds, concurrency }, { signal, emit }) => {
      const names = named ?? hosts.selectByLabels(labels ?? {});
      if (names.length === 0) {
        throw new ConsoleError('NOT_FOUND', 'no host has all of those labels', {
          hint: 'see enclave hosts list',
        });
      }
      return {
        results: await hosts.run(names, command, {
          timeoutMs: timeoutSeconds * 1000,
          concurrency,
          signal,
          onOutput: (host, stream, data) => emit({ host, stream, data }),
        }),
      };
    },
    'hosts.upload': async ({ hosts: named, labels, ...options }, { signal, emit }) => {
      const names = named ?? hosts.selectByLabels(labels ?? {});
      if (names.length === 0) throw new ConsoleError('NOT_FOUND', 'no host has all of those labels');
      return hosts.upload(names, { ...options, signal, onProgress: (host, p) => emit({ host, ...p }) });
    },
    'hosts.download': ({ host, ...options }, { signal, emit }) =>
      hosts.download(host, { ...options, signal, onProgress: (name, p) => emit({ host: name, ...p }) }),
    'hosts.repin': ({ name, fingerprint }) => hosts.repin(name, fingerprint),
    'hosts.discover': async ({ hosts: named, labels, concurrency }) => ({
      results: await hosts.discover(named ?? hosts.selectByLabels(labels ?? {}), { concurrency }),
    }),
    'terminals.open': (input, { connection, session, signal, emit }) =>
      terminals.open(input, { connection: connection.id, operator: signedIn(session), signal, emit }),
    'terminals.input': ({ terminal, data }, { connection }) => {
      terminals.input(connection.id, terminal, data);
      return { ok: true as const };
    },
    'terminals.resize': ({ terminal, cols, rows }, { connection }) => {
      terminals.resize(connection.id, terminal, cols, rows);
      return { ok: true as const };
    },
    'terminals.ack': ({ terminal, chars }, { connection }) => ({
      unacknowledged: terminals.ack(connection.id, terminal, chars),
    }),
    'terminals.recordings': (filter) => listRecordings(s.db, filter),
    'terminals.recording': async ({ id }) => {
      const recording = getRecording(s.db, id);
      return { recording, ...(await readCast(s.dataDir, id)) };
    },
    'terminals.policy': () => ({ recordInput: recordInputPolicy(s.db) }),
    'terminals.setPolicy': ({ recordInput }) => ({
      recordInput,
      previous: setRecordInputPolicy(s.db, recordInput),
    }),
    'gpus.list': () => listGpus(s.db),
    'clusters.list': () => listClusters(s.db),
    'clusters.contexts': ({ kubeconfig, fileName }) => clusters.contexts(kubeconfig, fileName),
    'clusters.import': (input) => clusters.import(input),
    'clusters.view': ({ cluster }) => clusters.view(cluster),
    'clusters.remove': ({ cluster }) => clusters.remove(cluster),
    'tenants.list': () => listTenants(s.db),
    'tenants.render': ({ spec, cluster }) => tenants.render(spec, cluster),
    'tenants.plan': ({ spec, cluster }) => tenants.plan(spec, cluster),
    'tenants.apply': ({ spec, cluster, planDigest }, { signal, emit }) =>
      tenants.apply(spec, cluster, { planDigest, signal, onProgress: emit }),
    'tenants.drift': (input) => tenants.drift(input),
    'tenants.decommission': ({ name, cluster, timeoutSeconds }, { signal, emit }) =>
      tenants.decommission(name, cluster, { timeoutSeconds, signal, onProgress: emit }),
    'tenants.get': ({ name, cluster }) => tenants.get(name, cluster),
    'tenants.capacity': ({ cluster }) => tenants.capacity(cluster),
    'bundles.list': () => listBundles(s.db),
    'bundles.trust': () => readTrust(s.db),
    'bundles.trustAddSigner': (input, { session }) =>
      addSigner(s.db, input, signedIn(session), s.clock.now()),
    'bundles.trustRemoveSigner': ({ name }) => removeSigner(s.db, name),
    'bundles.trustSetThreshold': ({ kind, threshold }, { session }) =>
      setThreshold(s.db, kind, threshold, signedIn(session), s.clock.now()),
    'bundles.trustExport': ({ to }) => exportTrustDir(s.db, to),
    'bundles.trustImport': ({ from }, { session }) =>
      importTrustDir(s.db, from, signedIn(session), s.clock.now()),
    'bundles.scan': ({ path: folder }) => scanForBundles(folder),
    'bundles.staged': () => listStaged(s.db, s.dataDir),
    'bundles.verify': ({ path: file }, { signal, emit }) => bundles.verify(file, { signal, emit }),
    'bundles.import': ({ path: file }, { session, signal, emit }) =>
      bundles.import(file, signedIn(session), { signal, emit }),
    'bundles.plan': (ref, { session, signal }) => bundles.plan(ref, { signal, roles: session?.roles ?? [] }),
    'bundles.install': (input, { session, signal, emit }) =>
      bundles.install(input, signedIn(session), { signal, emit, roles: session?.roles ?? [] }),
  };
}
