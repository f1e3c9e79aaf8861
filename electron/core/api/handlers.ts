import { ConsoleError } from '../../../shared/errors';
import { countBundles, listBundles } from '../bundles';
import { countClusters, listClusters } from '../clusters';
import { countGpus, listGpus } from '../gpu';
import { countHosts, listHosts } from '../hosts';
import { operatorRow, sessionView, type Identity } from '../identity';
import type { AuditSink } from '../ledger';
import type { Db, SecretsVault } from '../store';
import { countTenants, listTenants } from '../tenants';
import { runSelfCheck, selfChecks, workstationInfo } from '../workstation';
import type { Handlers } from './dispatcher';

export interface CoreServices {
  db: Db;
  dataDir: string;
  identity: Identity;
  vault: SecretsVault;
  audit: AuditSink;
}

/** Binds every declared procedure to the capability that serves it. */
export function createHandlers(s: CoreServices): Handlers {
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
      connection.session = await s.identity.createFirstAdmin(input);
      return sessionView(connection.session);
    },
    'system.info': () => workstationInfo(s),
    'system.overview': () => ({
      hosts: countHosts(s.db),
      gpus: countGpus(s.db),
      clusters: countClusters(s.db),
      tenants: countTenants(s.db),
      bundles: countBundles(s.db),
      operators: s.identity.operators.count(),
      auditEntries: s.audit.count(),
      lastAuditAt: s.audit.lastAt(),
    }),
    'system.selfCheck': (_input, { signal, emit }) => runSelfCheck(selfChecks(s), signal, emit),
    'operators.list': () => s.identity.operators.list().map(operatorRow),
    'operators.create': async (input, { session }) => {
      if (input.roles.includes('admin') && !session?.roles.includes('admin')) {
        throw new ConsoleError('FORBIDDEN', 'only an administrator can create another administrator');
      }
      return operatorRow(await s.identity.createOperator(input));
    },
    'audit.list': (filter) => s.audit.list(filter),
    'hosts.list': () => listHosts(s.db),
    'gpus.list': () => listGpus(s.db),
    'clusters.list': () => listClusters(s.db),
    'tenants.list': () => listTenants(s.db),
    'bundles.list': () => listBundles(s.db),
  };
}
