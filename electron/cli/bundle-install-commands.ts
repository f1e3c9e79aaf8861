// `enclave bundle install|import|scan|staged|check` and `enclave bundle trust …` (design.md §8): the
// console side of bundles, through the dispatcher as a signed-in operator and audited like the UI.
// install imports the file into staging (re-verified in the same pass), shows the plan and asks
// unless --yes. The format-only commands (keygen, build, sign, verify, inspect, extract) are in
// bundle-commands.ts.
import path from 'node:path';
import type { BundlePlan, VerifyProgress } from '../../shared/api';
import { ConsoleError } from '../../shared/errors';
import { confirm, formatBytes, readText, str, withCore, type Command, type CommandContext } from './command';
import { EXIT, UsageError } from './exit-codes';
import { signIn } from './session';
import { formatFields, formatTable } from './table';

function one(ctx: CommandContext, what: string): string {
  const [value, ...extra] = ctx.positionals;
  if (!value || extra.length) throw new UsageError(`name one ${what}`);
  return value;
}

/** `--hosts a,b` (or repeated). */
function hostsOption(ctx: CommandContext): string[] | undefined {
  const v = ctx.options.hosts;
  const list = (Array.isArray(v) ? v : typeof v === 'string' ? [v] : []).flatMap((x) => x.split(','));
  const hosts = list.map((h) => h.trim()).filter(Boolean);
  return hosts.length ? hosts : undefined;
}

function targetsOf(ctx: CommandContext) {
  const hosts = hostsOption(ctx);
  const cluster = str(ctx.options.cluster);
  const registry = str(ctx.options.registry);
  const ca = str(ctx.options['registry-ca']);
  const repository = str(ctx.options.repository);
  return {
    ...(hosts ? { hosts } : {}),
    ...(cluster ? { cluster } : {}),
    ...(registry ? { registry } : {}),
    ...(ca ? { registryCaPem: readText(ca, '--registry-ca') } : {}),
    ...(repository ? { repository } : {}),
  };
}

/** Progress on stderr when it is a terminal: bytes, rate and time left. */
function progress(ctx: CommandContext) {
  if (ctx.json || !process.stderr.isTTY) return undefined;
  return (p: VerifyProgress) => {
    const eta = p.etaSeconds === null ? '' : `, ${Math.ceil(p.etaSeconds)} s left`;
    process.stderr.write(
      `\r${p.phase} ${formatBytes(p.bytes)} of ${formatBytes(p.totalBytes)} at ${formatBytes(p.rate)}/s${eta}   `,
    );
    if (p.bytes >= p.totalBytes) process.stderr.write('\n');
  };
}

export function printBundlePlan(ctx: CommandContext, plan: BundlePlan): void {
  ctx.print(
    formatFields([
      ['Bundle', `${plan.name} ${plan.version} (${plan.kind})`],
      ['Manifest SHA-256', plan.manifestSha256],
      ['Installed now', plan.installedVersion ?? '(none)'],
    ]),
  );
  if (plan.steps.length > 0) {
    ctx.print(
      formatTable(
        ['TARGET', 'WHAT', ''],
        plan.steps.map((s) => [s.target, s.action, s.blocked ? 'BLOCKED' : '']),
      ),
    );
  }
  for (const s of plan.steps) {
    if (s.detail && (s.blocked || plan.kind === 'host-packages'))
      ctx.print(`${s.target}:\n${s.detail.replace(/^/gm, '  ')}`);
  }
  for (const p of plan.problems) ctx.print(`problem: ${p}`);
}

const TRUST_COMMANDS: Command[] = [
  {
    words: ['bundle', 'trust', 'list'],
    usage: 'bundle trust list',
    summary: "The console's trusted bundle signers and each kind's threshold.",
    options: [],
    async run(ctx) {
      return withCore(ctx, async (cli) => {
        await signIn(cli);
        const trust = await cli.client.call('bundles.trust', {});
        if (ctx.json) return ctx.print(JSON.stringify(trust, null, 2));
        ctx.print(
          trust.signers.length
            ? formatTable(
                ['SIGNER', 'FINGERPRINT', 'ADDED BY', 'ADDED'],
                trust.signers.map((s) => [s.name, s.fingerprint, s.addedBy, s.addedAt]),
              )
            : 'no trusted signers: every bundle is refused until one is added (enclave bundle trust add)',
        );
        ctx.print(
          formatTable(
            ['KIND', 'SIGNATURES NEEDED'],
            trust.thresholds.map((k) => [k.kind, `${k.threshold}${k.explicit ? '' : ' (default)'}`]),
          ),
        );
      });
    },
  },
  {
    words: ['bundle', 'trust', 'add'],
    usage: 'bundle trust add NAME KEY.pub',
    summary: 'Trust a signer (an OpenSSH Ed25519 public key file); administrators only, audited.',
    options: [],
    async run(ctx) {
      const [name, keyFile, ...extra] = ctx.positionals;
      if (!name || !keyFile || extra.length) throw new UsageError('give the signer name and the .pub file');
      const publicKey = readText(keyFile, 'public key').trim();
      return withCore(ctx, async (cli) => {
        await signIn(cli);
        const s = await cli.client.call('bundles.trustAddSigner', { name, publicKey });
        if (ctx.json) return ctx.print(JSON.stringify(s, null, 2));
        ctx.print(`trusted signer ${s.name} (${s.fingerprint})`);
      });
    },
  },
  {
    words: ['bundle', 'trust', 'remove'],
    usage: 'bundle trust remove NAME [--yes]',
    summary: 'Stop trusting a signer; refused while a threshold needs it.',
    options: ['yes'],
    async run(ctx) {
      const name = one(ctx, 'signer');
      return withCore(ctx, async (cli) => {
        await signIn(cli);
        if (!(await confirm(ctx, `Stop trusting bundle signer ${name}?`))) return EXIT.done;
        const out = await cli.client.call('bundles.trustRemoveSigner', { name });
        if (ctx.json) return ctx.print(JSON.stringify(out, null, 2));
        ctx.print(`no longer trusted: ${out.removed.name} (${out.removed.fingerprint})`);
      });
    },
  },
  {
    words: ['bundle', 'trust', 'threshold'],
    usage: 'bundle trust threshold KIND N',
    summary: 'How many trusted signers must sign a bundle of KIND (never more than the signers).',
    options: [],
    async run(ctx) {
      const [kind, n, ...extra] = ctx.positionals;
      const threshold = Number(n);
      if (!kind || !Number.isInteger(threshold) || extra.length)
        throw new UsageError(
          'give the kind and a whole number, e.g. bundle trust threshold console-upgrade 2',
        );
      return withCore(ctx, async (cli) => {
        await signIn(cli);
        const out = await cli.client.call('bundles.trustSetThreshold', {
          kind: kind as 'files',
          threshold,
        });
        if (ctx.json) return ctx.print(JSON.stringify(out, null, 2));
        ctx.print(`${out.kind} bundles now need ${out.threshold} signature(s) (was ${out.previous})`);
      });
    },
  },
  {
    words: ['bundle', 'trust', 'export'],
    usage: 'bundle trust export DIR',
    summary:
      'Write the trust store as a trust folder (allowed_signers, thresholds.json) for bundle verify --trust.',
    options: [],
    async run(ctx) {
      const dir = path.resolve(one(ctx, 'folder'));
      return withCore(ctx, async (cli) => {
        await signIn(cli);
        const out = await cli.client.call('bundles.trustExport', { to: dir });
        if (ctx.json) return ctx.print(JSON.stringify(out, null, 2));
        for (const f of out.files) ctx.print(`wrote ${f}`);
      });
    },
  },
  {
    words: ['bundle', 'trust', 'import'],
    usage: 'bundle trust import DIR',
    summary: "Add a trust folder's signers and thresholds; administrators only, audited.",
    options: [],
    async run(ctx) {
      const dir = path.resolve(one(ctx, 'folder'));
      return withCore(ctx, async (cli) => {
        await signIn(cli);
        const out = await cli.client.call('bundles.trustImport', { from: dir });
        if (ctx.json) return ctx.print(JSON.stringify(out, null, 2));
        for (const s of out.added) ctx.print(`trusted signer ${s.name} (${s.fingerprint})`);
        for (const k of out.thresholds) ctx.print(`${k.kind} bundles need ${k.threshold} signature(s)`);
        if (!out.added.length && !out.thresholds.length) ctx.print('nothing new in that trust folder');
      });
    },
  },
];

export const BUNDLE_INSTALL_COMMANDS: Command[] = [
  {
    words: ['bundle', 'scan'],
    usage: 'bundle scan [DIR]',
    summary: 'Bundle files on inserted removable media, or in DIR.',
    options: [],
    async run(ctx) {
      const dir = ctx.positionals[0] ? path.resolve(ctx.positionals[0]) : undefined;
      return withCore(ctx, async (cli) => {
        await signIn(cli);
        const out = await cli.client.call('bundles.scan', dir ? { path: dir } : {});
        if (ctx.json) return ctx.print(JSON.stringify(out, null, 2));
        if (!dir && out.media.length === 0) ctx.print('no removable media are mounted');
        ctx.print(
          out.bundles.length
            ? formatTable(
                ['BUNDLE FILE', 'SIZE', 'MEDIUM'],
                out.bundles.map((b) => [b.path, formatBytes(b.size), b.medium ?? '-']),
              )
            : 'no bundle files (.tar) found',
        );
      });
    },
  },
  {
    words: ['bundle', 'check'],
    usage: 'bundle check FILE',
    summary:
      "Verify a bundle against the console's trust store and installed versions (audited); exit 3 when refused.",
    options: [],
    async run(ctx) {
      const file = path.resolve(one(ctx, 'bundle file'));
      return withCore(ctx, async (cli) => {
        await signIn(cli);
        const onEvent = progress(ctx);
        const r = await cli.client.call('bundles.verify', { path: file }, onEvent ? { onEvent } : {});
        if (ctx.json) ctx.print(JSON.stringify(r, null, 2));
        else if (r.verified)
          ctx.print(
            `verified ${r.manifest.name} ${r.manifest.version} (${r.manifest.kind}), signed by ${r.signers
              .map((s) => s.name)
              .join(', ')} (${r.signers.length} of ${r.threshold} needed)`,
          );
        else process.stderr.write(`enclave: ${file} refused (${r.reason}): ${r.message}\n`);
        return r.verified ? EXIT.done : EXIT.refused;
      });
    },
  },
  {
    words: ['bundle', 'staged'],
    usage: 'bundle staged',
    summary: 'Bundles imported into the staging area, ready to install.',
    options: [],
    async run(ctx) {
      return withCore(ctx, async (cli) => {
        await signIn(cli);
        const rows = await cli.client.call('bundles.staged', {});
        if (ctx.json) return ctx.print(JSON.stringify(rows, null, 2));
        ctx.print(
          formatTable(
            ['BUNDLE', 'VERSION', 'KIND', 'MANIFEST SHA-256', 'STAGED'],
            rows.map((r) => [r.name, r.version, r.kind, r.manifestSha256.slice(0, 16), r.stagedAt]),
          ),
        );
      });
    },
  },
  {
    words: ['bundle', 'install'],
    usage:
      'bundle install FILE [--hosts H1,H2 | --cluster C | --registry URL [--registry-ca PEM] [--repository R]] [--yes]',
    summary:
      'Import a bundle into staging (verified again as it is copied), show what installing will do, ask, then install.',
    options: ['hosts', 'cluster', 'registry', 'registry-ca', 'repository', 'yes'],
    async run(ctx) {
      const file = path.resolve(one(ctx, 'bundle file'));
      const targets = targetsOf(ctx);
      return withCore(ctx, async (cli) => {
        await signIn(cli);
        const onEvent = progress(ctx);
        let staged;
        try {
          staged = await cli.client.call('bundles.import', { path: file }, onEvent ? { onEvent } : {});
        } catch (e) {
          if (e instanceof ConsoleError && /^the bundle was refused/.test(e.message)) {
            process.stderr.write(`enclave: ${file}: ${e.message}; nothing was installed\n`);
            return EXIT.refused;
          }
          throw e;
        }
        const plan = await cli.client.call('bundles.plan', { staged: staged.manifestSha256, ...targets });
        if (!ctx.json) printBundlePlan(ctx, plan);
        if (plan.problems.length > 0) {
          if (ctx.json) ctx.print(JSON.stringify({ plan }, null, 2));
          process.stderr.write(
            `enclave: ${plan.name} ${plan.version} cannot be installed; nothing was installed\n`,
          );
          return EXIT.refused;
        }
        if (!(await confirm(ctx, `Install ${plan.name} ${plan.version}?`))) return EXIT.done;
        const out = await cli.client.call(
          'bundles.install',
          { staged: staged.manifestSha256, ...targets, planDigest: plan.planDigest },
          {
            onEvent: (e) => {
              if (!ctx.json && e.phase !== 'started') process.stderr.write(`${e.target}: ${e.phase}\n`);
            },
          },
        );
        if (ctx.json) ctx.print(JSON.stringify(out, null, 2));
        else {
          ctx.print(
            formatTable(
              ['TARGET', 'RESULT', 'DETAIL'],
              out.results.map((r) => [r.target, r.ok ? 'ok' : 'FAILED', r.detail.split('\n')[0] ?? '']),
            ),
          );
          for (const r of out.results.filter((x) => !x.ok))
            ctx.print(`${r.target}:\n${r.detail.replace(/^/gm, '  ')}`);
          ctx.print(
            out.installed
              ? `${plan.name} ${plan.version} installed and recorded`
              : `${plan.name} ${plan.version} was not installed everywhere: see the failed targets above`,
          );
        }
        return out.installed ? EXIT.done : EXIT.failed;
      });
    },
  },
  ...TRUST_COMMANDS,
];
