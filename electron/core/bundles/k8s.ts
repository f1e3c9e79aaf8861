// k8s-manifests, the effectful half: read each object and dry-run it with server-side apply (the
// plan's read), then apply in order and read back; an apply cut part-way names what went in.
import type { ObjectChange, ObjectRef, TargetResult } from '../../../shared/api';
import { ConsoleError } from '../../../shared/errors';
import { statusOf, type KubeClient, type KubeObject } from '../clusters/client';
import { desiredPart, objectDiff } from '../tenants/diff';
import { objectLabel, type ManifestObject } from './plan';

const refOf = (o: ManifestObject): ObjectRef => ({
  apiVersion: o.apiVersion,
  kind: o.kind,
  name: o.metadata.name,
  ...(o.metadata.namespace ? { namespace: o.metadata.namespace } : {}),
});

const messageOf = (e: unknown) => (e instanceof Error ? e.message : String(e));

/**
 * Per object: created, updated (with the field diff) or unchanged, as the cluster's dry run says;
 * `refused` maps an object's index to the cluster's reason for refusing it.
 */
export async function dryRunObjects(
  client: KubeClient,
  objects: readonly ManifestObject[],
): Promise<{ changes: ObjectChange[]; refused: Map<number, string> }> {
  const refused = new Map<number, string>();
  const created = new Set(
    objects.filter((o) => o.kind === 'Namespace' && o.apiVersion === 'v1').map((o) => o.metadata.name),
  );
  const changes: ObjectChange[] = [];
  for (const [i, o] of objects.entries()) {
    const object = o as KubeObject;
    let before: KubeObject | undefined;
    try {
      before = await client.read(object);
    } catch (e) {
      if (statusOf(e) === undefined && !(e instanceof ConsoleError)) throw e;
      refused.set(i, `the cluster cannot read ${objectLabel(o)}: ${messageOf(e)}`);
      changes.push({ object: refOf(o), action: 'create', fields: [] });
      continue;
    }
    let after: KubeObject | undefined;
    try {
      after = await client.apply(object, { dryRun: true });
    } catch (e) {
      // An object inside a namespace this bundle creates cannot be dry-run before the namespace exists.
      const ns = o.metadata.namespace;
      if (!(statusOf(e) === 404 && ns && created.has(ns) && !before)) {
        refused.set(i, `the cluster refuses ${objectLabel(o)}: ${messageOf(e)}`);
      }
    }
    if (!before) {
      changes.push({
        object: refOf(o),
        action: 'create',
        fields: objectDiff(undefined, desiredPart(after ?? object)),
      });
    } else {
      const fields = after ? objectDiff(desiredPart(before), desiredPart(after)) : [];
      changes.push({ object: refOf(o), action: fields.length ? 'update' : 'unchanged', fields });
    }
  }
  return { changes, refused };
}

/**
 * Applies the objects in order; stops at the first the cluster refuses, reporting which went in and
 * which did not. Each applied object is read back.
 */
export async function applyObjects(
  client: KubeClient,
  cluster: string,
  objects: readonly ManifestObject[],
  emit: (e: { target: string; phase: 'started' | 'done' | 'failed'; detail: string }) => void,
  signal?: AbortSignal,
): Promise<TargetResult[]> {
  const target = `cluster ${cluster}`;
  emit({ target, phase: 'started', detail: `applying ${objects.length} objects` });
  const applied: string[] = [];
  for (const o of objects) {
    const label = objectLabel(o);
    try {
      if (signal?.aborted) throw new ConsoleError('CANCELLED', 'cancelled');
      await client.apply(o as KubeObject);
      const back = await client.read(o as KubeObject);
      if (!back) throw new Error(`${label} is not there when read back`);
      applied.push(label);
      emit({ target, phase: 'started', detail: `applied ${label} (${applied.length}/${objects.length})` });
    } catch (e) {
      const rest = objects.slice(applied.length + 1).map(objectLabel);
      const detail = [
        `${label} failed: ${messageOf(e)}`,
        applied.length ? `applied before it: ${applied.join(', ')}` : 'nothing was applied before it',
        rest.length ? `not applied: ${rest.join(', ')}` : '',
        'install again once the cause is fixed: server-side apply finishes what is missing',
      ]
        .filter(Boolean)
        .join('\n');
      emit({ target, phase: 'failed', detail });
      return [{ target, ok: false, detail }];
    }
  }
  const detail = `applied and read back ${applied.length} object${applied.length === 1 ? '' : 's'}: ${applied.join(', ')}`;
  emit({ target, phase: 'done', detail });
  return [{ target, ok: true, detail }];
}
