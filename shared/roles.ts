/**
 * Operator roles. Every procedure names the roles that may call it; anything not
 * named is denied. Kept as a closed list so the permission matrix test covers all.
 */
export const ROLES = ['viewer', 'operator', 'tenant-admin', 'security-officer', 'auditor', 'admin'] as const;
export type Role = (typeof ROLES)[number];

export const ROLE_DESCRIPTIONS: Record<Role, string> = {
  viewer: 'Sees inventory and status; changes nothing.',
  operator: 'Runs day-to-day work on hosts and GPUs.',
  'tenant-admin': 'Provisions and changes tenants on clusters.',
  'security-officer': 'Manages operators, trust and site policy.',
  auditor: 'Reads, verifies and exports the audit ledger.',
  admin: 'Everything, including destructive actions.',
};

/** Shorthands used in procedure declarations. */
export const EVERY_ROLE: readonly Role[] = ROLES;
export const ADMINS: readonly Role[] = ['admin'];
