import { defineApi } from './define';
import { auditProcedures } from './audit';
import { bundleProcedures } from './bundles';
import { clusterProcedures } from './clusters';
import { gpuProcedures } from './gpu';
import { hostProcedures } from './hosts';
import { inventoryProcedures } from './inventory';
import { operatorProcedures } from './operators';
import { policyProcedures } from './policy';
import { sessionProcedures } from './session';
import { systemProcedures } from './system';
import { tenantProcedures } from './tenants';
import { terminalProcedures } from './terminals';

/** Every procedure the console offers, by id. */
export const api = defineApi([
  ...sessionProcedures,
  ...systemProcedures,
  ...operatorProcedures,
  ...policyProcedures,
  ...auditProcedures,
  ...hostProcedures,
  ...gpuProcedures,
  ...inventoryProcedures,
  ...clusterProcedures,
  ...tenantProcedures,
  ...terminalProcedures,
  ...bundleProcedures,
]);
export type Api = typeof api;
export type ProcedureId = keyof Api & string;

export * from './define';
export * from './common';
export * from './secret';
export * from './audit';
export * from './bundles';
export * from './clusters';
export * from './tenants';
export * from './gpu';
export * from './hosts';
export * from './inventory';
export * from './operators';
export * from './policy';
export * from './session';
export * from './system';
export * from './terminals';
