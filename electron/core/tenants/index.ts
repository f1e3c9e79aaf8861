import type { z } from 'zod';
import type { TenantRow } from '../../../shared/api';
import type { Db } from '../store';

/** Tenants provisioned on the clusters. */
export function listTenants(db: Db): z.infer<typeof TenantRow>[] {
  return db
    .prepare(
      `SELECT t.name, c.name AS cluster, t.created_at AS createdAt
       FROM tenants t JOIN clusters c ON c.id = t.cluster_id ORDER BY t.name`,
    )
    .all() as z.infer<typeof TenantRow>[];
}

export function countTenants(db: Db): number {
  return (db.prepare('SELECT count(*) AS n FROM tenants').get() as { n: number }).n;
}

export { PSA_VERSION, ROLE_REFS, TENANCY_DOMAIN, quotaHard, renderTenant } from './render';
export type { KubernetesObject, TenantCluster } from './render';
export { KubernetesSchemas, OPENAPI_FILES, loadKubernetesSchemas, validateObjects } from './openapi';
export type { SchemaIssue } from './openapi';
