// `enclave bundle keygen|build|sign|verify|inspect|extract|split|join` (design.md §8,
// docs/bundle-format.md). These are the connected build side's and the auditor's tools: they
// need no sign-in and no data directory. Exit 3 when verification refuses a bundle.
import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import path from 'node:path';
import {
  BUNDLE_KINDS,
  BundleRefusal,
  buildBundle,
  checkParts,
  generateSigningKey,
  inspectBundle,
  isBundleKind,
  joinParts,
  loadTrustDir,
  readSigningKeyFile,
  signBundle,
  splitBundle,
  verifyBundle,
  type TrustStore,
  type VerifiedBundle,
} from '../../offline-bundles';
import { assembleRecipe, parseRecipe, RecipeError, recipeExpiry } from '../../offline-bundles/recipe';
import { formatBytes, readText, str, type Command, type CommandContext } from './command';
import { EXIT, UsageError } from './exit-codes';
import { formatFields, formatTable } from './table';

function oneFile(ctx: CommandContext, what: string): string {
  const [file, ...extra] = ctx.positionals;
  if (!file || extra.length) throw new UsageError(`name one ${what}`);
  if (!existsSync(file)) throw new UsageError(`${what} ${file} does not exist`);
  return file;
}

function required(ctx: CommandContext, name: string, what: string): string {
  const v = str(ctx.options[name]);
  if (!v) throw new UsageError(`--${name} ${what} is required`);
  return v;
}

/** --trust DIR, else $ENCLAVE_BUNDLE_TRUST. */
function trustFrom(ctx: CommandContext): { dir: string; trust: TrustStore } {
  const dir = str(ctx.options.trust) ?? process.env.ENCLAVE_BUNDLE_TRUST;
  if (!dir)
    throw new UsageError(
      'name the trust directory with --trust DIR (allowed_signers and thresholds.json) or set ENCLAVE_BUNDLE_TRUST',
    );
  try {
    return { dir, trust: loadTrustDir(dir) };
  } catch (error) {
    throw new UsageError(`--trust ${dir}: ${(error as Error).message}`);
  }
}

/** A refusal: the reason on stderr (and in --json), exit 3. */
function refused(ctx: CommandContext, bundle: string, error: unknown): number {
  if (!(error instanceof BundleRefusal)) throw error;
  if (ctx.json) ctx.print(JSON.stringify({ bundle, verified: false, ...error.toJSON() }, null, 2));
  process.stderr.write(`enclave: REFUSED (${error.reason}): ${error.message}\n`);
  return EXIT.refused;
}

function progressPrinter(enabled: boolean, label: string) {
  let last = -1;
  const started = Date.now();
  return (p: { bytes: number; totalBytes?: number }) => {
    if (!enabled || !p.totalBytes) return;
    const percent = Math.floor((p.bytes / p.totalBytes) * 10) * 10;
    if (percent === last) return;
    last = percent;
    const rate = p.bytes / Math.max(0.001, (Date.now() - started) / 1000);
    process.stderr.write(`${label}: ${percent}% of ${formatBytes(p.totalBytes)} (${formatBytes(rate)}/s)\n`);
  };
}

function describeVerified(ctx: CommandContext, v: VerifiedBundle, seconds: number): void {
  const m = v.manifest;
  ctx.print(
    formatFields([
      ['Verified', `${m.name} ${m.version} (${m.kind})`],
      ['Signed by', v.signers.map((s) => `${s.name} ${s.fingerprint}`).join(', ')],
      ['Created', m.created],
      ['Expires', m.expires],
      ['Files', `${m.files.length}, ${formatBytes(m.files.reduce((n, f) => n + f.size, 0))}`],
      ['Manifest SHA-256', v.manifestSha256],
      ['Read', `${formatBytes(v.bytes)} in ${seconds.toFixed(1)} s`],
      ...(v.stagedAt ? ([['Staged at', v.stagedAt]] as [string, string][]) : []),
    ]),
  );
}

function parseSize(text: string): number {
  const m = /^(\d+)([KMG]i?B?|[kmg])?$/.exec(text);
  if (!m) throw new UsageError(`--part-size ${text}: use bytes or a size such as 4000M or 2G`);
  const unit = (m[2] ?? '').toUpperCase()[0];
  const mult = unit === 'K' ? 2 ** 10 : unit === 'M' ? 2 ** 20 : unit === 'G' ? 2 ** 30 : 1;
  return Number(m[1]) * mult;
}

export const BUNDLE_COMMANDS: Command[] = [
  {
    words: ['bundle', 'keygen'],
    usage: 'bundle keygen --out DIR [--name N]',
    summary: 'Make an Ed25519 signing key in OpenSSH format: DIR/N (private, 0600) and DIR/N.pub.',
    options: ['out', 'name'],
    async run(ctx) {
      const dir = required(ctx, 'out', 'DIR');
      const name = str(ctx.options.name) ?? 'bundle-signer';
      let k: ReturnType<typeof generateSigningKey>;
      try {
        k = generateSigningKey(dir, name);
      } catch (error) {
        const e = error as NodeJS.ErrnoException;
        if (e.code === 'EEXIST')
          throw new UsageError(`${path.join(dir, name)} already exists; choose another --name`);
        throw error;
      }
      if (ctx.json) return ctx.print(JSON.stringify({ ...k, signer: name }, null, 2));
      ctx.print(
        formatFields([
          ['Private key', k.privateKeyPath],
          ['Public key', k.publicKeyPath],
          ['Fingerprint', k.fingerprint],
        ]),
      );
      ctx.print(`Trust it inside the enclave with this allowed_signers line:`);
      ctx.print(`${name} namespaces="enclave-bundle" ${k.publicKey.split(' ').slice(0, 2).join(' ')}`);
    },
  },
  {
    words: ['bundle', 'build'],
    usage:
      'bundle build (SRC_DIR --name N --kind K --version V --out FILE [--expires DATE] [--description TEXT] | RECIPE.yaml --out DIR|FILE)',
    summary: `Build an unsigned bundle from a directory or a recipe (offline-bundles/recipes; kinds: ${BUNDLE_KINDS.join(', ')}).`,
    options: ['name', 'kind', 'version', 'out', 'expires', 'description'],
    async run(ctx) {
      const [source, ...extra] = ctx.positionals;
      if (!source || extra.length) throw new UsageError('name one source directory or recipe');
      if (existsSync(source) && statSync(source).isFile() && /\.ya?ml$/.test(source))
        return buildFromRecipe(ctx, source);
      if (!existsSync(source) || !statSync(source).isDirectory())
        throw new UsageError(`${source} is neither a directory nor a recipe (.yaml)`);
      const kind = required(ctx, 'kind', 'KIND');
      if (!isBundleKind(kind)) throw new UsageError(`--kind ${kind}: use one of ${BUNDLE_KINDS.join(', ')}`);
      const expiresText = str(ctx.options.expires);
      const expires = expiresText ? new Date(expiresText) : undefined;
      if (expires && Number.isNaN(expires.getTime()))
        throw new UsageError(`--expires ${expiresText}: use an ISO date such as 2027-03-01`);
      const description = str(ctx.options.description);
      const started = Date.now();
      const b = await buildBundle({
        source,
        name: required(ctx, 'name', 'NAME'),
        kind,
        version: required(ctx, 'version', 'VERSION'),
        out: required(ctx, 'out', 'FILE'),
        ...(expires ? { expires } : {}),
        ...(description ? { description } : {}),
      }).catch((error: unknown) => {
        throw new UsageError((error as Error).message);
      });
      if (ctx.json) return ctx.print(JSON.stringify(b, null, 2));
      ctx.print(
        formatFields([
          ['Built', `${b.path} (${formatBytes(b.bytes)}, ${((Date.now() - started) / 1000).toFixed(1)} s)`],
          [
            'Bundle',
            `${b.manifest.name} ${b.manifest.version} (${b.manifest.kind}), ${b.manifest.files.length} files`,
          ],
          ['Expires', b.manifest.expires],
          ['Manifest SHA-256', b.manifestSha256],
        ]),
      );
      ctx.print(`Next: enclave bundle sign ${b.path} --key KEY`);
    },
  },
  {
    words: ['bundle', 'sign'],
    usage: 'bundle sign FILE (--key KEY | --signature SIG) [--signer NAME]',
    summary:
      'Check the payload against the manifest, then add a signature (SSHSIG, namespace enclave-bundle) for a signer.',
    options: ['key', 'signature', 'signer'],
    async run(ctx) {
      const file = oneFile(ctx, 'bundle');
      const keyFile = str(ctx.options.key);
      const sigFile = str(ctx.options.signature);
      if (!keyFile === !sigFile)
        throw new UsageError('give --key KEY, or --signature SIG made with ssh-keygen -Y sign');
      let signer = str(ctx.options.signer);
      if (keyFile) {
        let comment: string;
        try {
          comment = readSigningKeyFile(keyFile).comment;
        } catch (error) {
          throw new UsageError(`--key ${keyFile}: ${(error as Error).message}`);
        }
        signer ??= /^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$/.test(comment) ? comment : path.basename(keyFile);
      }
      if (!signer) throw new UsageError('--signer NAME is required with --signature');
      try {
        const r = await signBundle(file, {
          signer,
          ...(keyFile
            ? { privateKeyPath: keyFile }
            : { signature: readText(sigFile as string, '--signature') }),
        });
        if (ctx.json) return ctx.print(JSON.stringify({ bundle: file, ...r }, null, 2));
        ctx.print(`Signed ${file} as ${r.signer} (${r.fingerprint}); manifest SHA-256 ${r.manifestSha256}`);
      } catch (error) {
        if (error instanceof BundleRefusal) return refused(ctx, file, error);
        throw new UsageError((error as Error).message);
      }
    },
  },
  {
    words: ['bundle', 'verify'],
    usage: 'bundle verify FILE [--trust DIR]',
    summary: 'Verify signatures, thresholds, expiry and every payload byte in one pass; exit 3 when refused.',
    options: ['trust'],
    async run(ctx) {
      const file = oneFile(ctx, 'bundle');
      const { trust } = trustFrom(ctx);
      const started = Date.now();
      try {
        const v = await verifyBundle(file, {
          trust,
          onProgress: progressPrinter(!ctx.json && process.stderr.isTTY, 'verifying'),
        });
        if (ctx.json) return ctx.print(JSON.stringify({ bundle: file, verified: true, ...v }, null, 2));
        describeVerified(ctx, v, (Date.now() - started) / 1000);
      } catch (error) {
        return refused(ctx, file, error);
      }
    },
  },
  {
    words: ['bundle', 'inspect'],
    usage: 'bundle inspect FILE',
    summary: 'Show the manifest and who signed it, WITHOUT verifying anything (no trust store needed).',
    options: [],
    async run(ctx) {
      const file = oneFile(ctx, 'bundle');
      try {
        const i = await inspectBundle(file);
        if (ctx.json) return ctx.print(JSON.stringify({ bundle: file, ...i }, null, 2));
        const m = i.manifest;
        ctx.print(i.note);
        ctx.print(
          formatFields([
            ['Bundle', `${m.name} ${m.version} (${m.kind})`],
            ['Created', m.created],
            ['Expires', m.expires],
            ...(m.description ? ([['Description', m.description]] as [string, string][]) : []),
            ...(m.targets ? ([['Targets', JSON.stringify(m.targets)]] as [string, string][]) : []),
            ['Manifest SHA-256', i.manifestSha256],
          ]),
        );
        ctx.print('');
        ctx.print(
          formatTable(
            ['SIGNER', 'KEY FINGERPRINT', 'SIGNATURE'],
            i.signatures.map((s) => [
              s.signer,
              s.fingerprint || '-',
              s.valid ? 'well-formed, matches manifest' : `BAD: ${s.problem}`,
            ]),
          ),
        );
        ctx.print('');
        ctx.print(
          formatTable(
            ['MODE', 'SIZE', 'SHA-256', 'PATH'],
            m.files.map((f) => [f.mode.toString(8), String(f.size), f.sha256, f.path]),
          ),
        );
      } catch (error) {
        return refused(ctx, file, error);
      }
    },
  },
  {
    words: ['bundle', 'extract'],
    usage: 'bundle extract FILE --to DIR [--trust DIR]',
    summary:
      'Verify and extract the payload into DIR/NAME-VERSION; nothing appears unless all of it verified.',
    options: ['to', 'trust'],
    async run(ctx) {
      const file = oneFile(ctx, 'bundle');
      const to = required(ctx, 'to', 'DIR');
      const { trust } = trustFrom(ctx);
      const started = Date.now();
      try {
        const v = await verifyBundle(file, {
          trust,
          stagingDir: to,
          onProgress: progressPrinter(!ctx.json && process.stderr.isTTY, 'verifying and extracting'),
        });
        if (ctx.json) return ctx.print(JSON.stringify({ bundle: file, verified: true, ...v }, null, 2));
        describeVerified(ctx, v, (Date.now() - started) / 1000);
      } catch (error) {
        return refused(ctx, file, error);
      }
    },
  },
  {
    words: ['bundle', 'split'],
    usage: 'bundle split FILE --part-size SIZE --out DIR',
    summary:
      'Split a bundle into parts (e.g. 4000M for FAT32), each checkable on its own via NAME.parts.json.',
    options: ['part-size', 'out'],
    async run(ctx) {
      const file = oneFile(ctx, 'bundle');
      const size = parseSize(required(ctx, 'part-size', 'SIZE'));
      const index = splitBundle(file, size, required(ctx, 'out', 'DIR'));
      if (ctx.json) return ctx.print(JSON.stringify(index, null, 2));
      ctx.print(
        formatTable(
          ['PART', 'SIZE', 'SHA-256'],
          index.parts.map((p) => [p.file, formatBytes(p.bytes), p.sha256]),
        ),
      );
      ctx.print(
        `Index: ${index.indexPath}; check the parts anywhere with: sha256sum -c ${path.basename(file)}.parts.sha256`,
      );
    },
  },
  {
    words: ['bundle', 'join'],
    usage: 'bundle join INDEX_OR_PARTS… --out FILE',
    summary: 'Check every part against NAME.parts.json and join them; a damaged part is named (exit 3).',
    options: ['out'],
    async run(ctx) {
      if (ctx.positionals.length === 0)
        throw new UsageError('name the parts index (NAME.parts.json) or the parts');
      const out = required(ctx, 'out', 'FILE');
      const [first] = ctx.positionals as [string];
      try {
        const r = joinParts(
          ctx.positionals.length === 1 && first.endsWith('.json') ? first : ctx.positionals,
          out,
        );
        if (ctx.json) return ctx.print(JSON.stringify({ out, ...r }, null, 2));
        ctx.print(
          `Joined ${out} (${formatBytes(r.bytes)}, SHA-256 ${r.sha256}); now: enclave bundle verify ${out}`,
        );
      } catch (error) {
        if (error instanceof BundleRefusal) {
          const index = first.endsWith('.json') ? first : first.replace(/\.part-\d+$/, '.parts.json');
          if (existsSync(index) && !ctx.json)
            for (const p of checkParts(index).parts)
              ctx.print(`${p.file}: ${p.ok ? 'OK' : `DAMAGED (${p.problem})`}`);
          return refused(ctx, out, error);
        }
        throw error;
      }
    },
  },
];

/** `bundle build RECIPE.yaml --out DIR|FILE`: the recipe's steps into a temporary payload, then the bundle. */
async function buildFromRecipe(ctx: CommandContext, recipeFile: string): Promise<number> {
  for (const option of ['name', 'kind', 'version', 'expires', 'description']) {
    if (ctx.options[option] !== undefined)
      throw new UsageError(`--${option} comes from the recipe; leave it out`);
  }
  const out = required(ctx, 'out', 'DIR|FILE');
  let recipe;
  try {
    recipe = parseRecipe(readText(recipeFile, 'recipe'), { fileName: recipeFile });
  } catch (error) {
    if (error instanceof RecipeError) throw new UsageError(error.message);
    throw error;
  }
  const file =
    existsSync(out) && statSync(out).isDirectory()
      ? path.join(out, `${recipe.name}-${recipe.version}.bundle.tar`)
      : out;
  const work = mkdtempSync(path.join(path.dirname(path.resolve(file)), '.recipe-'));
  try {
    const report = await assembleRecipe(recipe, path.join(work, 'payload'), {
      onStep: (d) => process.stderr.write(`${d}\n`),
    }).catch((error: unknown) => {
      if (error instanceof RecipeError) {
        process.stderr.write(`enclave: ${error.message}\n`);
        return undefined;
      }
      throw error;
    });
    if (!report) return EXIT.failed;
    const expires = recipeExpiry(recipe);
    const b = await buildBundle({
      source: path.join(work, 'payload'),
      name: recipe.name,
      kind: recipe.kind,
      version: recipe.version,
      out: file,
      ...(expires ? { expires } : {}),
      ...(recipe.description ? { description: recipe.description } : {}),
      ...(recipe.targets ? { targets: recipe.targets } : {}),
    });
    if (ctx.json) ctx.print(JSON.stringify({ ...b, unpinned: report.unpinned }, null, 2));
    else {
      ctx.print(
        `Built ${b.path}: ${b.manifest.name} ${b.manifest.version} (${b.manifest.kind}), ${b.manifest.files.length} files`,
      );
      for (const u of report.unpinned)
        ctx.print(`unpinned download: pin source ${u.source} with sha256: ${u.sha256}`);
      ctx.print(`Next: enclave bundle sign ${b.path} --key KEY`);
    }
    return EXIT.done;
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}
