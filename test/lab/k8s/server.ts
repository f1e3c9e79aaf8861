// The Kubernetes API-server emulator of the lab (design.md §6): HTTPS on loopback with its own CA
// and a bearer token, discovery, the OpenAPI v3 documents, and the REST verbs get/list/create/
// update/delete with kube-apiserver's status codes and Status bodies (k8s-tenancy.md §3). No
// kube-apiserver can run here; this is what the console's cluster code and a real kubectl talk to.
// Not yet: protobuf bodies, strategic merge of lists, server-side apply, dryRun, watch, namespace
// finalization, quota admission, validation against the schemas — later steps of the clusters issue.
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { findType, groupList, resourceList, RESOURCE_TYPES, type ResourceType } from './registry';
import { ObjectStore, StatusError, type KubeObject } from './store';

/** The saved official OpenAPI v3 documents (a byte copy of ../shared/reference/k8s-openapi). */
const OPENAPI_DIR = path.resolve(import.meta.dirname, '../../../electron/core/tenants/openapi');
const OPENAPI_PATHS: Record<string, string> = {
  'api/v1': 'api__v1_openapi.json',
  'apis/networking.k8s.io/v1': 'apis__networking.k8s.io__v1_openapi.json',
  'apis/rbac.authorization.k8s.io/v1': 'apis__rbac.authorization.k8s.io__v1_openapi.json',
  'apis/node.k8s.io/v1': 'apis__node.k8s.io__v1_openapi.json',
};

export interface KubeEmulator {
  url: string;
  port: number;
  token: string;
  caPem: string;
  /** A kubeconfig with one context (`enclave-lab`) for this emulator. */
  kubeconfig: string;
  store: ObjectStore;
  close(): Promise<void>;
}

function openssl(args: string[]): void {
  execFileSync('openssl', args, { stdio: ['ignore', 'ignore', 'pipe'] });
}

/** A CA and a server certificate for 127.0.0.1, made with OpenSSL in `dir`. */
function makeCertificates(dir: string): { caPem: string; cert: string; key: string } {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const f = (name: string) => path.join(dir, name);
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  openssl([
    'req',
    '-x509',
    ...ec,
    '-keyout',
    f('ca.key'),
    '-out',
    f('ca.crt'),
    '-days',
    '3650',
    '-subj',
    '/CN=enclave-lab-kubernetes-ca',
  ]);
  openssl(['req', ...ec, '-keyout', f('server.key'), '-out', f('server.csr'), '-subj', '/CN=kube-apiserver']);
  writeFileSync(f('san.ext'), 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n');
  openssl([
    'x509',
    '-req',
    '-in',
    f('server.csr'),
    '-CA',
    f('ca.crt'),
    '-CAkey',
    f('ca.key'),
    '-CAcreateserial',
    '-out',
    f('server.crt'),
    '-days',
    '365',
    '-extfile',
    f('san.ext'),
  ]);
  return {
    caPem: readFileSync(f('ca.crt'), 'utf8'),
    cert: readFileSync(f('server.crt'), 'utf8'),
    key: readFileSync(f('server.key'), 'utf8'),
  };
}

function send(res: ServerResponse, code: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(code, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text) });
  res.end(text);
}

async function readBody(
  req: IncomingMessage,
  accepted: readonly string[] = ['application/json'],
): Promise<KubeObject> {
  // JSON only: kube-apiserver also speaks protobuf (kubectl creates built-in kinds that way); such a
  // request is answered 415, as a server without protobuf would.
  const type = (req.headers['content-type'] ?? 'application/json').split(';')[0]?.trim() ?? '';
  if (!accepted.includes(type)) {
    throw new StatusError(
      415,
      'UnsupportedMediaType',
      `the body of the request was in an unknown format - accepted media types include: ${accepted.join(', ')}`,
    );
  }
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  const text = Buffer.concat(chunks).toString('utf8');
  try {
    const parsed = JSON.parse(text) as unknown;
    if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) throw new Error('not an object');
    return parsed as KubeObject;
  } catch (error) {
    throw new StatusError(
      400,
      'BadRequest',
      `the request body is not a JSON object: ${(error as Error).message}`,
    );
  }
}

/** RFC 7386: objects merge key by key, null removes, anything else replaces. */
function mergePatch(target: unknown, patch: unknown): unknown {
  if (!patch || typeof patch !== 'object' || Array.isArray(patch)) return patch;
  const out: Record<string, unknown> =
    target && typeof target === 'object' && !Array.isArray(target)
      ? { ...(target as Record<string, unknown>) }
      : {};
  for (const [k, v] of Object.entries(patch as Record<string, unknown>)) {
    if (v === null) delete out[k];
    else out[k] = mergePatch(out[k], v);
  }
  return out;
}

interface Route {
  type: ResourceType;
  namespace: string | undefined;
  name: string | undefined;
  subresource: string | undefined;
}

/** `/api/v1/...` or `/apis/{group}/{version}/...` into a resource route (§3.1). */
function route(segments: string[]): Route | undefined {
  let group: string;
  let version: string;
  let rest: string[];
  if (segments[0] === 'api' && segments[1]) [group, version, rest] = ['', segments[1], segments.slice(2)];
  else if (segments[0] === 'apis' && segments[1] && segments[2])
    [group, version, rest] = [segments[1], segments[2], segments.slice(3)];
  else return undefined;
  if (rest.length === 0) return undefined;
  if (rest[0] === 'namespaces' && rest.length >= 3) {
    const type = findType(group, version, rest[2] as string);
    if (type?.namespaced) return { type, namespace: rest[1], name: rest[3], subresource: rest[4] };
    if (type) return undefined; // a cluster-scoped kind is never addressed inside a namespace
  }
  const type = findType(group, version, rest[0] as string);
  if (!type) return undefined;
  return { type, namespace: undefined, name: rest[1], subresource: rest[2] };
}

export async function startKubeEmulator(options: { stateDir: string; port?: number }): Promise<KubeEmulator> {
  const { caPem, cert, key } = makeCertificates(path.join(options.stateDir, 'pki'));
  const token = randomBytes(24).toString('hex');
  const store = new ObjectStore();

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    if (req.headers.authorization !== `Bearer ${token}`) {
      return send(res, 401, new StatusError(401, 'Unauthorized', 'Unauthorized').toStatus());
    }
    const url = new URL(req.url ?? '/', 'https://localhost');
    const segments = url.pathname.split('/').filter(Boolean);
    const p = url.pathname.replace(/\/$/, '');
    if (req.method === 'GET') {
      if (p === '/version')
        return send(res, 200, {
          major: '1',
          minor: '35',
          gitVersion: 'v1.35.0-enclave-lab',
          platform: 'linux/amd64',
        });
      if (p === '/api')
        return send(res, 200, { kind: 'APIVersions', versions: ['v1'], serverAddressByClientCIDRs: [] });
      if (p === '/apis') return send(res, 200, groupList());
      if (segments.length === 2 && segments[0] === 'api') {
        const list = resourceList('', segments[1] as string);
        if (list) return send(res, 200, list);
      }
      if (segments.length === 2 && segments[0] === 'apis') {
        const group = (groupList() as { groups: { name: string }[] }).groups.find(
          (g) => g.name === segments[1],
        );
        if (group) return send(res, 200, { kind: 'APIGroup', apiVersion: 'v1', ...group });
      }
      if (segments.length === 3 && segments[0] === 'apis') {
        const list = resourceList(segments[1] as string, segments[2] as string);
        if (list) return send(res, 200, list);
      }
      if (p === '/openapi/v3') {
        const paths = Object.fromEntries(
          Object.keys(OPENAPI_PATHS).map((k) => [k, { serverRelativeURL: `/openapi/v3/${k}` }]),
        );
        return send(res, 200, { paths });
      }
      const doc = OPENAPI_PATHS[p.replace(/^\/openapi\/v3\//, '')];
      if (p.startsWith('/openapi/v3/') && doc) {
        const text = readFileSync(path.join(OPENAPI_DIR, doc));
        res.writeHead(200, { 'Content-Type': 'application/json', 'Content-Length': text.length });
        return void res.end(text);
      }
    }
    const r = route(segments);
    if (!r || (r.subresource !== undefined && r.subresource !== 'status')) {
      return send(
        res,
        404,
        new StatusError(404, 'NotFound', 'the server could not find the requested resource').toStatus(),
      );
    }
    const { type, namespace, name } = r;
    switch (req.method) {
      case 'GET': {
        if (name) return send(res, 200, store.get(type, namespace, name));
        const items = store.list(type, namespace, {
          labelSelector: url.searchParams.get('labelSelector') ?? undefined,
          fieldSelector: url.searchParams.get('fieldSelector') ?? undefined,
        });
        return send(res, 200, {
          kind: `${type.kind}List`,
          apiVersion: type.group ? `${type.group}/${type.version}` : type.version,
          metadata: { resourceVersion: store.resourceVersion },
          // Built-in kinds' list items carry no kind/apiVersion (§3.5).
          items: items.map(({ kind: _k, apiVersion: _a, ...item }) => item),
        });
      }
      case 'POST':
        if (name) break;
        return send(res, 201, store.create(type, namespace, await readBody(req)));
      case 'PUT':
        if (!name) break;
        return send(res, 200, store.update(type, namespace, name, await readBody(req)));
      case 'DELETE': {
        if (!name) break;
        const gone = store.delete(type, namespace, name);
        if (type.kind === 'Namespace') {
          const metadata = {
            ...(gone.metadata ?? {}),
            deletionTimestamp: new Date().toISOString().replace(/\.\d{3}Z$/, 'Z'),
          };
          return send(res, 200, { ...gone, metadata, status: { phase: 'Terminating' } });
        }
        return send(res, 200, {
          kind: 'Status',
          apiVersion: 'v1',
          metadata: {},
          status: 'Success',
          details: {
            name,
            ...(type.group ? { group: type.group } : {}),
            kind: type.resource,
            uid: gone.metadata?.uid,
          },
        });
      }
      case 'PATCH': {
        if (!name) break;
        // JSON merge patch (RFC 7386), and strategic merge patch for what it shares with it (maps);
        // lists are replaced whole: patch merge keys and $patch directives are not honoured yet.
        const patch = await readBody(req, [
          'application/merge-patch+json',
          'application/strategic-merge-patch+json',
        ]);
        const patched = mergePatch(store.get(type, namespace, name), patch) as KubeObject;
        return send(res, 200, store.update(type, namespace, name, patched));
      }
    }
    send(
      res,
      405,
      new StatusError(
        405,
        'MethodNotAllowed',
        `the server does not allow this method on the requested resource`,
      ).toStatus(),
    );
  };

  const server: Server = createServer({ cert, key }, (req, res) => {
    handle(req, res).catch((error: unknown) => {
      const status =
        error instanceof StatusError
          ? error
          : new StatusError(500, 'InternalError', (error as Error).message);
      send(res, status.code, status.toStatus());
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  const url = `https://127.0.0.1:${port}`;
  const kubeconfig = [
    'apiVersion: v1',
    'kind: Config',
    'clusters:',
    '- name: enclave-lab',
    '  cluster:',
    `    server: ${url}`,
    `    certificate-authority-data: ${Buffer.from(caPem).toString('base64')}`,
    'users:',
    '- name: enclave-lab-admin',
    '  user:',
    `    token: ${token}`,
    'contexts:',
    '- name: enclave-lab',
    '  context:',
    '    cluster: enclave-lab',
    '    user: enclave-lab-admin',
    'current-context: enclave-lab',
    '',
  ].join('\n');
  writeFileSync(path.join(options.stateDir, 'kubeconfig'), kubeconfig, { mode: 0o600 });
  return {
    url,
    port,
    token,
    caPem,
    kubeconfig,
    store,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

export { RESOURCE_TYPES };
