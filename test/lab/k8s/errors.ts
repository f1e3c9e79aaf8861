// apimachinery's Status errors (k8s-tenancy.md §3.3), worded as kube-apiserver words them.
import { qualifiedResource, type ResourceType } from './registry';

/** A Status failure; thrown anywhere in the emulator, answered by the server with `code`. */
export class StatusError extends Error {
  constructor(
    readonly code: number,
    readonly reason: string,
    message: string,
    readonly details?: Record<string, unknown>,
  ) {
    super(message);
  }

  toStatus(): Record<string, unknown> {
    return {
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message: this.message,
      reason: this.reason,
      ...(this.details ? { details: this.details } : {}),
      code: this.code,
    };
  }
}

export const details = (t: ResourceType, name: string) => ({
  name,
  ...(t.group ? { group: t.group } : {}),
  // apiserver sets Kind to the plural resource here ("Yes we set Kind field to resource").
  kind: t.resource,
});

export const notFound = (t: ResourceType, name: string) =>
  new StatusError(404, 'NotFound', `${qualifiedResource(t)} "${name}" not found`, details(t, name));

export const alreadyExists = (t: ResourceType, name: string) =>
  new StatusError(409, 'AlreadyExists', `${qualifiedResource(t)} "${name}" already exists`, details(t, name));

export const conflict = (t: ResourceType, name: string) =>
  new StatusError(
    409,
    'Conflict',
    `Operation cannot be fulfilled on ${qualifiedResource(t)} "${name}": the object has been modified; please apply your changes to the latest version and try again`,
    details(t, name),
  );

export const badRequest = (message: string) => new StatusError(400, 'BadRequest', message);

/** admission.NewForbidden: `<resource> "<name>" is forbidden: <why>`. */
export function forbidden(t: ResourceType, name: string, why: string, causes?: object[]): StatusError {
  return new StatusError(403, 'Forbidden', `${qualifiedResource(t)} "${name}" is forbidden: ${why}`, {
    ...details(t, name),
    ...(causes ? { causes } : {}),
  });
}

/** One field.Error: `reason` is the StatusCause type, `body` what follows `<field>: `. */
export interface FieldError {
  reason:
    | 'FieldValueInvalid'
    | 'FieldValueRequired'
    | 'FieldValueNotSupported'
    | 'FieldValueForbidden'
    | 'FieldValueDuplicate'
    | 'FieldValueTooLong';
  field: string;
  body: string;
}

const show = (v: unknown) =>
  typeof v === 'string' ? JSON.stringify(v) : typeof v === 'object' ? JSON.stringify(v) : String(v);

export const fieldInvalid = (field: string, value: unknown, detail: string): FieldError => ({
  reason: 'FieldValueInvalid',
  field,
  body: `Invalid value: ${show(value)}: ${detail}`,
});
export const fieldRequired = (field: string, detail = ''): FieldError => ({
  reason: 'FieldValueRequired',
  field,
  body: detail ? `Required value: ${detail}` : 'Required value',
});
export const fieldNotSupported = (field: string, value: unknown, supported: string[]): FieldError => ({
  reason: 'FieldValueNotSupported',
  field,
  body: `Unsupported value: ${show(value)}: supported values: ${supported.map((s) => JSON.stringify(s)).join(', ')}`,
});
export const fieldForbidden = (field: string, detail: string): FieldError => ({
  reason: 'FieldValueForbidden',
  field,
  body: `Forbidden: ${detail}`,
});
export const fieldDuplicate = (field: string, value: unknown): FieldError => ({
  reason: 'FieldValueDuplicate',
  field,
  body: `Duplicate value: ${show(value)}`,
});

/** errors.NewInvalid: 422 with `details.kind` the Kind and one cause per field error. */
export function invalid(
  t: Pick<ResourceType, 'group' | 'kind'>,
  name: string,
  errors: FieldError[],
): StatusError {
  const kind = t.group ? `${t.kind}.${t.group}` : t.kind;
  const parts = errors.map((e) => `${e.field}: ${e.body}`);
  const joined = parts.length === 1 ? parts[0] : `[${parts.join(', ')}]`;
  return new StatusError(422, 'Invalid', `${kind} "${name}" is invalid: ${joined}`, {
    name,
    ...(t.group ? { group: t.group } : {}),
    kind: t.kind,
    causes: errors.map((e) => ({ reason: e.reason, message: e.body, field: e.field })),
  });
}
