import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { CoreV1Api, KubeConfig } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import {
  type ClusterConnectionError,
  describeClusterError,
  execCommandLine,
  listKubeconfigContexts,
  parseKubeconfig,
  sanitizedKubeconfig,
  sanitizedKubeconfigObject,
  type KubeconfigImport,
  type KubeconfigProblem,
  type ParseKubeconfigOptions,
} from '../../electron/core/clusters';

// Real certificates, made with the local openssl (3.0 has no `x509 -not_before`, so the expired
// certificate comes from `openssl ca -startdate/-enddate`).
let dir: string;
const pem: Record<string, string> = {};
const b64 = (name: string): string => Buffer.from(pem[name] as string).toString('base64');

function openssl(...args: string[]): void {
  execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
}

beforeAll(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'kubeconfig-test-'));
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  openssl(
    'req',
    '-x509',
    ...ec,
    '-keyout',
    'ca.key',
    '-out',
    'ca.crt',
    '-subj',
    '/CN=enclave-ca',
    '-days',
    '30',
  );
  openssl('req', ...ec, '-keyout', 'alice.key', '-out', 'alice.csr', '-subj', '/CN=alice/O=ops');
  openssl(
    'x509',
    '-req',
    '-in',
    'alice.csr',
    '-CA',
    'ca.crt',
    '-CAkey',
    'ca.key',
    '-set_serial',
    '2',
    '-days',
    '10',
    '-out',
    'alice.crt',
  );
  openssl('req', ...ec, '-keyout', 'bob.key', '-out', 'bob.csr', '-subj', '/CN=bob');
  writeFileSync(path.join(dir, 'index.txt'), '');
  writeFileSync(path.join(dir, 'serial'), '03\n');
  writeFileSync(
    path.join(dir, 'ca.cnf'),
    '[ca]\ndefault_ca=d\n[d]\ndatabase=index.txt\nnew_certs_dir=.\nserial=serial\ndefault_md=sha256\npolicy=p\n[p]\ncommonName=supplied\n',
  );
  openssl(
    'ca',
    '-batch',
    '-config',
    'ca.cnf',
    '-cert',
    'ca.crt',
    '-keyfile',
    'ca.key',
    '-in',
    'bob.csr',
    '-out',
    'bob-old.crt',
    '-startdate',
    '20200101000000Z',
    '-enddate',
    '20200201000000Z',
    '-notext',
  );
  // API server certificates for a loopback HTTPS server: one from the CA, one self-signed (an
  // unknown CA), one from the CA but expired.
  writeFileSync(path.join(dir, 'san.cnf'), '[e]\nsubjectAltName=IP:127.0.0.1\n');
  openssl('req', ...ec, '-keyout', 'server.key', '-out', 'server.csr', '-subj', '/CN=kube-apiserver');
  const sign = ['-CA', 'ca.crt', '-CAkey', 'ca.key', '-extfile', 'san.cnf', '-extensions', 'e'];
  openssl(
    'x509',
    '-req',
    '-in',
    'server.csr',
    ...sign,
    '-set_serial',
    '9',
    '-days',
    '10',
    '-out',
    'server.crt',
  );
  openssl(
    'req',
    '-x509',
    '-key',
    'server.key',
    '-subj',
    '/CN=impostor',
    '-addext',
    'subjectAltName=IP:127.0.0.1',
    '-days',
    '10',
    '-out',
    'impostor.crt',
  );
  openssl(
    'ca',
    '-batch',
    '-config',
    'ca.cnf',
    '-cert',
    'ca.crt',
    '-keyfile',
    'ca.key',
    '-in',
    'server.csr',
    '-out',
    'server-old.crt',
    '-startdate',
    '20200101000000Z',
    '-enddate',
    '20200201000000Z',
    '-extfile',
    'san.cnf',
    '-extensions',
    'e',
    '-notext',
  );
  for (const f of [
    'ca.crt',
    'ca.key',
    'alice.crt',
    'alice.key',
    'bob.key',
    'bob-old.crt',
    'server.key',
    'server.crt',
    'impostor.crt',
    'server-old.crt',
  ]) {
    pem[f] = readFileSync(path.join(dir, f), 'utf8');
  }
});

afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** A kubeconfig with one context `prod` → cluster `prod` + user `alice`, overridable per part. */
function kubeconfig(
  parts: {
    cluster?: Record<string, unknown>;
    user?: Record<string, unknown>;
    extra?: Record<string, unknown>;
  } = {},
): string {
  const cluster = parts.cluster ?? {
    server: 'https://10.0.0.1:6443',
    'certificate-authority-data': b64('ca.crt'),
  };
  const user = parts.user ?? {
    'client-certificate-data': b64('alice.crt'),
    'client-key-data': b64('alice.key'),
  };
  return stringify({
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name: 'prod', cluster }],
    users: [{ name: 'alice', user }],
    contexts: [{ name: 'prod', context: { cluster: 'prod', user: 'alice', namespace: 'team-a' } }],
    'current-context': 'prod',
    ...parts.extra,
  });
}

const base: ParseKubeconfigOptions = { execAllowlist: [] };

function errorsOf(result: KubeconfigImport): KubeconfigProblem[] {
  expect(result.ok).toBe(false);
  return result.ok ? [] : result.errors;
}

function okOf(result: KubeconfigImport) {
  if (!result.ok) throw new Error(`expected ok, got ${JSON.stringify(result.errors, null, 2)}`);
  return result;
}

describe('parseKubeconfig: accepted kubeconfigs', () => {
  it('imports a context with inline CA and client certificate', () => {
    const result = okOf(parseKubeconfig(kubeconfig(), base));
    expect(result.warnings).toEqual([]);
    expect(result.clusters).toHaveLength(1);
    const [c] = result.clusters;
    expect(c).toMatchObject({
      context: 'prod',
      namespace: 'team-a',
      current: true,
      cluster: { name: 'prod', server: 'https://10.0.0.1:6443', caPem: pem['ca.crt'] },
      user: { name: 'alice' },
    });
    expect(c?.cluster.caCertificates[0]?.subject).toBe('CN=enclave-ca');
    expect(c?.user.clientCertificate?.certPem).toBe(pem['alice.crt']);
    expect(c?.user.clientCertificate?.keyPem).toBe(pem['alice.key']);
    expect(c?.user.clientCertificate?.certificate.subject).toBe('CN=alice, O=ops');
    expect(c?.user.clientCertificate?.certificate.issuer).toBe('CN=enclave-ca');
  });

  it('reads file references once and stores their contents inline', () => {
    const files: Record<string, string> = {
      '/home/op/.kube/pki/ca.crt': pem['ca.crt'] as string,
      '/home/op/.kube/alice.crt': pem['alice.crt'] as string,
      '/etc/keys/alice.key': pem['alice.key'] as string,
      '/home/op/.kube/token': '  sekret-token-123\n',
    };
    const reads: string[] = [];
    const readFile = (p: string): Buffer | undefined => {
      reads.push(p);
      return files[p] === undefined ? undefined : Buffer.from(files[p]);
    };
    const text = stringify({
      apiVersion: 'v1',
      kind: 'Config',
      clusters: [
        { name: 'a', cluster: { server: 'https://a:6443', 'certificate-authority': 'pki/ca.crt' } },
        {
          name: 'b',
          cluster: { server: 'https://b:6443', 'certificate-authority': '/home/op/.kube/pki/ca.crt' },
        },
      ],
      users: [
        { name: 'alice', user: { 'client-certificate': 'alice.crt', 'client-key': '/etc/keys/alice.key' } },
        { name: 'robot', user: { tokenFile: '/home/op/.kube/token' } },
      ],
      contexts: [
        { name: 'a', context: { cluster: 'a', user: 'alice' } },
        { name: 'b', context: { cluster: 'b', user: 'robot' } },
        { name: 'b-alice', context: { cluster: 'b', user: 'alice' } },
      ],
    });
    const result = okOf(parseKubeconfig(text, { ...base, fileName: '/home/op/.kube/config', readFile }));
    expect([...reads].sort()).toEqual(Object.keys(files).sort());
    expect([...result.filesRead].sort()).toEqual(Object.keys(files).sort());
    expect(result.clusters.map((c) => c.context)).toEqual(['a', 'b', 'b-alice']);
    expect(result.clusters[0]?.cluster.caPem).toBe(pem['ca.crt']);
    expect(result.clusters[0]?.user.clientCertificate?.keyPem).toBe(pem['alice.key']);
    expect(result.clusters[1]?.user.token).toBe('sekret-token-123');
    for (const c of result.clusters) {
      const out = sanitizedKubeconfig(c);
      expect(out).not.toMatch(
        /\/home\/op|\/etc\/keys|pki\/|tokenFile|token-file|client-key:|certificate-authority:/,
      );
    }
  });

  it('refuses a file reference it cannot read, or a relative one with no location', () => {
    const text = kubeconfig({ cluster: { server: 'https://x:6443', 'certificate-authority': 'ca.crt' } });
    const noRead = errorsOf(parseKubeconfig(text, base));
    expect(noRead[0]?.message).toMatch(/names the file ca\.crt in certificate-authority/);
    const relative = errorsOf(parseKubeconfig(text, { ...base, readFile: () => undefined }));
    expect(relative[0]?.message).toMatch(/relative path ca\.crt/);
    const missing = errorsOf(
      parseKubeconfig(text, { ...base, fileName: '/k/config', readFile: () => undefined }),
    );
    expect(missing[0]?.message).toMatch(
      /the file \/k\/ca\.crt named in certificate-authority cannot be read/,
    );
  });

  it('imports several contexts, and only the chosen ones when asked', () => {
    const text = stringify({
      clusters: [
        {
          name: 'prod',
          cluster: { server: 'https://prod:6443', 'certificate-authority-data': b64('ca.crt') },
        },
        { name: 'lab', cluster: { server: 'http://lab:8080', 'certificate-authority-data': b64('ca.crt') } },
      ],
      users: [
        {
          name: 'alice',
          user: { 'client-certificate-data': b64('alice.crt'), 'client-key-data': b64('alice.key') },
        },
        { name: 'ci', user: { token: 'abc.def.ghi' } },
      ],
      contexts: [
        { name: 'prod-admin', context: { cluster: 'prod', user: 'alice' } },
        { name: 'prod-ci', context: { cluster: 'prod', user: 'ci', namespace: 'ci' } },
        { name: 'lab', context: { cluster: 'lab', user: 'ci' } },
      ],
      'current-context': 'prod-ci',
    });
    // The lab context (http://) blocks importing everything...
    const all = errorsOf(parseKubeconfig(text, base));
    expect(all.map((e) => e.entry)).toEqual(['cluster "lab"']);
    // ...but not the contexts the operator chose.
    const chosen = okOf(parseKubeconfig(text, { ...base, contexts: ['prod-admin', 'prod-ci'] }));
    expect(chosen.clusters.map((c) => [c.context, c.current, c.user.name, c.namespace])).toEqual([
      ['prod-admin', false, 'alice', undefined],
      ['prod-ci', true, 'ci', 'ci'],
    ]);
    expect(chosen.clusters[1]?.user.token).toBe('abc.def.ghi');
    const unknown = errorsOf(parseKubeconfig(text, { ...base, contexts: ['nope'] }));
    expect(unknown[0]?.message).toMatch(/no context "nope"/);
    expect(unknown[0]?.hint).toMatch(/prod-admin, prod-ci, lab/);
  });

  it('accepts an exec plugin only when its exact command line is allowlisted', () => {
    const exec = {
      apiVersion: 'client.authentication.k8s.io/v1',
      command: '/opt/enclave/bin/card-login',
      args: ['get-token', '--reader', 'slot 0'],
      env: [{ name: 'CARD_PIN_PROMPT', value: 'gui' }],
    };
    const text = kubeconfig({ user: { exec } });
    const line = "/opt/enclave/bin/card-login get-token --reader 'slot 0'";
    expect(execCommandLine(exec.command, exec.args)).toBe(line);

    const refused = errorsOf(parseKubeconfig(text, base));
    expect(refused[0]).toMatchObject({ entry: 'user "alice"', field: 'exec' });
    expect(refused[0]?.message).toContain(line);
    expect(refused[0]?.hint).toContain(`adds exactly "${line}"`);
    // Same command, different arguments: refused.
    const otherArgs = errorsOf(
      parseKubeconfig(text, { execAllowlist: ['/opt/enclave/bin/card-login get-token'] }),
    );
    expect(otherArgs[0]?.field).toBe('exec');
    // Arguments split differently do not read the same.
    expect(
      errorsOf(
        parseKubeconfig(
          kubeconfig({ user: { exec: { ...exec, args: ['get-token', '--reader', 'slot', '0'] } } }),
          {
            execAllowlist: [line],
          },
        ),
      )[0]?.field,
    ).toBe('exec');

    const ok = okOf(parseKubeconfig(text, { execAllowlist: [line] }));
    expect(ok.clusters[0]?.user.exec).toEqual({
      command: exec.command,
      args: exec.args,
      env: exec.env,
      apiVersion: exec.apiVersion,
      commandLine: line,
    });
    const sanitized = parse(sanitizedKubeconfig(ok.clusters[0]!)) as { users: { user: { exec: unknown } }[] };
    expect(sanitized.users[0]?.user.exec).toEqual({ ...exec, interactiveMode: 'Never' });
  });

  it('refuses an allowlisted exec plugin found through PATH, or one setting LD_PRELOAD', () => {
    const exec = { apiVersion: 'client.authentication.k8s.io/v1', command: 'kubelogin', args: ['get-token'] };
    const bare = errorsOf(
      parseKubeconfig(kubeconfig({ user: { exec } }), { execAllowlist: ['kubelogin get-token'] }),
    );
    expect(bare[0]?.field).toBe('exec.command');
    const preload = {
      ...exec,
      command: '/usr/bin/kubelogin',
      env: [{ name: 'LD_PRELOAD', value: '/tmp/x.so' }],
    };
    const env = errorsOf(
      parseKubeconfig(kubeconfig({ user: { exec: preload } }), {
        execAllowlist: ['/usr/bin/kubelogin get-token'],
      }),
    );
    expect(env[0]).toMatchObject({ field: 'exec.env' });
    expect(env[0]?.message).toMatch(/LD_PRELOAD/);
  });
});

describe('parseKubeconfig: refused and broken kubeconfigs', () => {
  it('reports malformed YAML with its line', () => {
    const text = 'apiVersion: v1\nclusters:\n- name: a\n  cluster:\n    server: https://a: b\ncontexts: []\n';
    const [e] = errorsOf(parseKubeconfig(text, { ...base, fileName: 'config' }));
    expect(e?.field).toBe('(yaml)');
    expect(e?.line).toBe(5);
    expect(e?.message).toMatch(/^config line 5: not valid YAML/);
    const dup = errorsOf(parseKubeconfig('clusters: []\nclusters: []\n', base));
    expect(dup[0]?.line).toBe(2);
    expect(errorsOf(parseKubeconfig('- a\n- b\n', base))[0]?.message).toMatch(/not a kubeconfig/);
    expect(errorsOf(parseKubeconfig('kind: Pod\n', base))[0]?.message).toMatch(/kind is Pod, not Config/);
    expect(errorsOf(parseKubeconfig(new Uint8Array([0xff, 0xfe, 0x00]), base))[0]?.message).toMatch(
      /not UTF-8/,
    );
  });

  it('names missing fields', () => {
    expect(errorsOf(parseKubeconfig('apiVersion: v1\nkind: Config\n', base))[0]?.message).toMatch(
      /no contexts/,
    );
    const noServer = errorsOf(
      parseKubeconfig(kubeconfig({ cluster: { 'certificate-authority-data': b64('ca.crt') } }), base),
    );
    expect(noServer[0]).toMatchObject({ entry: 'cluster "prod"', field: 'server' });
    const noCa = errorsOf(parseKubeconfig(kubeconfig({ cluster: { server: 'https://x:6443' } }), base));
    expect(noCa[0]).toMatchObject({ entry: 'cluster "prod"', field: 'certificate-authority-data' });
    expect(noCa[0]?.hint).toMatch(/Give cluster "prod" certificate-authority-data/);
    const dangling = stringify({
      clusters: [],
      users: [{ name: 'u' }],
      contexts: [{ name: 'c', context: { cluster: 'gone', user: 'u' } }],
    });
    const errs = errorsOf(parseKubeconfig(dangling, base));
    expect(errs.map((e) => [e.entry, e.field])).toEqual([
      ['context "c"', 'cluster'],
      ['user "u"', 'user'],
    ]);
    expect(errs[0]?.message).toMatch(/names cluster "gone", which the kubeconfig does not define/);
    expect(errs[0]?.line).toBe(7);
    expect(errs[1]?.message).toBe('user "u" has no user section');
    const halfCert = errorsOf(
      parseKubeconfig(kubeconfig({ user: { 'client-certificate-data': b64('alice.crt') } }), base),
    );
    expect(halfCert[0]).toMatchObject({ field: 'client-key-data' });
    expect(halfCert[0]?.message).toMatch(/certificate but no key/);
  });

  it('reports broken or duplicate entries only for the contexts that use them', () => {
    const text = stringify({
      clusters: [
        {
          name: 'prod',
          cluster: { server: 'https://prod:6443', 'certificate-authority-data': b64('ca.crt') },
        },
        { name: 'twice', cluster: { server: 'https://a:6443', 'certificate-authority-data': b64('ca.crt') } },
        { name: 'twice', cluster: { server: 'https://b:6443', 'certificate-authority-data': b64('ca.crt') } },
        { cluster: { server: 'https://nameless:6443' } },
      ],
      users: [{ name: 'ci', user: { token: 'abc' } }],
      contexts: [
        { name: 'good', context: { cluster: 'prod', user: 'ci' } },
        { name: 'ambiguous', context: { cluster: 'twice', user: 'ci' } },
      ],
    });
    const errs = errorsOf(parseKubeconfig(text, base));
    expect(errs).toHaveLength(1);
    expect(errs[0]).toMatchObject({ entry: 'cluster "twice"', field: 'name', line: 10 });
    expect(errs[0]?.message).toBe('clusters has two entries named "twice"');
    const good = okOf(parseKubeconfig(text, { ...base, contexts: ['good'] }));
    expect(good.clusters.map((c) => c.context)).toEqual(['good']);
    expect(good.warnings.map((w) => w.field)).toEqual(['clusters[3].name']);
  });

  it('refuses a token file that holds no token, and an oversized file', () => {
    const shadow = Buffer.from('root:$y$j9T$abc:19000:0:99999:7:::\ndaemon:*:19000:0:99999:7:::\n');
    const text = kubeconfig({ user: { tokenFile: '/etc/shadow' } });
    const [e] = errorsOf(parseKubeconfig(text, { ...base, readFile: () => shadow }));
    expect(e).toMatchObject({ entry: 'user "alice"', field: 'tokenFile' });
    expect(e?.message).toMatch(/does not hold a bearer token/);
    expect(JSON.stringify(e)).not.toContain('root:');
    const big = errorsOf(parseKubeconfig(text, { ...base, readFile: () => Buffer.alloc(1024 * 1024, 0x61) }));
    expect(big[0]?.message).toMatch(/too large for a certificate, key or token/);
  });

  it('refuses insecure-skip-tls-verify', () => {
    const text = kubeconfig({ cluster: { server: 'https://x:6443', 'insecure-skip-tls-verify': true } });
    const errs = errorsOf(parseKubeconfig(text, base));
    const e = errs.find((x) => x.field === 'insecure-skip-tls-verify');
    expect(e?.message).toBe(
      'insecure-skip-tls-verify is set for cluster "prod": the console never talks to a cluster without verifying its certificate',
    );
    expect(e?.hint).toMatch(/certificate-authority-data/);
    expect(e?.line).toBe(7);
  });

  it('refuses an http:// server and credentials in the URL', () => {
    const http = errorsOf(
      parseKubeconfig(
        kubeconfig({
          cluster: { server: 'http://10.0.0.1:8080', 'certificate-authority-data': b64('ca.crt') },
        }),
        base,
      ),
    );
    expect(http[0]).toMatchObject({ field: 'server' });
    expect(http[0]?.message).toMatch(/is http:\/\/, and the console only talks to a cluster over HTTPS/);
    const creds = errorsOf(
      parseKubeconfig(
        kubeconfig({
          cluster: { server: 'https://u:p@x:6443', 'certificate-authority-data': b64('ca.crt') },
        }),
        base,
      ),
    );
    expect(creds[0]?.message).toMatch(/user name or password/);
    expect(creds[0]?.message).not.toContain('u:p');
  });

  it('refuses proxy-url', () => {
    const text = kubeconfig({
      cluster: {
        server: 'https://x:6443',
        'certificate-authority-data': b64('ca.crt'),
        'proxy-url': 'socks5://p:1080',
      },
    });
    const [e] = errorsOf(parseKubeconfig(text, base));
    expect(e).toMatchObject({ entry: 'cluster "prod"', field: 'proxy-url' });
    expect(e?.message).toMatch(/no connections through proxies/);
  });

  it('refuses auth providers and basic auth', () => {
    const oidc = errorsOf(
      parseKubeconfig(
        kubeconfig({ user: { 'auth-provider': { name: 'oidc', config: { 'id-token': 'x' } } } }),
        base,
      ),
    );
    expect(oidc[0]).toMatchObject({ entry: 'user "alice"', field: 'auth-provider' });
    expect(oidc[0]?.message).toMatch(/auth-provider oidc: the console refuses auth providers/);
    const gcp = errorsOf(
      parseKubeconfig(
        kubeconfig({ user: { 'auth-provider': { name: 'gcp', config: { 'cmd-path': '/bin/sh' } } } }),
        {
          execAllowlist: ['/bin/sh'],
        },
      ),
    );
    expect(gcp[0]?.message).toMatch(/removed in Kubernetes 1\.26/);
    const basic = errorsOf(
      parseKubeconfig(kubeconfig({ user: { username: 'admin', password: 'hunter2' } }), base),
    );
    expect(basic[0]).toMatchObject({ field: 'username' });
    expect(basic[0]?.message).toMatch(/basic authentication was removed/);
    expect(JSON.stringify(basic)).not.toContain('hunter2');
  });

  it('refuses an expired client certificate, and one not valid yet, with the dates', () => {
    const text = kubeconfig({
      user: { 'client-certificate-data': b64('bob-old.crt'), 'client-key-data': b64('bob.key') },
    });
    const [e] = errorsOf(parseKubeconfig(text, base));
    expect(e).toMatchObject({ entry: 'user "alice"', field: 'client-certificate-data' });
    expect(e?.message).toMatch(
      /\(CN=bob\) expired on 2020-02-01T00:00:00\.000Z \(valid from 2020-01-01T00:00:00\.000Z/,
    );
    const early = errorsOf(parseKubeconfig(kubeconfig(), { ...base, now: new Date('2001-01-01T00:00:00Z') }));
    expect(early.map((x) => x.message).join('\n')).toMatch(
      /client certificate .* is not valid yet: valid from/,
    );
  });

  it('refuses a key that does not belong to the certificate', () => {
    const text = kubeconfig({
      user: { 'client-certificate-data': b64('alice.crt'), 'client-key-data': b64('bob.key') },
    });
    const [e] = errorsOf(parseKubeconfig(text, base));
    expect(e).toMatchObject({ field: 'client-key-data' });
    expect(e?.message).toMatch(/does not belong to its client certificate \(CN=alice, O=ops\)/);
    const notKey = errorsOf(
      parseKubeconfig(
        kubeconfig({
          user: { 'client-certificate-data': b64('alice.crt'), 'client-key-data': b64('alice.crt') },
        }),
        base,
      ),
    );
    expect(notKey[0]?.message).toMatch(/is not a private key/);
  });

  it('refuses a CA that is not a certificate', () => {
    const key = errorsOf(
      parseKubeconfig(
        kubeconfig({ cluster: { server: 'https://x:6443', 'certificate-authority-data': b64('ca.key') } }),
        base,
      ),
    );
    expect(key[0]).toMatchObject({ entry: 'cluster "prod"', field: 'certificate-authority' });
    expect(key[0]?.message).toMatch(/holds a private key, not a certificate/);
    const junk = errorsOf(
      parseKubeconfig(
        kubeconfig({ cluster: { server: 'https://x:6443', 'certificate-authority-data': '!!not base64!!' } }),
        base,
      ),
    );
    expect(junk[0]).toMatchObject({ field: 'certificate-authority-data' });
    expect(junk[0]?.message).toMatch(/is not base64/);
    const broken = Buffer.from(
      '-----BEGIN CERTIFICATE-----\nMIIBnotacert\n-----END CERTIFICATE-----\n',
    ).toString('base64');
    const bad = errorsOf(
      parseKubeconfig(
        kubeconfig({ cluster: { server: 'https://x:6443', 'certificate-authority-data': broken } }),
        base,
      ),
    );
    expect(bad[0]?.message).toMatch(/certificate 1 of the bundle does not parse/);
  });

  it('warns when the CA given is not a CA certificate', () => {
    const text = kubeconfig({
      cluster: { server: 'https://127.0.0.1:6443', 'certificate-authority-data': b64('server.crt') },
    });
    const result = okOf(parseKubeconfig(text, base));
    expect(result.warnings[0]).toMatchObject({ entry: 'cluster "prod"', field: 'certificate-authority' });
    expect(result.warnings[0]?.message).toMatch(/CN=kube-apiserver .* is not a CA certificate/);
  });

  it('refuses an expired CA, with the dates', () => {
    const [e] = errorsOf(parseKubeconfig(kubeconfig(), { ...base, now: new Date('2099-01-01T00:00:00Z') }));
    expect(e).toMatchObject({ entry: 'cluster "prod"', field: 'certificate-authority' });
    expect(e?.message).toMatch(/CA certificate CN=enclave-ca of cluster "prod" expired on/);
  });

  it('never echoes a token in its messages', () => {
    const text = kubeconfig({
      cluster: { server: 'http://x', 'certificate-authority-data': b64('ca.crt') },
      user: { token: 'top-secret-token', 'token-file': '/etc/shadow' },
    });
    const result = parseKubeconfig(text, base);
    expect(JSON.stringify(result)).not.toContain('top-secret-token');
    expect(errorsOf(result).map((e) => e.field)).toContain('token');
  });
});

describe('listKubeconfigContexts', () => {
  it('lists the contexts to choose from without reading or checking anything', () => {
    const text = stringify({
      clusters: [
        { name: 'prod', cluster: { server: 'http://prod:8080', 'certificate-authority': '/x/ca.crt' } },
      ],
      users: [{ name: 'u', user: { exec: { command: 'rm', args: ['-rf', '/'] } } }],
      contexts: [
        { name: 'prod', context: { cluster: 'prod', user: 'u', namespace: 'n' } },
        { name: 'lost', context: { cluster: 'gone' } },
      ],
      'current-context': 'lost',
    });
    expect(listKubeconfigContexts(text)).toEqual({
      ok: true,
      contexts: [
        {
          name: 'prod',
          cluster: 'prod',
          user: 'u',
          namespace: 'n',
          server: 'http://prod:8080',
          current: false,
        },
        { name: 'lost', cluster: 'gone', current: true },
      ],
    });
    const bad = listKubeconfigContexts('a: [', { fileName: 'k.yaml' });
    expect(bad.ok).toBe(false);
    expect(!bad.ok && bad.errors[0]?.message).toMatch(/^k\.yaml line 1: not valid YAML/);
  });
});

describe('sanitizedKubeconfig', () => {
  const refusedFields =
    /insecure-skip-tls-verify|proxy-url|auth-provider|username|password|tokenFile|token-file|certificate-authority:|client-certificate:|client-key:|exec|\/home\//;

  it('holds one context with inline data, and re-imports to the same cluster', () => {
    const text = stringify({
      clusters: [
        {
          name: 'prod',
          cluster: {
            server: 'https://10.0.0.1:6443/',
            'certificate-authority': '/home/op/ca.crt',
            'tls-server-name': 'api.enclave.local',
            extensions: [{ name: 'x', extension: {} }],
          },
        },
        { name: 'other', cluster: { server: 'https://o:6443', 'certificate-authority-data': b64('ca.crt') } },
      ],
      users: [
        {
          name: 'alice',
          user: { 'client-certificate': '/home/op/a.crt', 'client-key': '/home/op/a.key', token: 'tok' },
        },
      ],
      contexts: [
        { name: 'prod', context: { cluster: 'prod', user: 'alice', namespace: 'ns1' } },
        { name: 'other', context: { cluster: 'other', user: 'alice' } },
      ],
      'current-context': 'other',
    });
    const files: Record<string, string> = {
      '/home/op/ca.crt': pem['ca.crt'] as string,
      '/home/op/a.crt': pem['alice.crt'] as string,
      '/home/op/a.key': pem['alice.key'] as string,
    };
    const result = okOf(
      parseKubeconfig(text, { ...base, readFile: (p) => (files[p] ? Buffer.from(files[p]) : undefined) }),
    );
    expect(result.warnings.map((w) => w.field)).toEqual(['tls-server-name']);
    const prod = result.clusters[0]!;
    const out = sanitizedKubeconfig(prod);
    expect(out).not.toMatch(refusedFields);
    expect(out).not.toContain('other');
    const obj = parse(out) as Record<string, unknown>;
    expect(obj).toEqual(sanitizedKubeconfigObject(prod));
    expect(obj).toMatchObject({
      kind: 'Config',
      'current-context': 'prod',
      clusters: [
        {
          name: 'prod',
          cluster: { server: 'https://10.0.0.1:6443', 'tls-server-name': 'api.enclave.local' },
        },
      ],
      users: [{ name: 'alice', user: { token: 'tok' } }],
      contexts: [{ name: 'prod', context: { cluster: 'prod', user: 'alice', namespace: 'ns1' } }],
    });
    const again = okOf(parseKubeconfig(out, base));
    expect(again.clusters).toEqual([{ ...prod, current: true }]);
  });

  it('loads in @kubernetes/client-node with the expected context, server and user', () => {
    const result = okOf(parseKubeconfig(kubeconfig(), base));
    const kc = new KubeConfig();
    kc.loadFromString(sanitizedKubeconfig(result.clusters[0]!));
    expect(kc.getCurrentContext()).toBe('prod');
    expect(kc.getCurrentCluster()).toMatchObject({
      name: 'prod',
      server: 'https://10.0.0.1:6443',
      caData: b64('ca.crt'),
      skipTLSVerify: false,
    });
    expect(kc.getCurrentCluster()?.proxyUrl).toBeUndefined();
    expect(kc.getCurrentUser()).toMatchObject({
      name: 'alice',
      certData: b64('alice.crt'),
      keyData: b64('alice.key'),
    });
    expect(kc.getCurrentUser()?.exec).toBeUndefined();
    expect(kc.getCurrentUser()?.authProvider).toBeUndefined();
    expect(kc.getContextObject('prod')?.namespace).toBe('team-a');
    const core = kc.makeApiClient(CoreV1Api);
    expect(core).toBeInstanceOf(CoreV1Api);
  });

  it('hands an allowlisted exec plugin, and only that, to client-node', () => {
    const exec = {
      apiVersion: 'client.authentication.k8s.io/v1',
      command: '/usr/bin/kubelogin',
      args: ['get-token'],
    };
    const text = kubeconfig({ user: { exec, token: 'also-a-token' } });
    const imported = okOf(parseKubeconfig(text, { execAllowlist: ['/usr/bin/kubelogin get-token'] }))
      .clusters[0]!;
    const kc = new KubeConfig();
    kc.loadFromString(sanitizedKubeconfig(imported));
    expect(kc.getCurrentUser()).toMatchObject({
      name: 'alice',
      token: 'also-a-token',
      exec: { command: '/usr/bin/kubelogin', args: ['get-token'], interactiveMode: 'Never' },
    });
    expect(kc.getCurrentUser()?.certData).toBeUndefined();
  });
});

describe('describeClusterError against a loopback API server', () => {
  /** Serves one HTTPS answer with `cert`, runs a client-node call against it, returns the error. */
  async function failure(cert: string, status: number, host = '127.0.0.1'): Promise<ClusterConnectionError> {
    const server = createServer({ key: pem['server.key'], cert }, (_req, res) => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(
        JSON.stringify({
          kind: 'Status',
          apiVersion: 'v1',
          status: 'Failure',
          message: `said ${status}`,
          code: status,
        }),
      );
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const { port } = server.address() as AddressInfo;
      const serverUrl = `https://${host}:${port}`;
      const text = kubeconfig({
        cluster: { server: serverUrl, 'certificate-authority-data': b64('ca.crt') },
      });
      const imported = okOf(parseKubeconfig(text, base)).clusters[0]!;
      const kc = new KubeConfig();
      kc.loadFromString(sanitizedKubeconfig(imported));
      try {
        await kc.makeApiClient(CoreV1Api).listNamespace();
      } catch (e) {
        return describeClusterError(e, { context: imported.context, server: imported.cluster.server });
      }
      throw new Error('the call succeeded');
    } finally {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
  }

  it('names an unknown CA, an expired server certificate and a name mismatch', async () => {
    const unknown = await failure(pem['impostor.crt'] as string, 200);
    expect(unknown).toMatchObject({ code: 'FAILED', reason: 'unknown-ca' });
    expect(unknown.message).toMatch(/context "prod" \(https:\/\/127\.0\.0\.1:\d+\) presented a certificate/);
    expect(unknown.hint).toMatch(/certificate-authority-data/);
    expect(await failure(pem['server-old.crt'] as string, 200)).toMatchObject({
      reason: 'certificate-expired',
    });
    expect(await failure(pem['server.crt'] as string, 200, 'localhost')).toMatchObject({
      reason: 'name-mismatch',
    });
  });

  it('tells 401 from 403, with the API server message where client-node keeps it', async () => {
    const unauthorized = await failure(pem['server.crt'] as string, 401);
    expect(unauthorized).toMatchObject({ code: 'FAILED', reason: 'unauthorized', status: 401 });
    // client-node 1.4 drops the body of a 401.
    expect(unauthorized.message).toMatch(/did not accept the credentials \(401 Unauthorized\)$/);
    const forbidden = await failure(pem['server.crt'] as string, 403);
    expect(forbidden).toMatchObject({ reason: 'forbidden', status: 403 });
    expect(forbidden.message).toMatch(/refused the request \(403 Forbidden\): said 403$/);
    expect(forbidden.hint).toMatch(/RBAC/);
  });

  it('says when the server cannot be reached', () => {
    const e = Object.assign(new Error('request to https://10.9.9.9:6443/api failed'), {
      code: 'ECONNREFUSED',
    });
    const d = describeClusterError(e, { context: 'x', server: 'https://10.9.9.9:6443' });
    expect(d).toMatchObject({ reason: 'unreachable' });
    expect(d.message).toMatch(/cannot be reached \(ECONNREFUSED\)/);
  });
});
