// The Kubernetes API-server emulator of the lab (design.md §6): HTTPS on loopback with its own CA,
// bearer-token and client-certificate authentication, discovery, the OpenAPI v3 documents, and the
// REST verbs with kube-apiserver's status codes and Status bodies (k8s-tenancy.md §3): get, list,
// watch, create, update, patch (JSON, merge, strategic merge, server-side apply), delete,
// deletecollection, dryRun, field validation, namespace finalization, ResourceQuota, and GPU nodes
// with the GPU Operator's labels and MIG manager. No kube-apiserver can run here; this is what the
// console's cluster code and a real kubectl talk to. Bodies are JSON or YAML; protobuf only for the
// kinds kubectl's imperative `create` subcommands send that way (protobuf.ts), else 415.
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { TLSSocket } from 'node:tls';
import path from 'node:path';
import { parse as parseYaml } from 'yaml';
import { Api, PATCH_TYPES, writeOptions, type Result } from './api';
import { Controllers, type ControllerOptions } from './controllers';
import { badRequest, StatusError } from './errors';
import { GPU_OPERATOR_NAMESPACE, gpuNode, type GpuNodeSpec } from './nodes';
import {
  findType,
  groupList,
  groupVersion,
  resourceList,
  RESOURCE_TYPES,
  type ResourceType,
} from './registry';
import { decodeProtobuf, PROTOBUF } from './protobuf';
import { Authorizer, defaultClusterRoles, impersonate, type UserInfo } from './rbac';
import { OPENAPI_PATHS, Schemas } from './schema';
import { ObjectStore, type KubeObject } from './store';
import { TABLE_CONTENT_TYPE, toTable, wantsTable } from './table';
import { serveWatch } from './watch';

export interface KubeEmulatorOptions {
  /** Where the PKI and the kubeconfig are written. */
  stateDir: string;
  /** Listening port on 127.0.0.1 (default: any free one). */
  port?: number;
  /** GPU nodes to seed (with a `gpu-operator` namespace, as a cluster with the GPU Operator has). */
  nodes?: GpuNodeSpec[];
  /** Namespace controller and MIG manager timing (§3.9); quota status is always immediate. */
  controllers?: ControllerOptions;
  /** Watch bookmark interval in ms (default 1000). */
  bookmarkIntervalMs?: number;
  /**
   * Users besides the admin (who is in system:masters), authenticated by bearer token and
   * authorized by RBAC: e.g. a tenant's OIDC groups. A token is generated where none is given.
   */
  users?: { name: string; groups?: string[]; token?: string }[];
}

export interface KubeEmulator {
  url: string;
  port: number;
  token: string;
  caPem: string;
  /** A client certificate (CN enclave-lab-admin, O system:masters) from the lab CA, and its key. */
  clientCertPem: string;
  clientKeyPem: string;
  /**
   * A kubeconfig with context `enclave-lab` (bearer token, current) and `enclave-lab-cert`
   * (client certificate), also written to `<stateDir>/kubeconfig`.
   */
  kubeconfig: string;
  kubeconfigPath: string;
  store: ObjectStore;
  api: Api;
  controllers: Controllers;
  /** Runs the namespace controller and MIG manager once (what they would do after their delay). */
  tick(): void;
  /** Stops the controllers acting on their own (tick() still works); resume() restarts them. */
  pause(): void;
  resume(): void;
  /** The users of options.users with their tokens. */
  users: { name: string; groups: string[]; token: string }[];
  /** A kubeconfig (context `enclave-lab`) that authenticates as one of those users. */
  kubeconfigFor(user: string): string;
  /** Adds a GPU node (as a kubelet registering it would). */
  addNode(spec: GpuNodeSpec): KubeObject;
  close(): Promise<void>;
}

function openssl(args: string[]): void {
  execFileSync('openssl', args, { stdio: ['ignore', 'ignore', 'pipe'] });
}

/** A CA, a server certificate for 127.0.0.1 and an admin client certificate, made with OpenSSL. */
function makeCertificates(dir: string) {
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
  const issue = (name: string, subject: string, ext: string) => {
    openssl(['req', ...ec, '-keyout', f(`${name}.key`), '-out', f(`${name}.csr`), '-subj', subject]);
    writeFileSync(f(`${name}.ext`), ext);
    openssl([
      'x509',
      '-req',
      '-in',
      f(`${name}.csr`),
      '-CA',
      f('ca.crt'),
      '-CAkey',
      f('ca.key'),
      '-CAcreateserial',
      '-out',
      f(`${name}.crt`),
      '-days',
      '365',
      '-extfile',
      f(`${name}.ext`),
    ]);
  };
  issue(
    'server',
    '/CN=kube-apiserver',
    'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n',
  );
  // Kubernetes takes the user from CN and groups from O (system:masters: cluster-admin).
  issue('client', '/O=system:masters/CN=enclave-lab-admin', 'extendedKeyUsage=clientAuth\n');
  const read = (name: string) => readFileSync(f(name), 'utf8');
  return {
    caPem: read('ca.crt'),
    cert: read('server.crt'),
    key: read('server.key'),
    clientCertPem: read('client.crt'),
    clientKeyPem: read('client.key'),
  };
}

function send(res: ServerResponse, code: number, body: unknown, warnings: string[] = []): void {
  const text = JSON.stringify(body);
  const headers: Record<string, string | number | string[]> = {
    'Content-Type': 'application/json',
    'Content-Length': Buffer.byteLength(text),
  };
  if (warnings.length) headers.Warning = warnings.map((w) => `299 - ${JSON.stringify(w)}`);
  res.writeHead(code, headers);
  res.end(text);
}

const BODY_TYPES = ['application/json', 'application/yaml'];

async function readBytes(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

async function readText(req: IncomingMessage): Promise<string> {
  return (await readBytes(req)).toString('utf8');
}

function contentTypeOf(req: IncomingMessage): string {
  return (req.headers['content-type'] ?? 'application/json').split(';')[0]?.trim().toLowerCase() ?? '';
}

function unsupported(accepted: readonly string[]): StatusError {
  return new StatusError(
    415,
    'UnsupportedMediaType',
    `the body of the request was in an unknown format - accepted media types include: ${accepted.join(', ')}`,
  );
}

/** A JSON or YAML object body (POST/PUT, DELETE options). */
async function readObject(req: IncomingMessage, optional = false): Promise<KubeObject | undefined> {
  const type = contentTypeOf(req);
  if (type === PROTOBUF) {
    // kubectl's typed clients (`kubectl create namespace|configmap|quota|role…`) send protobuf.
    let decoded: KubeObject | undefined;
    try {
      decoded = decodeProtobuf(await readBytes(req)) as KubeObject | undefined;
    } catch (error) {
      throw badRequest(`the request body is not valid protobuf: ${(error as Error).message}`);
    }
    if (!decoded) throw unsupported(BODY_TYPES);
    return decoded;
  }
  if (!BODY_TYPES.includes(type)) throw unsupported(BODY_TYPES);
  const text = await readText(req);
  if (optional && !text.trim()) return undefined;
  let parsed: unknown;
  try {
    parsed = type === 'application/yaml' ? parseYaml(text) : JSON.parse(text);
  } catch (error) {
    throw badRequest(`the request body is not a JSON object: ${(error as Error).message}`);
  }
  if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed))
    throw badRequest('the request body is not an object');
  return parsed as KubeObject;
}

interface Route {
  type: ResourceType;
  namespace: string | undefined;
  name: string | undefined;
  subresource: string | undefined;
  /** A legacy `/watch/` path. */
  watch: boolean;
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
  const watch = rest[0] === 'watch';
  if (watch) rest = rest.slice(1);
  if (rest.length === 0) return undefined;
  if (rest[0] === 'namespaces' && rest.length >= 3) {
    const type = findType(group, version, rest[2] as string);
    if (type?.namespaced) return { type, namespace: rest[1], name: rest[3], subresource: rest[4], watch };
    if (type) return undefined; // a cluster-scoped kind is never addressed inside a namespace
  }
  const type = findType(group, version, rest[0] as string);
  if (!type || rest.length > 3) return undefined;
  return { type, namespace: undefined, name: rest[1], subresource: rest[2], watch };
}

/** The RBAC verb of a request (§3.2). */
function verbOf(method: string, name: string | undefined, watch: boolean): string {
  switch (method) {
    case 'GET':
      return watch ? 'watch' : name ? 'get' : 'list';
    case 'POST':
      return 'create';
    case 'PUT':
      return 'update';
    case 'PATCH':
      return 'patch';
    case 'DELETE':
      return name ? 'delete' : 'deletecollection';
    default:
      return method.toLowerCase();
  }
}

/** SelfSubjectAccessReview: may the caller do what spec.resourceAttributes describe? */
function accessReview(authorizer: Authorizer, user: UserInfo, review: KubeObject): object {
  const spec = (review.spec ?? {}) as {
    resourceAttributes?: Record<string, string>;
    nonResourceAttributes?: object;
  };
  const ra = spec.resourceAttributes;
  let allowed = user.groups.includes('system:masters');
  if (ra && !allowed) {
    const type =
      RESOURCE_TYPES.find((t) => t.group === (ra.group ?? '') && t.resource === ra.resource) ??
      ({
        group: ra.group ?? '',
        version: ra.version ?? 'v1',
        resource: ra.resource ?? '',
        singular: '',
        kind: '',
        namespaced: !!ra.namespace,
      } as ResourceType);
    allowed = authorizer.allows(user, {
      verb: ra.verb ?? '',
      type,
      namespace: ra.namespace || undefined,
      name: ra.name || undefined,
      subresource: ra.subresource || undefined,
    });
  } else if (!ra) {
    // Non-resource URLs (discovery, /version) are open to every authenticated user.
    allowed = true;
  }
  return {
    kind: 'SelfSubjectAccessReview',
    apiVersion: 'authorization.k8s.io/v1',
    metadata: { creationTimestamp: null },
    spec,
    status: {
      allowed,
      ...(allowed && !user.groups.includes('system:masters') ? { reason: 'RBAC: allowed by a binding' } : {}),
    },
  };
}

const notFoundStatus = () =>
  new StatusError(404, 'NotFound', 'the server could not find the requested resource');

/** Namespaces every cluster has. */
const SYSTEM_NAMESPACES = ['default', 'kube-system', 'kube-public', 'kube-node-lease'];

export async function startKubeEmulator(options: KubeEmulatorOptions): Promise<KubeEmulator> {
  const pki = makeCertificates(path.join(options.stateDir, 'pki'));
  const token = randomBytes(24).toString('hex');
  const store = new ObjectStore();
  const schemas = new Schemas();
  const api = new Api(store, schemas);
  const controllers = new Controllers(store, schemas, options.controllers);
  controllers.caPem = pki.caPem;
  const nsType = findType('', 'v1', 'namespaces') as ResourceType;
  const nodeType = findType('', 'v1', 'nodes') as ResourceType;
  for (const name of SYSTEM_NAMESPACES)
    store.create(nsType, undefined, { metadata: { name, labels: { 'kubernetes.io/metadata.name': name } } });
  const addNode = (spec: GpuNodeSpec) => {
    const node = store.create(nodeType, undefined, gpuNode(spec));
    controllers.noteNode(node);
    return node;
  };
  if (options.nodes?.length) {
    const { name, labels, annotations } = GPU_OPERATOR_NAMESPACE;
    store.create(nsType, undefined, {
      metadata: { name, labels: { 'kubernetes.io/metadata.name': name, ...labels }, annotations },
    });
    for (const spec of options.nodes) addNode(spec);
  }

  const users = (options.users ?? []).map((u) => ({
    name: u.name,
    groups: u.groups ?? [],
    token: u.token ?? randomBytes(24).toString('hex'),
  }));
  const authenticate = (req: IncomingMessage): UserInfo | undefined => {
    const header = req.headers.authorization ?? '';
    if (header === `Bearer ${token}`)
      return { name: 'enclave-lab-admin', groups: ['system:masters', 'system:authenticated'] };
    const user = header.startsWith('Bearer ') ? users.find((u) => header === `Bearer ${u.token}`) : undefined;
    if (user) return { name: user.name, groups: [...user.groups, 'system:authenticated'] };
    const socket = req.socket as TLSSocket;
    // A client certificate the lab CA issued (verified by TLS against that CA): CN user, O groups.
    if (socket.authorized !== true) return undefined;
    const subject = socket.getPeerCertificate()?.subject as Record<string, string | string[]> | undefined;
    if (!subject?.CN) return undefined;
    const o = subject.O === undefined ? [] : Array.isArray(subject.O) ? subject.O : [subject.O];
    return { name: String(subject.CN), groups: [...o, 'system:authenticated'] };
  };
  const authorizer = new Authorizer(store, RESOURCE_TYPES);
  const clusterRoleType = findType('rbac.authorization.k8s.io', 'v1', 'clusterroles') as ResourceType;
  for (const role of defaultClusterRoles()) store.create(clusterRoleType, undefined, role);

  const reply = (res: ServerResponse, r: Result) => send(res, r.code, r.body, r.warnings);

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const authenticated = authenticate(req);
    if (!authenticated)
      return send(res, 401, new StatusError(401, 'Unauthorized', 'Unauthorized').toStatus());
    const user = impersonate(authorizer, authenticated, req.headers);
    const url = new URL(req.url ?? '/', 'https://localhost');
    const segments = url.pathname.split('/').filter(Boolean);
    const p = url.pathname.replace(/\/$/, '');
    const userAgent = req.headers['user-agent'];
    if (req.method === 'GET') {
      if (p === '/version')
        return send(res, 200, {
          major: '1',
          minor: '35',
          gitVersion: 'v1.35.0-enclave-lab',
          gitCommit: '0000000000000000000000000000000000000000',
          gitTreeState: 'clean',
          buildDate: '2026-01-01T00:00:00Z',
          goVersion: 'go1.25.0',
          compiler: 'gc',
          platform: 'linux/amd64',
        });
      if (p === '/api')
        return send(res, 200, {
          kind: 'APIVersions',
          versions: ['v1'],
          serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress: `127.0.0.1:${port}` }],
        });
      if (p === '/apis') return send(res, 200, groupList());
      if (p === '/healthz' || p === '/readyz' || p === '/livez') {
        res.writeHead(200, { 'Content-Type': 'text/plain' });
        return void res.end('ok');
      }
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
      const doc = schemas.raw.get(p.replace(/^\/openapi\/v3\//, ''));
      if (p.startsWith('/openapi/v3/') && doc) {
        res.writeHead(200, { 'Content-Type': 'application/json', 'Content-Length': doc.length });
        return void res.end(doc);
      }
    }
    if (req.method === 'POST' && p === '/apis/authorization.k8s.io/v1/selfsubjectaccessreviews') {
      const review = (await readObject(req)) as KubeObject;
      return send(res, 201, accessReview(authorizer, user, review));
    }
    const r = route(segments);
    const sub = r?.subresource;
    if (!r || (sub !== undefined && !(r.type.subresources ?? []).includes(sub)))
      return send(res, 404, notFoundStatus().toStatus());
    const { type, namespace, name } = r;
    const q = url.searchParams;
    authorizer.authorize(user, {
      verb: verbOf(req.method ?? 'GET', name, r.watch || q.get('watch') === 'true' || q.get('watch') === '1'),
      type,
      namespace,
      name,
      subresource: sub,
    });
    const filter = {
      labelSelector: q.get('labelSelector') ?? undefined,
      fieldSelector: q.get('fieldSelector') ?? undefined,
    };
    switch (req.method) {
      case 'GET': {
        if (sub === 'finalize') break;
        const table = wantsTable(req.headers.accept);
        if (r.watch || q.get('watch') === 'true' || q.get('watch') === '1') {
          if (name) {
            // A watch on one object is a watch of the collection selected by name.
            q.set(
              'fieldSelector',
              [q.get('fieldSelector'), `metadata.name=${name}`].filter(Boolean).join(','),
            );
          }
          return serveWatch(req, res, store, type, namespace, url, {
            ...(options.bookmarkIntervalMs ? { bookmarkIntervalMs: options.bookmarkIntervalMs } : {}),
            ...(table
              ? {
                  transform: (o: KubeObject, first: boolean) =>
                    toTable(type, [o], String(o.metadata?.resourceVersion ?? ''), first),
                }
              : {}),
          });
        }
        if (name) {
          const object = store.get(type, namespace, name);
          if (table)
            return sendTable(res, toTable(type, [object], String(object.metadata?.resourceVersion ?? '')));
          return send(res, 200, object);
        }
        const list = listBody(store, type, namespace, filter, q);
        if (table)
          return sendTable(res, {
            ...(toTable(type, list.items, list.metadata.resourceVersion) as object),
            metadata: list.metadata,
          });
        return send(res, 200, list);
      }
      case 'POST': {
        if (name) break;
        const body = (await readObject(req)) as KubeObject;
        return reply(res, api.create(type, namespace, body, writeOptions(url, 'Create', userAgent)));
      }
      case 'PUT': {
        if (!name) break;
        const body = (await readObject(req)) as KubeObject;
        if (sub === 'finalize')
          return reply(res, api.finalize(name, body, writeOptions(url, 'Update', userAgent)));
        return reply(
          res,
          api.update(type, namespace, name, body, writeOptions(url, 'Update', userAgent), sub),
        );
      }
      case 'PATCH': {
        if (!name || sub === 'finalize') break;
        const ct = contentTypeOf(req);
        if (!(PATCH_TYPES as readonly string[]).includes(ct)) throw unsupported(PATCH_TYPES);
        const isApply = ct === 'application/apply-patch+yaml';
        const opts = writeOptions(url, 'Patch', userAgent, isApply);
        return reply(res, api.patch(type, namespace, name, await readText(req), ct, opts, sub));
      }
      case 'DELETE': {
        if (sub) break;
        const body = await readObject(req, true).catch(() => undefined);
        const opts = writeOptions(url, 'Delete', userAgent);
        if (body && Array.isArray(body.dryRun) && body.dryRun.includes('All')) opts.dryRun = true;
        if (!name && type.kind === 'Namespace') break; // namespaces have no deletecollection
        if (!name) return reply(res, api.deleteCollection(type, namespace, opts, filter));
        return reply(res, api.delete(type, namespace, name, opts, body));
      }
    }
    send(
      res,
      405,
      new StatusError(
        405,
        'MethodNotAllowed',
        'the server does not allow this method on the requested resource',
      ).toStatus(),
    );
  };

  // Client certificates are asked for but optional: token clients present none.
  const server: Server = createServer(
    { cert: pki.cert, key: pki.key, ca: pki.caPem, requestCert: true, rejectUnauthorized: false },
    (req, res) => {
      handle(req, res).catch((error: unknown) => {
        const status =
          error instanceof StatusError
            ? error
            : new StatusError(500, 'InternalError', (error as Error).message);
        if (res.headersSent) return void res.end();
        send(res, status.code, status.toStatus());
      });
    },
  );
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  const url = `https://127.0.0.1:${port}`;
  const b64 = (s: string) => Buffer.from(s).toString('base64');
  const kubeconfig = [
    'apiVersion: v1',
    'kind: Config',
    'clusters:',
    '- name: enclave-lab',
    '  cluster:',
    `    server: ${url}`,
    `    certificate-authority-data: ${b64(pki.caPem)}`,
    'users:',
    '- name: enclave-lab-admin',
    '  user:',
    `    token: ${token}`,
    '- name: enclave-lab-admin-cert',
    '  user:',
    `    client-certificate-data: ${b64(pki.clientCertPem)}`,
    `    client-key-data: ${b64(pki.clientKeyPem)}`,
    'contexts:',
    '- name: enclave-lab',
    '  context:',
    '    cluster: enclave-lab',
    '    user: enclave-lab-admin',
    '- name: enclave-lab-cert',
    '  context:',
    '    cluster: enclave-lab',
    '    user: enclave-lab-admin-cert',
    'current-context: enclave-lab',
    '',
  ].join('\n');
  const kubeconfigPath = path.join(options.stateDir, 'kubeconfig');
  writeFileSync(kubeconfigPath, kubeconfig, { mode: 0o600 });
  const kubeconfigFor = (name: string): string => {
    const user = users.find((u) => u.name === name);
    if (!user) throw new Error(`no emulator user ${name} (options.users)`);
    return [
      'apiVersion: v1',
      'kind: Config',
      'clusters:',
      '- name: enclave-lab',
      '  cluster:',
      `    server: ${url}`,
      `    certificate-authority-data: ${b64(pki.caPem)}`,
      'users:',
      `- name: ${JSON.stringify(name)}`,
      '  user:',
      `    token: ${user.token}`,
      'contexts:',
      '- name: enclave-lab',
      '  context:',
      '    cluster: enclave-lab',
      `    user: ${JSON.stringify(name)}`,
      'current-context: enclave-lab',
      '',
    ].join('\n');
  };
  return {
    url,
    port,
    token,
    caPem: pki.caPem,
    clientCertPem: pki.clientCertPem,
    clientKeyPem: pki.clientKeyPem,
    kubeconfig,
    kubeconfigPath,
    users,
    kubeconfigFor,
    store,
    api,
    controllers,
    tick: () => controllers.tick(),
    pause: () => controllers.pause(),
    resume: () => controllers.resume(),
    addNode,
    close: () =>
      new Promise<void>((resolve) => {
        controllers.close();
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

function sendTable(res: ServerResponse, table: object): void {
  const text = JSON.stringify(table);
  res.writeHead(200, { 'Content-Type': TABLE_CONTENT_TYPE, 'Content-Length': Buffer.byteLength(text) });
  res.end(text);
}

/** A `<Kind>List` (§3.5): items without kind/apiVersion; limit/continue over a consistent snapshot. */
function listBody(
  store: ObjectStore,
  t: ResourceType,
  namespace: string | undefined,
  filter: { labelSelector?: string | undefined; fieldSelector?: string | undefined },
  q: URLSearchParams,
): {
  kind: string;
  apiVersion: string;
  metadata: { resourceVersion: string } & Record<string, unknown>;
  items: KubeObject[];
} {
  let items = store.list(t, namespace, filter);
  let rv = store.resourceVersion;
  // resourceVersion=N with resourceVersionMatch=Exact reads that revision; unset, "0" and
  // NotOlderThan read the latest (always at least as new as asked for here).
  const asked = q.get('resourceVersion');
  if (q.get('resourceVersionMatch') === 'Exact' && asked && asked !== '0') {
    const exact = store.listAt(t, namespace, filter, Number(asked));
    if (!exact)
      throw new StatusError(
        410,
        'Expired',
        `too old resource version: ${asked} (${store.oldestResourceVersion})`,
      );
    items = exact;
    rv = asked;
  }
  const metadata: Record<string, unknown> = {};
  const token = q.get('continue');
  if (token) {
    let parsed: { rv: string; after: string };
    try {
      parsed = JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as { rv: string; after: string };
    } catch {
      throw badRequest('continue key is not valid: illegal base64 data');
    }
    const snapshot = store.listAt(t, namespace, filter, Number(parsed.rv));
    if (!snapshot)
      throw new StatusError(
        410,
        'Expired',
        'The provided continue parameter is too old to display a consistent list result. You can start a new list without the continue parameter, or use the continue token in this response to retrieve the remainder of the results. Continuing with the provided token results in an inconsistent list - objects that were created, modified, or deleted between the time the first chunk was returned and now may show up in the list.',
      );
    items = snapshot.filter((o) => `${o.metadata?.namespace ?? ''}/${o.metadata?.name ?? ''}` > parsed.after);
    rv = parsed.rv;
  }
  const limit = Number(q.get('limit') ?? '0');
  if (limit > 0 && items.length > limit) {
    const last = items[limit - 1] as KubeObject;
    metadata.continue = Buffer.from(
      JSON.stringify({ rv, after: `${last.metadata?.namespace ?? ''}/${last.metadata?.name ?? ''}` }),
    ).toString('base64url');
    metadata.remainingItemCount = items.length - limit;
    items = items.slice(0, limit);
  }
  return {
    kind: `${t.kind}List`,
    apiVersion: groupVersion(t),
    metadata: { resourceVersion: rv, ...metadata },
    // Built-in kinds' list items carry no kind/apiVersion (§3.5).
    items: items.map(({ kind: _k, apiVersion: _a, ...item }) => item),
  };
}

export { RESOURCE_TYPES };
export type { GpuNodeSpec };
