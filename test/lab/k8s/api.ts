// The request pipeline of kube-apiserver for the emulated kinds (k8s-tenancy.md §3.2-§3.7, §3.10):
// decode against the schema (fieldValidation Strict/Warn/Ignore), defaulting, validation,
// admission (namespace lifecycle, RuntimeClass, ResourceQuota last), field ownership
// (managedFields, server-side apply), dryRun=All, then the store. HTTP framing is server.ts's.
import { parse as parseYaml } from 'yaml';
import {
  badRequest,
  details,
  fieldForbidden,
  fieldInvalid,
  fieldNotSupported,
  fieldRequired,
  invalid,
  StatusError,
  type FieldError,
} from './errors';
import { recordUpdate, serverSideApply } from './managed';
import { jsonPatch, mergePatch, strategicMerge } from './merge';
import { admitLimitRanges } from './limits';
import { admitPodSecurity } from './psa';
import { admitQuota } from './quota';
import { findType, groupVersion, RESOURCE_TYPES, type ResourceType } from './registry';
import type { Schemas } from './schema';
import { timestamp, type KubeObject, type ObjectStore } from './store';
import { decode, nameErrors, validateRules, type FieldValidation } from './validate';

export interface RequestOptions {
  dryRun: boolean;
  fieldManager?: string | undefined;
  fieldValidation: FieldValidation;
  force: boolean;
  userAgent?: string | undefined;
}

export interface Result {
  code: number;
  body: unknown;
  /** `Warning` headers (unknown fields under fieldValidation=Warn). */
  warnings: string[];
}

type Obj = Record<string, unknown>;
const asObj = (v: unknown): Obj => (v && typeof v === 'object' && !Array.isArray(v) ? (v as Obj) : {});
const asArr = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);

export const PATCH_TYPES = [
  'application/json-patch+json',
  'application/merge-patch+json',
  'application/strategic-merge-patch+json',
  'application/apply-patch+yaml',
] as const;

const hasStatus = (t: ResourceType) => (t.subresources ?? []).includes('status');

/** Reads the query options of a write as the apiserver validates them (422 on CreateOptions etc.). */
export function writeOptions(
  url: URL,
  verb: 'Create' | 'Update' | 'Patch' | 'Delete',
  userAgent: string | undefined,
  isApply = false,
): RequestOptions {
  const q = url.searchParams;
  const errors: FieldError[] = [];
  const dryRun = q.getAll('dryRun').filter((v) => v !== '');
  for (const v of dryRun) if (v !== 'All') errors.push(fieldNotSupported('dryRun', v, ['All']));
  const fieldManager = q.get('fieldManager') ?? undefined;
  if (fieldManager !== undefined && (fieldManager.length > 128 || !/^[\x20-\x7e]*$/.test(fieldManager)))
    errors.push(
      fieldInvalid(
        'fieldManager',
        fieldManager,
        'must consist of printable characters and be at most 128 characters',
      ),
    );
  if (isApply && !fieldManager) errors.push(fieldRequired('fieldManager', 'is required for apply patch'));
  const force = q.get('force');
  if (force !== null && verb === 'Patch' && !isApply)
    errors.push(fieldForbidden('force', 'may not be specified for non-apply patch'));
  if (errors.length) throw invalid({ group: 'meta.k8s.io', kind: `${verb}Options` }, '', errors);
  const fv = q.get('fieldValidation') ?? '';
  if (fv && !['Strict', 'Warn', 'Ignore'].includes(fv))
    throw badRequest(`fieldValidation parameter unsupported: ${fv}`);
  return {
    dryRun: dryRun.length > 0,
    fieldManager,
    // The apiserver's default when the parameter is absent is Warn (kubectl sends Strict itself).
    fieldValidation: (fv || 'Warn') as FieldValidation,
    force: force === 'true',
    userAgent,
  };
}

export class Api {
  constructor(
    readonly store: ObjectStore,
    readonly schemas: Schemas,
    readonly types: readonly ResourceType[] = RESOURCE_TYPES,
  ) {}

  private type(kind: string): ResourceType {
    return this.types.find((t) => t.kind === kind) as ResourceType;
  }

  private now(): string {
    return timestamp(this.store.now());
  }

  /** The manager a write is recorded under: fieldManager, else the User-Agent up to the first `/`. */
  private manager(opts: RequestOptions): string {
    return opts.fieldManager ?? opts.userAgent?.split('/')[0] ?? 'unknown';
  }

  /** Checks apiVersion/kind of a body and decodes it, applying fieldValidation. */
  private decodeBody(
    t: ResourceType,
    body: KubeObject,
    opts: RequestOptions,
    warnings: string[],
  ): { object: KubeObject; errors: FieldError[] } {
    const gv = groupVersion(t);
    if (body.apiVersion !== undefined && body.apiVersion !== gv)
      throw badRequest(
        `the API version in the data (${String(body.apiVersion)}) does not match the expected API version (${gv})`,
      );
    if (body.kind !== undefined && body.kind !== t.kind)
      throw badRequest(
        `the kind in the data (${String(body.kind)}) does not match the expected kind (${t.kind})`,
      );
    const decoded = decode(this.schemas, t, body);
    if (decoded.unknown.length > 0) {
      const messages = decoded.unknown.map((u) => `unknown field "${u}"`);
      if (opts.fieldValidation === 'Strict')
        throw badRequest(`strict decoding error: ${messages.join(', ')}`);
      if (opts.fieldValidation === 'Warn') warnings.push(...messages);
    }
    return { object: decoded.object, errors: decoded.errors };
  }

  /** Defaulting the real registry does for the emulated kinds. */
  private defaults(t: ResourceType, o: KubeObject): void {
    if (t.kind === 'Namespace') {
      // Every namespace carries its name as a label (NetworkPolicy namespaceSelectors rely on it).
      const name = String(o.metadata?.name ?? '');
      o.metadata = {
        ...o.metadata,
        labels: { ...(o.metadata?.labels ?? {}), 'kubernetes.io/metadata.name': name },
      };
    }
    if (t.kind !== 'Pod') return;
    const spec = asObj(o.spec);
    o.spec = spec;
    spec.restartPolicy ??= 'Always';
    spec.dnsPolicy ??= 'ClusterFirst';
    spec.schedulerName ??= 'default-scheduler';
    spec.terminationGracePeriodSeconds ??= 30;
    spec.serviceAccountName ??= 'default';
    for (const c of [...asArr(spec.containers), ...asArr(spec.initContainers)]) {
      const container = asObj(c);
      const resources = asObj(container.resources);
      // Requests default to limits where only limits are given (SetDefaults_Pod).
      const limits = asObj(resources.limits);
      if (Object.keys(limits).length) {
        resources.requests = { ...limits, ...asObj(resources.requests) };
        container.resources = resources;
      }
      container.terminationMessagePath ??= '/dev/termination-log';
      container.terminationMessagePolicy ??= 'File';
      container.imagePullPolicy ??=
        String(container.image ?? '').endsWith(':latest') || !String(container.image ?? '').includes(':')
          ? 'Always'
          : 'IfNotPresent';
    }
  }

  /** Admission before quota: the RuntimeClass a pod names must exist; its overhead is charged. */
  private admitPod(t: ResourceType, o: KubeObject): void {
    if (t.kind !== 'Pod') return;
    const spec = asObj(o.spec);
    const podName = String(o.metadata?.name ?? '');
    const sa = String(spec.serviceAccountName ?? 'default');
    if (!this.store.tryGet(this.type('ServiceAccount'), o.metadata?.namespace, sa))
      throw new StatusError(
        403,
        'Forbidden',
        `pods "${podName}" is forbidden: error looking up service account ${String(o.metadata?.namespace)}/${sa}: serviceaccount "${sa}" not found`,
        details(t, podName),
      );
    admitLimitRanges(this.store, this.type('LimitRange'), t, o);
    const rcName = spec.runtimeClassName;
    if (typeof rcName !== 'string' || !rcName) return;
    const rc = this.store.tryGet(this.type('RuntimeClass'), undefined, rcName);
    if (!rc)
      throw new StatusError(
        403,
        'Forbidden',
        `pods "${String(o.metadata?.name ?? '')}" is forbidden: pod rejected: RuntimeClass "${rcName}" not found`,
        details(t, String(o.metadata?.name ?? '')),
      );
    const overhead = asObj(asObj(rc.overhead).podFixed);
    if (Object.keys(overhead).length && spec.overhead === undefined) spec.overhead = overhead;
    const scheduling = asObj(rc.scheduling);
    if (scheduling.nodeSelector)
      spec.nodeSelector = { ...asObj(spec.nodeSelector), ...asObj(scheduling.nodeSelector) };
    if (scheduling.tolerations)
      spec.tolerations = [...asArr(spec.tolerations), ...asArr(scheduling.tolerations)];
  }

  private admitPodSecurity(t: ResourceType, pod: KubeObject): string[] {
    return admitPodSecurity(
      t,
      pod,
      this.store.tryGet(this.type('Namespace'), undefined, String(pod.metadata?.namespace ?? '')),
    );
  }

  private validate(
    t: ResourceType,
    o: KubeObject,
    old: KubeObject | undefined,
    schemaErrors: FieldError[],
  ): void {
    const name = String(o.metadata?.name ?? '');
    const errors = [...(old ? [] : nameErrors(t, name)), ...schemaErrors, ...validateRules(t, o, old)];
    if (errors.length) throw invalid(t, name, errors);
  }

  private record(
    t: ResourceType,
    before: KubeObject | undefined,
    after: KubeObject,
    opts: RequestOptions,
    subresource?: string,
  ): void {
    after.metadata = {
      ...after.metadata,
      managedFields: recordUpdate(before, after, {
        manager: this.manager(opts),
        apiVersion: groupVersion(t),
        subresource,
        hasStatus: hasStatus(t),
        schema: this.schemas.forType(t),
        now: this.now(),
      }),
    };
  }

  create(t: ResourceType, namespace: string | undefined, body: KubeObject, opts: RequestOptions): Result {
    const warnings: string[] = [];
    const { object, errors } = this.decodeBody(t, body, opts, warnings);
    const meta = { ...(object.metadata ?? {}) };
    if (!meta.name && typeof meta.generateName === 'string' && meta.generateName) {
      meta.name = `${meta.generateName}${Math.random().toString(36).slice(2, 7).padEnd(5, '0')}`;
    }
    if (!meta.name)
      throw invalid(t, '', [fieldRequired('metadata.name', 'name or generateName is required')]);
    if (t.namespaced && meta.namespace !== undefined && meta.namespace !== namespace)
      throw badRequest(
        'the namespace of the provided object does not match the namespace sent on the request',
      );
    object.metadata = { ...meta, ...(t.namespaced ? { namespace } : {}) };
    delete object.metadata.managedFields;
    if (hasStatus(t) && t.kind !== 'Node') delete object.status;
    // Order as in kube-apiserver: defaulting, mutating admission, validation, validating admission.
    this.defaults(t, object);
    this.store.admitNamespace(t, namespace, String(meta.name));
    this.admitPod(t, object);
    if (t.kind === 'Pod') object.status = { phase: 'Pending', qosClass: qosClass(object) };
    this.validate(t, object, undefined, errors);
    if (t.kind === 'Pod') warnings.push(...this.admitPodSecurity(t, object));
    if (t.namespaced) admitQuota(this.store, this.types, this.type('ResourceQuota'), t, object);
    this.record(t, undefined, object, opts);
    return { code: 201, body: this.store.create(t, namespace, object, { dryRun: opts.dryRun }), warnings };
  }

  update(
    t: ResourceType,
    namespace: string | undefined,
    name: string,
    body: KubeObject,
    opts: RequestOptions,
    subresource?: string,
  ): Result {
    const warnings: string[] = [];
    const current = this.store.get(t, namespace, name);
    const { object, errors } = this.decodeBody(t, body, opts, warnings);
    return {
      code: 200,
      body: this.write(t, namespace, name, current, object, errors, opts, subresource),
      warnings,
    };
  }

  private write(
    t: ResourceType,
    namespace: string | undefined,
    name: string,
    current: KubeObject,
    object: KubeObject,
    errors: FieldError[],
    opts: RequestOptions,
    subresource?: string,
    managedFields?: unknown,
  ): KubeObject {
    const given = object.metadata ?? {};
    if (given.name !== undefined && given.name !== name)
      throw badRequest(
        `the name of the object (${String(given.name)}) does not match the name on the URL (${name})`,
      );
    // What the object will look like (status from /status only), for validation and ownership.
    const next: KubeObject =
      subresource === 'status'
        ? { ...current, ...(object.status !== undefined ? { status: object.status } : {}) }
        : {
            ...object,
            apiVersion: current.apiVersion,
            kind: current.kind,
            metadata: {
              ...given,
              name,
              ...(current.metadata?.namespace ? { namespace: current.metadata.namespace } : {}),
            },
            ...(hasStatus(t) || t.kind === 'Namespace' ? { status: current.status } : {}),
          };
    if (subresource === 'status' && object.status === undefined) delete next.status;
    if (t.kind === 'Namespace') next.spec = current.spec;
    if (next.status === undefined) delete next.status;
    if (subresource !== 'status') this.defaults(t, next);
    this.validate(t, next, current, errors);
    if (managedFields !== undefined) next.metadata = { ...next.metadata, managedFields };
    else this.record(t, current, next, opts, subresource);
    const toStore = {
      ...next,
      metadata: {
        ...next.metadata,
        ...(given.resourceVersion !== undefined ? { resourceVersion: given.resourceVersion } : {}),
      },
    };
    if (given.resourceVersion === undefined) delete toStore.metadata.resourceVersion;
    return this.store.update(t, namespace, name, toStore, { dryRun: opts.dryRun, subresource });
  }

  patch(
    t: ResourceType,
    namespace: string | undefined,
    name: string,
    text: string,
    contentType: string,
    opts: RequestOptions,
    subresource?: string,
  ): Result {
    if (contentType === 'application/apply-patch+yaml')
      return this.apply(t, namespace, name, text, opts, subresource);
    let patch: unknown;
    try {
      patch = JSON.parse(text);
    } catch (e) {
      throw badRequest(`error decoding patch: ${(e as Error).message}`);
    }
    const current = this.store.get(t, namespace, name);
    let patched: unknown;
    if (contentType === 'application/json-patch+json') patched = jsonPatch(current, patch);
    else if (contentType === 'application/merge-patch+json') patched = mergePatch(current, patch);
    else patched = strategicMerge(current, patch, this.schemas.forType(t));
    if (!patched || typeof patched !== 'object' || Array.isArray(patched))
      throw badRequest('the patched object is not an object');
    const warnings: string[] = [];
    const { object, errors } = this.decodeBody(t, patched as KubeObject, opts, warnings);
    // The patched object carries the stored resourceVersion unless the patch set one (a precondition).
    return {
      code: 200,
      body: this.write(t, namespace, name, current, object, errors, opts, subresource),
      warnings,
    };
  }

  /** Server-side apply (§3.6): YAML or JSON intent, created when missing (201). */
  apply(
    t: ResourceType,
    namespace: string | undefined,
    name: string,
    text: string,
    opts: RequestOptions,
    subresource?: string,
  ): Result {
    let parsed: unknown;
    try {
      parsed = parseYaml(text);
    } catch (e) {
      throw badRequest(`error decoding YAML: ${(e as Error).message}`);
    }
    if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed))
      throw badRequest('the apply configuration is not an object');
    const body = parsed as KubeObject;
    if (!body.apiVersion || !body.kind)
      throw badRequest(`invalid object type: ${groupVersion(t)}, Kind=${String(body.kind ?? '')}`);
    const warnings: string[] = [];
    // An apply configuration is partial: `required` is checked on the merged object, not on it.
    const { object: applied } = this.decodeBody(t, body, opts, warnings);
    const schemaErrors = (o: KubeObject) => decode(this.schemas, t, o).errors;
    const given = applied.metadata ?? {};
    if (given.name !== undefined && given.name !== name)
      throw badRequest(
        `the name of the object (${String(given.name)}) does not match the name on the URL (${name})`,
      );
    if (t.namespaced && given.namespace !== undefined && given.namespace !== namespace)
      throw badRequest(
        'the namespace of the provided object does not match the namespace sent on the request',
      );
    const current = this.store.tryGet(t, namespace, name);
    const ssaOpts = {
      manager: this.manager(opts),
      force: opts.force,
      apiVersion: groupVersion(t),
      subresource,
      hasStatus: hasStatus(t),
      schema: this.schemas.forType(t),
      now: this.now(),
    };
    if (!current) {
      if (subresource) throw this.notFound(t, name);
      const merged = serverSideApply(undefined, { ...applied, metadata: { ...given, name } }, ssaOpts);
      const { managedFields, ...meta } = merged.metadata ?? {};
      merged.metadata = { ...meta, name, ...(t.namespaced ? { namespace } : {}) };
      this.defaults(t, merged);
      this.store.admitNamespace(t, namespace, name);
      this.admitPod(t, merged);
      if (t.kind === 'Pod') merged.status = { phase: 'Pending', qosClass: qosClass(merged) };
      this.validate(t, merged, undefined, schemaErrors(merged));
      if (t.kind === 'Pod') warnings.push(...this.admitPodSecurity(t, merged));
      if (t.namespaced) admitQuota(this.store, this.types, this.type('ResourceQuota'), t, merged);
      merged.metadata.managedFields = managedFields;
      const created = this.store.create(
        t,
        namespace,
        { ...merged, apiVersion: groupVersion(t), kind: t.kind },
        { dryRun: opts.dryRun },
      );
      return { code: 201, body: created, warnings };
    }
    if (given.resourceVersion !== undefined && given.resourceVersion !== current.metadata?.resourceVersion)
      throw new StatusError(
        409,
        'Conflict',
        `Operation cannot be fulfilled on ${t.group ? `${t.resource}.${t.group}` : t.resource} "${name}": the object has been modified; please apply your changes to the latest version and try again`,
        details(t, name),
      );
    const merged = serverSideApply(current, applied, ssaOpts);
    const { managedFields, ...meta } = merged.metadata ?? {};
    merged.metadata = { ...meta, resourceVersion: current.metadata?.resourceVersion };
    return {
      code: 200,
      body: this.write(
        t,
        namespace,
        name,
        current,
        merged,
        schemaErrors(merged),
        opts,
        subresource,
        managedFields,
      ),
      warnings,
    };
  }

  private notFound(t: ResourceType, name: string): StatusError {
    return new StatusError(
      404,
      'NotFound',
      `${t.group ? `${t.resource}.${t.group}` : t.resource} "${name}" not found`,
      details(t, name),
    );
  }

  delete(
    t: ResourceType,
    namespace: string | undefined,
    name: string,
    opts: RequestOptions,
    body?: KubeObject,
  ): Result {
    const pre = asObj(asObj(body).preconditions);
    const { object, pending } = this.store.delete(t, namespace, name, {
      dryRun: opts.dryRun,
      precondition: {
        ...(typeof pre.uid === 'string' ? { uid: pre.uid } : {}),
        ...(typeof pre.resourceVersion === 'string' ? { resourceVersion: pre.resourceVersion } : {}),
      },
    });
    // Pods (ReturnDeletedObject) and anything still pending answer with the object itself.
    if (pending || t.kind === 'Pod') return { code: 200, body: object, warnings: [] };
    return {
      code: 200,
      body: {
        kind: 'Status',
        apiVersion: 'v1',
        metadata: {},
        status: 'Success',
        details: { ...details(t, name), uid: object.metadata?.uid },
      },
      warnings: [],
    };
  }

  deleteCollection(
    t: ResourceType,
    namespace: string | undefined,
    opts: RequestOptions,
    filter: { labelSelector?: string | undefined; fieldSelector?: string | undefined },
  ): Result {
    const items = this.store
      .list(t, namespace, filter)
      .map(
        (o) =>
          this.store.delete(t, o.metadata?.namespace, String(o.metadata?.name), { dryRun: opts.dryRun })
            .object,
      );
    return {
      code: 200,
      body: {
        kind: `${t.kind}List`,
        apiVersion: groupVersion(t),
        metadata: { resourceVersion: this.store.resourceVersion },
        items,
      },
      warnings: [],
    };
  }

  /** PUT /api/v1/namespaces/{name}/finalize: only spec.finalizers changes. */
  finalize(name: string, body: KubeObject, opts: RequestOptions): Result {
    const t = this.type('Namespace');
    const current = this.store.get(t, undefined, name);
    const finalizers = asArr(asObj(body.spec).finalizers).map(String);
    for (const [i, f] of finalizers.entries()) {
      if (!/^[a-z0-9.-]+(\/[a-zA-Z0-9._-]+)?$/.test(f) && f !== 'kubernetes')
        throw invalid(t, name, [
          fieldInvalid(
            `spec.finalizers[${i}]`,
            f,
            'name is neither a standard finalizer name nor is it fully qualified',
          ),
        ]);
    }
    const next = { ...current, spec: { ...asObj(current.spec), finalizers } };
    if (finalizers.length === 0) delete (next.spec as Obj).finalizers;
    if (opts.dryRun) return { code: 200, body: next, warnings: [] };
    return { code: 200, body: this.store.put(t, next), warnings: [] };
  }

  /** The type for a kind name, for callers outside HTTP (controllers, seeding). */
  typeOf(group: string, version: string, resource: string): ResourceType | undefined {
    return findType(group, version, resource);
  }
}

/** qos.GetPodQOS, simplified to requests/limits of cpu and memory. */
function qosClass(pod: KubeObject): string {
  const containers = asArr(asObj(pod.spec).containers).map((c) => asObj(asObj(c).resources));
  const any = containers.some(
    (r) => Object.keys(asObj(r.requests)).length + Object.keys(asObj(r.limits)).length > 0,
  );
  if (!any) return 'BestEffort';
  const guaranteed = containers.every((r) =>
    ['cpu', 'memory'].every(
      (k) =>
        asObj(r.limits)[k] !== undefined &&
        asObj(r.limits)[k] === (asObj(r.requests)[k] ?? asObj(r.limits)[k]),
    ),
  );
  return guaranteed ? 'Guaranteed' : 'Burstable';
}
