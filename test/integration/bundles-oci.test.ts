/**
 * The oci-images installer (electron/core/bundles/oci.ts) against a real registry: Debian's
 * `docker-registry` (the CNCF Distribution registry 2.8) started here on a loopback port with its
 * own config and storage in a temp dir, over plain HTTP and over HTTPS with a CA made by openssl.
 * The OCI layouts are built by the test (random layers, configs, manifests, an index); no network.
 * Skipped, with the reason, where /usr/bin/docker-registry is missing (.ci/run installs it).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  symlinkSync,
  unlinkSync,
  writeFileSync,
} from 'node:fs';
import https from 'node:https';
import { createServer, Socket } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  OCI_MEDIA_TYPES,
  OciError,
  RegistryClient,
  applyOciPlan,
  checkRegistryUrl,
  findOciLayout,
  planOciLayoutPush,
  planOciPush,
  pushOciLayout,
  readOciLayout,
  targetOfRefName,
  type OciProgress,
} from '../../electron/core/bundles/oci';

const REGISTRY_BIN = '/usr/bin/docker-registry';
const hasRegistry = existsSync(REGISTRY_BIN);
const hasOpenssl = spawnSync('openssl', ['version']).status === 0;

const tmp = mkdtempSync(path.join(tmpdir(), 'enclave-oci-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const digestOf = (bytes: Buffer): string => `sha256:${createHash('sha256').update(bytes).digest('hex')}`;

interface Desc {
  mediaType: string;
  digest: string;
  size: number;
}

/** Builds an OCI image layout in `dir`; returns the descriptors it wrote. */
function buildLayout(dir: string, opts: { bigLayerBytes?: number } = {}) {
  mkdirSync(path.join(dir, 'blobs', 'sha256'), { recursive: true });
  writeFileSync(path.join(dir, 'oci-layout'), JSON.stringify({ imageLayoutVersion: '1.0.0' }));
  const blob = (bytes: Buffer, mediaType: string): Desc => {
    const digest = digestOf(bytes);
    writeFileSync(path.join(dir, 'blobs', 'sha256', digest.slice(7)), bytes);
    return { mediaType, digest, size: bytes.length };
  };
  const layer = (bytes: Buffer) => blob(bytes, 'application/vnd.oci.image.layer.v1.tar+gzip');
  const config = (arch: string) =>
    blob(
      Buffer.from(
        JSON.stringify({
          architecture: arch,
          os: 'linux',
          config: { Cmd: ['/bin/true'], Labels: { build: randomBytes(8).toString('hex') } },
          rootfs: { type: 'layers', diff_ids: [] },
        }),
      ),
      'application/vnd.oci.image.config.v1+json',
    );
  const manifest = (cfg: Desc, layers: Desc[]) =>
    blob(
      Buffer.from(
        JSON.stringify({ schemaVersion: 2, mediaType: OCI_MEDIA_TYPES.imageManifest, config: cfg, layers }),
      ),
      OCI_MEDIA_TYPES.imageManifest,
    );

  const shared = layer(randomBytes(2048));
  const big = layer(randomBytes(opts.bigLayerBytes ?? (3 << 20) + 5));
  const appConfig = config('amd64');
  const app = manifest(appConfig, [shared, big]);

  const amd64 = manifest(config('amd64'), [shared, layer(randomBytes(1000))]);
  const arm64 = manifest(config('arm64'), [shared, layer(randomBytes(1500))]);
  const multi = blob(
    Buffer.from(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: OCI_MEDIA_TYPES.imageIndex,
        manifests: [
          { ...amd64, platform: { architecture: 'amd64', os: 'linux' } },
          { ...arm64, platform: { architecture: 'arm64', os: 'linux' } },
        ],
      }),
    ),
    OCI_MEDIA_TYPES.imageIndex,
  );
  writeFileSync(
    path.join(dir, 'index.json'),
    JSON.stringify({
      schemaVersion: 2,
      mediaType: OCI_MEDIA_TYPES.imageIndex,
      manifests: [
        { ...app, annotations: { 'org.opencontainers.image.ref.name': 'v1' } },
        { ...multi, annotations: { 'org.opencontainers.image.ref.name': 'nvcr.io/tools/multi:1.0' } },
      ],
    }),
  );
  return { app, appConfig, big, shared, multi, amd64, arm64 };
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.on('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

/** docker-registry serving on 127.0.0.1:port, storage in a temp dir; TLS when given a cert. */
async function startRegistry(name: string, tls?: { cert: string; key: string }) {
  const dir = path.join(tmp, name);
  mkdirSync(path.join(dir, 'data'), { recursive: true });
  const port = await freePort();
  const config = [
    'version: 0.1',
    'log:',
    '  level: error',
    '  accesslog:',
    '    disabled: true',
    'storage:',
    '  filesystem:',
    `    rootdirectory: ${path.join(dir, 'data')}`,
    '  delete:',
    '    enabled: true',
    'http:',
    `  addr: 127.0.0.1:${port}`,
    ...(tls ? ['  tls:', `    certificate: ${tls.cert}`, `    key: ${tls.key}`] : []),
  ].join('\n');
  writeFileSync(path.join(dir, 'config.yml'), `${config}\n`);
  const child: ChildProcess = spawn(REGISTRY_BIN, ['serve', path.join(dir, 'config.yml')], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
  const url = `${tls ? 'https' : 'http'}://127.0.0.1:${port}`;
  const deadline = Date.now() + 15_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`docker-registry exited: ${stderr}`);
    const up = await new Promise<boolean>((resolve) => {
      const socket = new Socket();
      socket.once('connect', () => {
        socket.destroy();
        resolve(true);
      });
      socket.once('error', () => resolve(false));
      socket.connect(port, '127.0.0.1');
    });
    if (up) break;
    if (Date.now() > deadline) throw new Error(`docker-registry did not listen: ${stderr}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  return {
    url,
    stop: () => {
      if (child.pid !== undefined && child.exitCode === null) child.kill('SIGTERM');
    },
  };
}

describe('OCI layout reading and planning (no registry needed)', () => {
  const dir = path.join(tmp, 'layout-pure');
  let built: ReturnType<typeof buildLayout>;
  beforeAll(() => {
    built = buildLayout(dir, { bigLayerBytes: 4096 });
  });

  it('reads the layout: images, their targets, manifests and blobs', async () => {
    const layout = await readOciLayout(dir, { repository: 'enclave/app' });
    expect(layout.images.map((i) => `${i.repository}:${i.tag}`)).toEqual([
      'enclave/app:v1',
      'tools/multi:1.0',
    ]);
    expect(layout.manifests.size).toBe(4);
    // shared, big, app config, 2 arch configs, 2 arch layers
    expect(layout.blobs.size).toBe(7);
    expect(layout.manifests.get(built.multi.digest)?.children).toEqual([
      built.amd64.digest,
      built.arm64.digest,
    ]);
  });

  it('plans blobs, then the manifests an index names, then tags; mounts a blob shared across repositories', async () => {
    const layout = await readOciLayout(dir, { repository: 'enclave/app' });
    const plan = planOciPush(layout, 'http://127.0.0.1:1', { blobs: {}, manifests: {} });
    const lines = plan.steps.map(
      (s) => `${s.op} ${s.action} ${s.repository} ${s.op === 'manifest' ? s.reference : s.digest}`,
    );
    expect(lines.slice(0, 3)).toEqual([
      `blob push enclave/app ${built.appConfig.digest}`,
      `blob push enclave/app ${built.shared.digest}`,
      `blob push enclave/app ${built.big.digest}`,
    ]);
    expect(lines[3]).toBe('manifest push enclave/app v1');
    const multi = lines.slice(4);
    expect(multi.filter((l) => l.startsWith('blob'))).toHaveLength(5);
    expect(multi).toContain(`blob mount tools/multi ${built.shared.digest}`);
    expect(multi.slice(-3)).toEqual([
      `manifest push tools/multi ${built.amd64.digest}`,
      `manifest push tools/multi ${built.arm64.digest}`,
      'manifest push tools/multi 1.0',
    ]);
    expect(plan.summary).toMatchObject({
      blobsToPush: 7,
      blobsToMount: 1,
      blobsPresent: 0,
      manifestsToPut: 4,
    });
  });

  it('skips what the registry has, and retags a tag that points elsewhere', async () => {
    const layout = await readOciLayout(dir, { repository: 'enclave/app' });
    const plan = planOciPush(layout, 'http://127.0.0.1:1', {
      blobs: { 'enclave/app': [built.shared.digest, built.big.digest] },
      manifests: {
        'enclave/app': { v1: built.amd64.digest },
        'tools/multi': { [built.amd64.digest]: built.amd64.digest },
      },
    });
    const app = plan.steps.filter((s) => s.repository === 'enclave/app');
    expect(app.map((s) => s.action)).toEqual(['push', 'skip', 'skip', 'retag']);
    expect(app[3]).toMatchObject({ previous: built.amd64.digest });
    const multi = plan.steps.filter((s) => s.repository === 'tools/multi');
    expect(multi.find((s) => s.digest === built.amd64.digest && s.op === 'manifest')?.action).toBe('skip');
    // The shared layer is mounted from enclave/app, which has it already.
    expect(multi.find((s) => s.digest === built.shared.digest)).toMatchObject({
      action: 'mount',
      from: 'enclave/app',
    });
  });

  it.each([
    ['v1.2', { repository: 'enclave/app' }, 'enclave/app:v1.2'],
    ['nvidia/gpu-operator:v25.3.0', {}, 'nvidia/gpu-operator:v25.3.0'],
    ['nvcr.io/nvidia/gpu-operator:v25.3.0', {}, 'nvidia/gpu-operator:v25.3.0'],
    ['localhost:5000/a/b:c', {}, 'a/b:c'],
    ['docker.io/library/busybox:1.36', { repositoryPrefix: 'mirror/' }, 'mirror/library/busybox:1.36'],
  ])('ref name %s goes to %s', (ref, options, expected) => {
    const t = targetOfRefName(ref, options);
    expect(`${t.repository}:${t.tag}`).toBe(expected);
  });

  it.each([
    ['v1', {}, /only a tag/],
    ['busybox@sha256:' + 'a'.repeat(64), {}, /no tag/],
    ['Upper/Case:1', {}, /not a valid repository/],
    ['a/b:', {}, /no tag|not a valid tag/],
    ['nvidia/x', {}, /no tag/],
  ])('ref name %s is refused', (ref, options, message) => {
    expect(() => targetOfRefName(ref, options)).toThrow(message);
  });

  it('finds the layout in a payload: at its top or in its one subdirectory', async () => {
    expect(await findOciLayout(dir)).toBe(dir);
    const payload = path.join(tmp, 'payload-with-oci');
    mkdirSync(path.join(payload, 'docs'), { recursive: true });
    cpSync(dir, path.join(payload, 'oci'), { recursive: true });
    expect(await findOciLayout(payload)).toBe(path.join(payload, 'oci'));
    cpSync(dir, path.join(payload, 'oci2'), { recursive: true });
    await expect(findOciLayout(payload)).rejects.toThrow(/more than one OCI image layout/);
    await expect(findOciLayout(path.join(payload, 'docs'))).rejects.toThrow(/no OCI image layout/);
  });

  it('refuses plain HTTP except to loopback, and credentials in the URL', () => {
    expect(checkRegistryUrl('http://127.0.0.1:5000').origin).toBe('http://127.0.0.1:5000');
    expect(checkRegistryUrl('http://[::1]:5000').hostname).toBe('[::1]');
    expect(checkRegistryUrl('https://registry.enclave.internal').protocol).toBe('https:');
    expect(() => checkRegistryUrl('http://registry.enclave.internal:5000')).toThrow(/HTTPS/);
    expect(() => checkRegistryUrl('http://10.0.0.5:5000')).toThrow(/HTTPS/);
    expect(() => checkRegistryUrl('https://u:p@registry')).toThrow(/credentials/);
    expect(() => checkRegistryUrl('ftp://x')).toThrow(OciError);
  });

  describe('refuses a layout that is not what it says', () => {
    const variant = (name: string, change: (d: string) => void): string => {
      const d = path.join(tmp, `variant-${name}`);
      cpSync(dir, d, { recursive: true });
      change(d);
      return d;
    };
    const blobFile = (d: string, desc: Desc) => path.join(d, 'blobs', 'sha256', desc.digest.slice(7));

    it('a manifest whose bytes do not hash to its digest', async () => {
      const d = variant('manifest', (v) => {
        const f = blobFile(v, built.app);
        const b = readFileSync(f);
        b[b.length - 2] = b[b.length - 2]! ^ 1;
        writeFileSync(f, b);
      });
      await expect(readOciLayout(d, { repository: 'x' })).rejects.toThrow(/hashes to .*corrupt/);
    });

    it('a blob of the wrong size', async () => {
      const d = variant('size', (v) => writeFileSync(blobFile(v, built.shared), randomBytes(10)));
      await expect(readOciLayout(d, { repository: 'x' })).rejects.toThrow(
        /is 10 bytes, its descriptor says 2048/,
      );
    });

    it('a missing blob', async () => {
      const d = variant('missing', (v) => unlinkSync(blobFile(v, built.big)));
      await expect(readOciLayout(d, { repository: 'x' })).rejects.toThrow(/missing from the layout/);
    });

    it('a blob that is a symlink', async () => {
      const d = variant('symlink', (v) => {
        unlinkSync(blobFile(v, built.big));
        symlinkSync('/etc/hostname', blobFile(v, built.big));
      });
      await expect(readOciLayout(d, { repository: 'x' })).rejects.toThrow(/not a regular file/);
    });

    it('a digest that would name a path outside blobs/', async () => {
      const d = variant('traversal', (v) => {
        const index = JSON.parse(readFileSync(path.join(v, 'index.json'), 'utf8'));
        index.manifests[0].digest = 'sha256:../../../../etc/passwd';
        writeFileSync(path.join(v, 'index.json'), JSON.stringify(index));
      });
      await expect(readOciLayout(d, { repository: 'x' })).rejects.toThrow(/is not sha256:<64 hex>/);
    });

    it('an image with no ref name, and no oci-layout file', async () => {
      const d = variant('noref', (v) => {
        const index = JSON.parse(readFileSync(path.join(v, 'index.json'), 'utf8'));
        delete index.manifests[1].annotations;
        writeFileSync(path.join(v, 'index.json'), JSON.stringify(index));
      });
      await expect(readOciLayout(d, { repository: 'x' })).rejects.toThrow(
        /no org.opencontainers.image.ref.name/,
      );
      const e = variant('nolayout', (v) => unlinkSync(path.join(v, 'oci-layout')));
      await expect(readOciLayout(e, { repository: 'x' })).rejects.toThrow(/oci-layout is missing/);
    });
  });
});

describe.skipIf(!hasRegistry)(
  `pushing to a real registry (Debian docker-registry on loopback)${hasRegistry ? '' : ' — skipped: /usr/bin/docker-registry is not installed (apt-get install docker-registry; .ci/run does)'}`,
  () => {
    let registry: Awaited<ReturnType<typeof startRegistry>>;
    const dir = path.join(tmp, 'layout-push');
    let built: ReturnType<typeof buildLayout>;
    beforeAll(async () => {
      built = buildLayout(dir);
      registry = await startRegistry('plain');
    });
    afterAll(() => registry?.stop());

    const get = async (p: string, accept?: string) => {
      const res = await fetch(`${registry.url}${p}`, accept ? { headers: { accept } } : {});
      return { status: res.status, headers: res.headers, body: Buffer.from(await res.arrayBuffer()) };
    };

    it('pushes every image (monolithic and chunked uploads, a cross-repository mount), then reads it back', async () => {
      const progress: OciProgress[] = [];
      const result = await pushOciLayout(dir, {
        registry: new URL(registry.url),
        repository: 'enclave/app',
        chunkBytes: 1 << 20,
        onProgress: (p) => progress.push(p),
      });
      expect(result.problems).toEqual([]);
      expect(result.verified).toBe(true);
      expect(result.skipped).toEqual([]);
      expect(result.mounted.map((s) => s.digest)).toEqual([built.shared.digest]);
      expect(result.pushed.filter((s) => s.op === 'blob')).toHaveLength(7);
      expect(result.pushed.filter((s) => s.op === 'manifest')).toHaveLength(4);
      expect(result.bytesSent).toBe(result.plan.summary.bytesToPush);
      const last = progress.at(-1)!;
      expect(last.phase).toBe('read-back');
      expect(last.bytesDone).toBe(last.bytesTotal);
      expect(progress.some((p) => p.phase === 'verify')).toBe(true);

      // Read back independently of the installer: manifests by tag, every blob's bytes.
      const app = await get('/v2/enclave/app/manifests/v1', OCI_MEDIA_TYPES.imageManifest);
      expect(app.status).toBe(200);
      expect(digestOf(app.body)).toBe(built.app.digest);
      expect(app.headers.get('docker-content-digest')).toBe(built.app.digest);
      const multi = await get('/v2/tools/multi/manifests/1.0', OCI_MEDIA_TYPES.imageIndex);
      expect(digestOf(multi.body)).toBe(built.multi.digest);
      for (const [repo, d] of [
        ['enclave/app', built.big],
        ['enclave/app', built.appConfig],
        ['tools/multi', built.shared],
      ] as const) {
        const b = await get(`/v2/${repo}/blobs/${d.digest}`);
        expect(b.status, `${repo} ${d.digest}`).toBe(200);
        expect(digestOf(b.body)).toBe(d.digest);
      }
      const tags = JSON.parse((await get('/v2/tools/multi/tags/list')).body.toString()) as { tags: string[] };
      expect(tags.tags).toEqual(['1.0']);
    });

    it('a second push finds everything there and sends nothing', async () => {
      const { plan } = await planOciLayoutPush(dir, { registry: registry.url, repository: 'enclave/app' });
      expect(plan.summary).toMatchObject({ blobsToPush: 0, blobsToMount: 0, manifestsToPut: 0 });
      const result = await pushOciLayout(dir, { registry: registry.url, repository: 'enclave/app' });
      expect(result.pushed).toEqual([]);
      expect(result.bytesSent).toBe(0);
      expect(result.verified).toBe(true);
    });

    it('uploads a blob after all when the registry will not mount it (the repository named does not have it)', async () => {
      const layout = await readOciLayout(dir, { repository: 'enclave/mount-fallback' });
      const client = new RegistryClient({ registry: registry.url });
      try {
        // A stale view of the registry: it claims ghost/repo holds every blob.
        const plan = planOciPush(layout, client.origin, {
          blobs: { 'ghost/repo': [...layout.blobs.keys()] },
          manifests: {},
        });
        expect(plan.steps.filter((s) => s.op === 'blob').every((s) => s.action === 'mount')).toBe(true);
        const result = await applyOciPlan(client, layout, plan, { chunkBytes: 1 << 20 });
        expect(result.mounted).toEqual([]);
        expect(result.pushed.filter((s) => s.op === 'blob')).toHaveLength(8);
        expect(result.verified).toBe(true);
      } finally {
        client.close();
      }
    });

    it('refuses a blob whose bytes do not match its digest before sending any of it', async () => {
      const d = path.join(tmp, 'layout-tampered');
      cpSync(dir, d, { recursive: true });
      const f = path.join(d, 'blobs', 'sha256', built.appConfig.digest.slice(7));
      const bytes = readFileSync(f);
      bytes[0] = bytes[0]! ^ 0x20; // same size, other content
      writeFileSync(f, bytes);
      await expect(
        pushOciLayout(d, { registry: registry.url, repository: 'enclave/tampered' }),
      ).rejects.toMatchObject({
        code: 'digest-mismatch',
        message: expect.stringMatching(/refusing to send it/),
      });
      expect((await get(`/v2/enclave/tampered/blobs/${built.appConfig.digest}`)).status).toBe(404);
      expect((await get('/v2/enclave/tampered/manifests/v1')).status).toBe(404);
    });

    it('stops when cancelled part-way, and a new push completes the job', async () => {
      const d = path.join(tmp, 'layout-cancel');
      buildLayout(d);
      const controller = new AbortController();
      const pushing = pushOciLayout(d, {
        registry: registry.url,
        repository: 'enclave/cancel',
        chunkBytes: 1 << 20,
        signal: controller.signal,
        onProgress: (p) => {
          if (p.phase === 'upload' && p.bytesDone > 0) controller.abort();
        },
      });
      await expect(pushing).rejects.toMatchObject({ code: 'aborted' });
      expect((await get('/v2/enclave/cancel/manifests/v1')).status).toBe(404);
      const again = await pushOciLayout(d, { registry: registry.url, repository: 'enclave/cancel' });
      expect(again.verified).toBe(true);
    });

    it.skipIf(!hasOpenssl)('pushes over HTTPS trusting only the CA it is given', async () => {
      const t = path.join(tmp, 'tls');
      mkdirSync(t, { recursive: true });
      const ssl = (...args: string[]) => {
        const r = spawnSync('openssl', args, { cwd: t, encoding: 'utf8' });
        if (r.status !== 0) throw new Error(`openssl ${args.join(' ')}: ${r.stderr}`);
      };
      ssl(
        'req',
        '-x509',
        '-newkey',
        'ec',
        '-pkeyopt',
        'ec_paramgen_curve:P-256',
        '-nodes',
        '-keyout',
        'ca.key',
        '-out',
        'ca.pem',
        '-days',
        '2',
        '-subj',
        '/CN=enclave test CA',
      );
      ssl(
        'req',
        '-newkey',
        'ec',
        '-pkeyopt',
        'ec_paramgen_curve:P-256',
        '-nodes',
        '-keyout',
        'srv.key',
        '-out',
        'srv.csr',
        '-subj',
        '/CN=127.0.0.1',
      );
      writeFileSync(
        path.join(t, 'ext'),
        'subjectAltName=IP:127.0.0.1\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n',
      );
      ssl(
        'x509',
        '-req',
        '-in',
        'srv.csr',
        '-CA',
        'ca.pem',
        '-CAkey',
        'ca.key',
        '-CAcreateserial',
        '-out',
        'srv.pem',
        '-days',
        '2',
        '-extfile',
        'ext',
      );
      const secure = await startRegistry('tls', {
        cert: path.join(t, 'srv.pem'),
        key: path.join(t, 'srv.key'),
      });
      try {
        const caPem = readFileSync(path.join(t, 'ca.pem'), 'utf8');
        // Without the CA, the registry's certificate is not trusted.
        await expect(
          pushOciLayout(dir, { registry: secure.url, repository: 'enclave/app' }),
        ).rejects.toMatchObject({
          code: 'registry',
          message: expect.stringMatching(/certificate/i),
        });
        const result = await pushOciLayout(dir, { registry: secure.url, repository: 'enclave/app', caPem });
        expect(result.verified).toBe(true);
        expect(result.pushed.length).toBe(11);
        const body = await new Promise<Buffer>((resolve, reject) => {
          https
            .get(
              `${secure.url}/v2/enclave/app/manifests/v1`,
              { ca: caPem, headers: { accept: OCI_MEDIA_TYPES.imageManifest } },
              (res) => {
                const chunks: Buffer[] = [];
                res.on('data', (c: Buffer) => chunks.push(c));
                res.on('end', () => resolve(Buffer.concat(chunks)));
              },
            )
            .on('error', reject);
        });
        expect(digestOf(body)).toBe(built.app.digest);
      } finally {
        secure.stop();
      }
    });
  },
);
