import type { TenantSummary } from '../../../shared/api';
import type { Db } from '../store';

/** Tenants provisioned on the clusters, with health and drift as last recorded. */
export function listTenants(db: Db): TenantSummary[] {
  const rows = db
    .prepare(
      `SELECT t.name, c.name AS cluster, t.organisation, t.created_at AS createdAt,
              t.last_applied_at AS lastAppliedAt, t.status AS health, t.last_drift AS lastDrift,
              t.drift_checked_at AS driftCheckedAt
       FROM tenants t JOIN clusters c ON c.id = t.cluster_id ORDER BY t.name, c.name`,
    )
    .all() as (Omit<TenantSummary, 'driftedObjects'> & { lastDrift: string | null })[];
  return rows.map(({ lastDrift, ...row }) => ({
    ...row,
    driftedObjects: lastDrift === null ? null : (JSON.parse(lastDrift) as unknown[]).length,
  }));
}

export function countTenants(db: Db): number {
  return (db.prepare('SELECT count(*) AS n FROM tenants').get() as { n: number }).n;
}

export { PSA_VERSION, ROLE_REFS, TENANCY_DOMAIN, quotaHard, renderTenant } from './render';
export type { KubernetesObject, TenantCluster } from './render';
export { KubernetesSchemas, OPENAPI_FILES, loadKubernetesSchemas, validateObjects } from './openapi';
export type { SchemaIssue } from './openapi';
