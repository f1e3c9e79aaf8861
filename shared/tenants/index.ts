// Tenant spec (the YAML an operator writes, and the tenant form later): schema and parser.
export { TENANT_ROLES, MIG_PROFILE, TenantSpec, TenantSpecError, parseTenantSpec } from './spec';
export type { TenantRole, TenantSpecIssue } from './spec';
export { isQuantity, quantityValue } from './quantity';
export { isCanonicalCidr, parseCidr } from './cidr';
