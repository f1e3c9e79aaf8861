// Watch as kube-apiserver streams it (k8s-tenancy.md §3.8): 200, chunked, one JSON event per line;
// initial ADDED events when no resourceVersion (or "0") is given, replay after a given one, an
// ERROR event carrying a 410 Expired Status when it is older than the retained history, bookmarks
// when allowed (and the `k8s.io/initial-events-end` one of a streaming list), selector transitions
// (an object that stops matching is DELETED, one that starts matching is ADDED), timeoutSeconds.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { badRequest, StatusError } from './errors';
import { groupVersion, type ResourceType } from './registry';
import {
  fieldMatcher,
  matchesLabels,
  parseLabelSelector,
  type KubeObject,
  type ObjectStore,
  type StoreEvent,
} from './store';

export interface WatchOptions {
  /** Interval of BOOKMARK events when the client allows them (ms). */
  bookmarkIntervalMs?: number;
  /** What an event carries instead of the object (a Table row for `kubectl get -w`); `first` once. */
  transform?: (object: KubeObject, first: boolean) => unknown;
}

export function serveWatch(
  req: IncomingMessage,
  res: ServerResponse,
  store: ObjectStore,
  t: ResourceType,
  namespace: string | undefined,
  url: URL,
  options: WatchOptions = {},
): void {
  const q = url.searchParams;
  const labels = parseLabelSelector(q.get('labelSelector') ?? '');
  const fields = q.get('fieldSelector') ? fieldMatcher(t, q.get('fieldSelector') as string) : () => true;
  const rvText = q.get('resourceVersion') ?? '';
  if (rvText && !/^\d+$/.test(rvText)) throw badRequest(`invalid resource version: ${rvText}`);
  const bookmarks = q.get('allowWatchBookmarks') === 'true';
  const sendInitial = q.get('sendInitialEvents') === 'true';
  if (sendInitial && (!bookmarks || q.get('resourceVersionMatch') !== 'NotOlderThan'))
    throw new StatusError(
      422,
      'Invalid',
      'ListOptions.meta.k8s.io "" is invalid: sendInitialEvents: Forbidden: sendInitialEvents is forbidden for watch unless the WatchList feature gate is enabled and allowWatchBookmarks=true and resourceVersionMatch=NotOlderThan',
    );
  const timeoutText = q.get('timeoutSeconds');
  const timeoutMs = timeoutText ? Number(timeoutText) * 1000 : (1800 + Math.random() * 1800) * 1000;

  const matches = (o: KubeObject | undefined) =>
    !!o &&
    (namespace === undefined || o.metadata?.namespace === namespace) &&
    matchesLabels(o.metadata?.labels, labels) &&
    fields(o);

  res.writeHead(200, {
    'Content-Type': 'application/json',
    'Transfer-Encoding': 'chunked',
    'Cache-Control': 'no-cache, private',
  });
  res.flushHeaders();
  let first = true;
  const send = (type: string, object: unknown) => {
    const carried =
      options.transform && type !== 'BOOKMARK' && type !== 'ERROR'
        ? options.transform(object as KubeObject, first)
        : object;
    if (type !== 'BOOKMARK' && type !== 'ERROR') first = false;
    res.write(`${JSON.stringify({ type, object: carried })}\n`);
  };
  let lastRevision = Number(store.resourceVersion);

  const deliver = (e: StoreEvent) => {
    if (e.resource !== t && !(e.resource.group === t.group && e.resource.resource === t.resource)) return;
    lastRevision = e.revision;
    const now = matches(e.object);
    const before = e.type === 'MODIFIED' ? matches(e.previous) : false;
    if (e.type === 'ADDED' && now) send('ADDED', e.object);
    else if (e.type === 'DELETED' && (matches(e.previous) || now)) send('DELETED', e.object);
    else if (e.type === 'MODIFIED') {
      if (now && before) send('MODIFIED', e.object);
      else if (now) send('ADDED', e.object);
      else if (before) send('DELETED', e.object);
    }
  };

  const bookmark = (extra?: Record<string, string>) =>
    send('BOOKMARK', {
      kind: t.kind,
      apiVersion: groupVersion(t),
      metadata: { resourceVersion: String(lastRevision), ...(extra ? { annotations: extra } : {}) },
    });

  const requested = rvText ? Number(rvText) : undefined;
  if (requested !== undefined && requested !== 0 && !sendInitial && requested < store.oldestResourceVersion) {
    // An HTTP 200 whose only event is the 410 (the client re-lists).
    send(
      'ERROR',
      new StatusError(
        410,
        'Expired',
        `too old resource version: ${requested} (${store.oldestResourceVersion})`,
      ).toStatus(),
    );
    res.end();
    return;
  }
  // Initial state, then live changes: subscribe first so nothing between the two is lost.
  const queued: StoreEvent[] = [];
  let live = false;
  const unsubscribe = store.subscribe((e) => (live ? deliver(e) : queued.push(e)));
  if (requested === undefined || requested === 0 || sendInitial) {
    for (const o of store.list(t, namespace)) if (matches(o)) send('ADDED', o);
    lastRevision = Number(store.resourceVersion);
    if (sendInitial) bookmark({ 'k8s.io/initial-events-end': 'true' });
  } else {
    for (const e of store.eventsSince(requested)) deliver(e);
  }
  for (const e of queued.splice(0)) if (e.revision > lastRevision) deliver(e);
  live = true;

  const timers: NodeJS.Timeout[] = [];
  const finish = () => {
    unsubscribe();
    for (const timer of timers) clearInterval(timer);
    if (!res.writableEnded) res.end();
  };
  timers.push(setTimeout(finish, timeoutMs));
  if (bookmarks) timers.push(setInterval(() => bookmark(), options.bookmarkIntervalMs ?? 1000));
  req.on('close', finish);
  res.on('close', finish);
}
