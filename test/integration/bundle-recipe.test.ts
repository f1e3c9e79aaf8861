import { execFileSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseRecipe, RecipeError } from '../../offline-bundles/recipe';
import { enclave } from '../support/cli';

/**
 * Recipes: the shipped ones parse; bad ones are refused naming the field; `enclave bundle build
 * RECIPE.yaml` fetches a pinned download (from a loopback HTTPS server standing in for a vendor),
 * copies and writes files, builds a bundle that signs and verifies, and refuses a download whose
 * digest is not the pinned one, leaving nothing behind.
 */
const ROOT = path.resolve(import.meta.dirname, '../..');
const RECIPES = path.join(ROOT, 'offline-bundles/recipes');
const work = mkdtempSync(path.join(tmpdir(), 'enclave-recipe-'));
const served = randomBytes(200_000);
let server: Server;
let port = 0;
let caFile = '';

beforeAll(async () => {
  const pki = path.join(work, 'pki');
  mkdirSync(pki);
  const f = (n: string) => path.join(pki, n);
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      ...ec,
      '-keyout',
      f('ca.key'),
      '-out',
      f('ca.crt'),
      '-days',
      '2',
      '-subj',
      '/CN=vendor-ca',
    ],
    { stdio: 'ignore' },
  );
  execFileSync('openssl', ['req', ...ec, '-keyout', f('s.key'), '-out', f('s.csr'), '-subj', '/CN=vendor'], {
    stdio: 'ignore',
  });
  writeFileSync(f('san.ext'), 'subjectAltName=IP:127.0.0.1\n');
  execFileSync(
    'openssl',
    [
      'x509',
      '-req',
      '-in',
      f('s.csr'),
      '-CA',
      f('ca.crt'),
      '-CAkey',
      f('ca.key'),
      '-CAcreateserial',
      '-out',
      f('s.crt'),
      '-days',
      '2',
      '-extfile',
      f('san.ext'),
    ],
    { stdio: 'ignore' },
  );
  caFile = f('ca.crt');
  server = createServer({ key: readFileSync(f('s.key')), cert: readFileSync(f('s.crt')) }, (req, res) => {
    if (req.url === '/driver.run') res.end(served);
    else res.writeHead(404).end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as AddressInfo).port;
});
afterAll(async () => {
  await new Promise<void>((resolve) => server?.close(() => resolve()));
  rmSync(work, { recursive: true, force: true });
});

describe('recipes', () => {
  it.each(readdirSync(RECIPES).filter((f) => f.endsWith('.yaml')))('%s parses', (file) => {
    const recipe = parseRecipe(readFileSync(path.join(RECIPES, file), 'utf8'), { fileName: file, cwd: ROOT });
    expect(recipe.steps.length).toBeGreaterThan(0);
    expect(recipe.version).toMatch(/^\d+(\.\d+)*$/);
  });

  it.each([
    ['a path outside the payload', 'to: ../x', /"to" must be a relative path inside the payload/],
    ['a plain-HTTP source', 'url: http://x', /url must be https/],
    ['an unknown source', 'source: nope', /source nope is not in sources/],
    ['a setuid mode', "mode: '4755'", /mode must be '0644' or '0755'/],
  ])('refuses %s, naming it', (_, change, message) => {
    const base = [
      'recipe: 1',
      'kind: files',
      'name: docs',
      'version: 1.0.0',
      'sources:',
      '  - id: a',
      `    ${change.startsWith('url') ? change : 'url: https://example.invalid/a'}`,
      'payload:',
      '  steps:',
      `    - copy: { source: ${change.startsWith('source') ? 'nope' : 'a'}, to: ${change.startsWith('to') ? '../x' : 'a'}${change.startsWith('mode') ? `, mode: '4755'` : ''} }`,
    ].join('\n');
    expect(() => parseRecipe(base)).toThrow(RecipeError);
    expect(() => parseRecipe(base)).toThrow(message);
  });

  function recipe(pin: string): string {
    const file = path.join(work, `recipe-${pin.slice(0, 8)}.yaml`);
    writeFileSync(path.join(work, 'runbook.txt'), 'the site runbook\n');
    writeFileSync(
      file,
      [
        'recipe: 1',
        'kind: files',
        'name: vendor-driver',
        'version: ${v}',
        'variables: { v: 570.1.0 }',
        'expires: P30D',
        'sources:',
        `  - { id: driver, url: 'https://127.0.0.1:${port}/driver.run', sha256: ${pin} }`,
        `  - { id: runbook, path: '${path.join(work, 'runbook.txt')}' }`,
        'payload:',
        '  steps:',
        '    - fetch: { source: driver, to: bin/driver.run }',
        '    - copy: { source: runbook, to: docs/runbook.txt }',
        '    - write: { to: install.sh, text: "#!/bin/sh\\necho install\\n", mode: \'0755\' }',
      ].join('\n'),
    );
    return file;
  }

  it('builds a bundle from a recipe that signs, verifies and carries the fetched bytes', async () => {
    const pin = createHash('sha256').update(served).digest('hex');
    const out = path.join(work, 'out');
    mkdirSync(out);
    const env = { NODE_EXTRA_CA_CERTS: caFile };
    const built = await enclave(['bundle', 'build', recipe(pin), '--out', out, '--json'], env);
    expect(built.code, built.stderr).toBe(0);
    const bundle = path.join(out, 'vendor-driver-570.1.0.bundle.tar');
    expect(JSON.parse(built.stdout).path).toBe(bundle);
    expect(
      (await enclave(['bundle', 'keygen', '--out', path.join(work, 'keys'), '--name', 'builder'])).code,
    ).toBe(0);
    const signed = await enclave([
      'bundle',
      'sign',
      bundle,
      '--key',
      path.join(work, 'keys', 'builder'),
      '--signer',
      'builder',
    ]);
    expect(signed.code, signed.stderr).toBe(0);
    const trust = path.join(work, 'trust');
    mkdirSync(trust);
    writeFileSync(
      path.join(trust, 'allowed_signers'),
      `builder namespaces="enclave-bundle" ${readFileSync(path.join(work, 'keys', 'builder.pub'), 'utf8')}`,
    );
    const extracted = path.join(work, 'extracted');
    const x = await enclave(['bundle', 'extract', bundle, '--to', extracted, '--trust', trust]);
    expect(x.code, x.stderr).toBe(0);
    const files = readdirSync(extracted, { recursive: true }).map(String);
    const driver = files.find((f) => f.endsWith('driver.run'));
    expect(driver).toBeDefined();
    expect(readFileSync(path.join(extracted, driver as string)).equals(served)).toBe(true);
    expect(files.some((f) => f.endsWith('runbook.txt'))).toBe(true);
    expect(readdirSync(out).filter((f) => f.startsWith('.recipe-'))).toEqual([]);
  });

  it('refuses a download whose SHA-256 is not the pinned one, building nothing', async () => {
    const out = path.join(work, 'out-bad');
    mkdirSync(out);
    const wrong = 'ab'.repeat(32);
    const r = await enclave(['bundle', 'build', recipe(wrong), '--out', out], {
      NODE_EXTRA_CA_CERTS: caFile,
    });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`the recipe pins ${wrong}; nothing was built`);
    expect(r.stderr).toContain(createHash('sha256').update(served).digest('hex'));
    expect(readdirSync(out)).toEqual([]);
    expect(existsSync(path.join(out, 'vendor-driver-570.1.0.bundle.tar'))).toBe(false);
  });
});
