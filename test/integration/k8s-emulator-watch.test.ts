import { KubeConfig, Watch } from '@kubernetes/client-node';
import { mkdtempSync, rmSync } from 'node:fs';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startKubeEmulator, type KubeEmulator } from '../lab/k8s/server';

/**
 * Watch streams of the lab's Kubernetes API emulator (k8s-tenancy.md §3.8), read raw and through
 * @kubernetes/client-node's Watch; and the seeded GPU nodes with the GPU Operator's labels and the
 * emulated MIG manager (§1.6).
 */
const dir = mkdtempSync(path.join(tmpdir(), 'enclave-k8s-watch-'));
let k: KubeEmulator;
beforeAll(async () => {
  k = await startKubeEmulator({
    stateDir: dir,
    controllers: { paused: true },
    bookmarkIntervalMs: 100,
    nodes: [
      { name: 'gpu-a', gpuProduct: 'H100-80GB-SXM5', gpus: 8 },
      { name: 'gpu-b', gpuProduct: 'NVIDIA A100-SXM4-40GB', gpus: 4, migLayout: 'all-1g.5gb' },
    ],
  });
});
afterAll(async () => {
  await k?.close();
  rmSync(dir, { recursive: true, force: true });
});

function call(method: string, p: string, body?: unknown, contentType = 'application/json') {
  return new Promise<{ code: number; body: Record<string, unknown> }>((resolve, reject) => {
    const req = request(
      `${k.url}${p}`,
      {
        method,
        ca: k.caPem,
        headers: { Authorization: `Bearer ${k.token}`, ...(body ? { 'Content-Type': contentType } : {}) },
      },
      (res) => {
        let text = '';
        res.on('data', (d: Buffer) => (text += d.toString('utf8')));
        res.on('end', () =>
          resolve({ code: res.statusCode ?? 0, body: JSON.parse(text) as Record<string, unknown> }),
        );
      },
    );
    req.once('error', reject);
    req.end(body ? JSON.stringify(body) : undefined);
  });
}

interface WatchEvent {
  type: string;
  object: Record<string, unknown> & { metadata: Record<string, unknown> };
}

/** Reads a raw watch stream until it ends; checks it is chunked with one JSON event per line. */
function rawWatch(p: string): Promise<{ code: number; chunked: boolean; events: WatchEvent[] }> {
  return new Promise((resolve, reject) => {
    const req = request(
      `${k.url}${p}`,
      { ca: k.caPem, headers: { Authorization: `Bearer ${k.token}` } },
      (res) => {
        let text = '';
        res.on('data', (d: Buffer) => (text += d.toString('utf8')));
        res.on('end', () =>
          resolve({
            code: res.statusCode ?? 0,
            chunked: res.headers['transfer-encoding'] === 'chunked',
            events: text
              .split('\n')
              .filter(Boolean)
              .map((line) => JSON.parse(line) as WatchEvent),
          }),
        );
      },
    );
    req.once('error', reject);
    req.end();
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('watch', () => {
  it('streams initial ADDED events, live changes, selector transitions and bookmarks, then times out', async () => {
    await call('POST', '/api/v1/namespaces', { metadata: { name: 'w' } });
    await call('POST', '/api/v1/namespaces/w/configmaps', {
      metadata: { name: 'one', labels: { app: 'x' } },
    });
    const watching = rawWatch(
      '/api/v1/namespaces/w/configmaps?watch=true&labelSelector=app%3Dx&allowWatchBookmarks=true&timeoutSeconds=1',
    );
    await sleep(150);
    await call('POST', '/api/v1/namespaces/w/configmaps', {
      metadata: { name: 'two', labels: { app: 'x' } },
    });
    await call('POST', '/api/v1/namespaces/w/configmaps', { metadata: { name: 'other' } });
    // Stops matching the selector: a DELETED for this watch; then starts matching again: ADDED.
    await call(
      'PATCH',
      '/api/v1/namespaces/w/configmaps/two',
      { metadata: { labels: { app: 'y' } } },
      'application/merge-patch+json',
    );
    await call(
      'PATCH',
      '/api/v1/namespaces/w/configmaps/two',
      { metadata: { labels: { app: 'x' } } },
      'application/merge-patch+json',
    );
    await call('DELETE', '/api/v1/namespaces/w/configmaps/one');
    const { code, chunked, events } = await watching;
    expect(code).toBe(200);
    expect(chunked).toBe(true);
    const changes = events
      .filter((e) => e.type !== 'BOOKMARK')
      .map((e) => `${e.type} ${String(e.object.metadata.name)}`);
    expect(changes).toEqual(['ADDED one', 'ADDED two', 'DELETED two', 'ADDED two', 'DELETED one']);
    expect(events[0]?.object).toMatchObject({ kind: 'ConfigMap', apiVersion: 'v1' });
    const bookmark = events.find((e) => e.type === 'BOOKMARK');
    expect(bookmark?.object).toEqual({
      kind: 'ConfigMap',
      apiVersion: 'v1',
      metadata: { resourceVersion: expect.stringMatching(/^\d+$/) },
    });
  });

  it('replays after a resourceVersion, and answers a too-old one with a 410 ERROR event', async () => {
    const list = await call('GET', '/api/v1/namespaces/w/configmaps');
    const rv = (list.body.metadata as { resourceVersion: string }).resourceVersion;
    await call('POST', '/api/v1/namespaces/w/configmaps', { metadata: { name: 'three' } });
    const replay = await rawWatch(
      `/api/v1/watch/namespaces/w/configmaps?resourceVersion=${rv}&timeoutSeconds=1`,
    );
    expect(replay.events.map((e) => `${e.type} ${String(e.object.metadata.name)}`)).toEqual(['ADDED three']);
    k.store.compact();
    const expired = await rawWatch(
      `/api/v1/namespaces/w/configmaps?watch=1&resourceVersion=${rv}&timeoutSeconds=1`,
    );
    expect(expired.code).toBe(200);
    expect(expired.events).toEqual([
      {
        type: 'ERROR',
        object: expect.objectContaining({
          kind: 'Status',
          status: 'Failure',
          reason: 'Expired',
          code: 410,
          message: expect.stringMatching(new RegExp(`^too old resource version: ${rv} \\(\\d+\\)$`)),
        }),
      },
    ]);
  });

  it('streams a list as initial events ending in the initial-events-end bookmark (sendInitialEvents)', async () => {
    const stream = await rawWatch(
      '/api/v1/namespaces/w/configmaps?watch=true&sendInitialEvents=true&allowWatchBookmarks=true&resourceVersionMatch=NotOlderThan&timeoutSeconds=1',
    );
    const initial = stream.events.slice(0, stream.events.findIndex((e) => e.type === 'BOOKMARK') + 1);
    expect(initial.map((e) => e.type)).toEqual([...Array(initial.length - 1).fill('ADDED'), 'BOOKMARK']);
    expect(initial.map((e) => e.object.metadata.name).slice(0, -1)).toContain('two');
    expect(initial.at(-1)?.object.metadata).toMatchObject({
      annotations: { 'k8s.io/initial-events-end': 'true' },
    });
    const exact = await call(
      'GET',
      '/api/v1/namespaces/w/configmaps?resourceVersion=1&resourceVersionMatch=Exact',
    );
    expect(exact.body).toMatchObject({ code: 410, reason: 'Expired' });
  });

  it('works with @kubernetes/client-node 1.4 Watch', async () => {
    const kc = new KubeConfig();
    kc.loadFromString(k.kubeconfig);
    const seen: string[] = [];
    let ended: unknown = 'open';
    const controller = await new Watch(kc).watch(
      '/api/v1/namespaces',
      { labelSelector: 'team=watch' },
      (phase, obj: { metadata: { name: string }; status?: { phase?: string } }) =>
        seen.push(`${phase} ${obj.metadata.name} ${obj.status?.phase ?? ''}`),
      (err) => (ended = err),
    );
    await call('POST', '/api/v1/namespaces', { metadata: { name: 'watched', labels: { team: 'watch' } } });
    await call('DELETE', '/api/v1/namespaces/watched');
    k.tick();
    for (let i = 0; i < 40 && seen.length < 3; i++) await sleep(25);
    controller.abort();
    expect(seen).toEqual([
      'ADDED watched Active',
      'MODIFIED watched Terminating',
      'DELETED watched Terminating',
    ]);
    for (let i = 0; i < 40 && ended === 'open'; i++) await sleep(25);
    expect(ended).not.toBe('open');
  });
});

describe('GPU nodes and the emulated MIG manager', () => {
  type Node = {
    metadata: { labels: Record<string, string> };
    status: { capacity: Record<string, string>; allocatable: Record<string, string> };
  };
  const node = async (name: string) => (await call('GET', `/api/v1/nodes/${name}`)).body as unknown as Node;

  it('seeds nodes with the GPU Operator labels and the device plugin resources', async () => {
    const a = await node('gpu-a');
    expect(a.metadata.labels).toMatchObject({
      'nvidia.com/gpu.present': 'true',
      'nvidia.com/gpu.product': 'NVIDIA-H100-80GB-HBM3',
      'nvidia.com/gpu.count': '8',
      'nvidia.com/gpu.memory': '81559',
      'nvidia.com/mig.capable': 'true',
      'nvidia.com/mig.strategy': 'mixed',
      'nvidia.com/mig.config': 'all-disabled',
      'nvidia.com/mig.config.state': 'success',
      'nvidia.com/gpu.deploy.mig-manager': 'true',
    });
    expect(a.status.capacity['nvidia.com/gpu']).toBe('8');
    const b = await node('gpu-b');
    // all-1g.5gb on an A100-40GB: seven 1g.5gb per GPU, no whole GPUs left.
    expect(b.status.allocatable).toMatchObject({ 'nvidia.com/mig-1g.5gb': '28' });
    expect(b.status.allocatable).not.toHaveProperty('nvidia.com/gpu');
    expect(b.metadata.labels['nvidia.com/mig-1g.5gb.count']).toBe('28');
    const ns = await call('GET', '/api/v1/namespaces/gpu-operator');
    expect(ns.body).toMatchObject({ metadata: { labels: { 'app.kubernetes.io/name': 'gpu-operator' } } });
  });

  it('reconfigures on a mig.config label change: pending, then success with new resources, or failed', async () => {
    const relabel = (value: string) =>
      call(
        'PATCH',
        '/api/v1/nodes/gpu-a',
        { metadata: { labels: { 'nvidia.com/mig.config': value } } },
        'application/strategic-merge-patch+json',
      );
    const relabelled = await relabel('all-balanced');
    expect(relabelled.code, JSON.stringify(relabelled.body)).toBe(200);
    expect((await node('gpu-a')).metadata.labels).toMatchObject({
      'nvidia.com/mig.config.state': 'pending',
      'nvidia.com/gpu.deploy.device-plugin': 'paused-for-mig-change',
    });
    expect((await node('gpu-a')).status.capacity['nvidia.com/gpu']).toBe('8');
    k.tick();
    const done = await node('gpu-a');
    expect(done.metadata.labels).toMatchObject({
      'nvidia.com/mig.config.state': 'success',
      'nvidia.com/gpu.deploy.device-plugin': 'true',
    });
    // all-balanced on an H100-80GB: 2× 1g.10gb, 1× 2g.20gb, 1× 3g.40gb per GPU.
    expect(done.status.capacity).toMatchObject({
      'nvidia.com/mig-1g.10gb': '16',
      'nvidia.com/mig-2g.20gb': '8',
      'nvidia.com/mig-3g.40gb': '8',
    });
    expect(done.status.capacity).not.toHaveProperty('nvidia.com/gpu');
    await relabel('all-9g.999gb');
    k.tick();
    const failed = await node('gpu-a');
    expect(failed.metadata.labels['nvidia.com/mig.config.state']).toBe('failed');
    expect(failed.status.capacity['nvidia.com/mig-2g.20gb']).toBe('8');
    await relabel('all-disabled');
    k.tick();
    const off = await node('gpu-a');
    expect(off.metadata.labels['nvidia.com/mig.config.state']).toBe('success');
    expect(off.status.capacity['nvidia.com/gpu']).toBe('8');
    expect(off.status.capacity).not.toHaveProperty('nvidia.com/mig-1g.10gb');
  });
});
