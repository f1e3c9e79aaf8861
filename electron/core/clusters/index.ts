import type { z } from 'zod';
import type { ClusterRow } from '../../../shared/api';
import type { Db } from '../store';

/** Kubernetes clusters imported from kubeconfig. */
export function listClusters(db: Db): z.infer<typeof ClusterRow>[] {
  return db
    .prepare(
      'SELECT name, server, context, oidc_group_prefix AS oidcGroupPrefix, added_at AS addedAt FROM clusters ORDER BY name',
    )
    .all() as z.infer<typeof ClusterRow>[];
}

export function countClusters(db: Db): number {
  return (db.prepare('SELECT count(*) AS n FROM clusters').get() as { n: number }).n;
}

export {
  MAX_KUBECONFIG_ALIASES,
  MAX_KUBECONFIG_BYTES,
  MAX_REFERENCED_FILE_BYTES,
  execCommandLine,
  listKubeconfigContexts,
  parseKubeconfig,
  sanitizedKubeconfig,
  sanitizedKubeconfigObject,
} from './kubeconfig';
export type {
  CertificateSummary,
  ExecCredentialSource,
  ImportedCluster,
  ImportedUser,
  KubeconfigContextChoice,
  KubeconfigImport,
  KubeconfigProblem,
  ParseKubeconfigOptions,
} from './kubeconfig';
export { ClusterConnectionError, describeClusterError } from './errors';
export type { ClusterFailure, ClusterTarget } from './errors';
