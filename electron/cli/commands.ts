import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { AuditEntryView } from '../../shared/api';
import { spawnSync } from 'node:child_process';
import { homedir, userInfo } from 'node:os';
import { existsSync, readFileSync } from 'node:fs';
import { ConsoleError } from '../../shared/errors';
import { alreadyInitialised } from '../core/identity';
import { parseVerifierKey, verifyExport, verifyTlogProof } from '../core/ledger';
import { importHosts } from '../core/hosts/import';
import { freeSpace } from '../core/media';
import { startHarness } from '../server';
import { EXIT, UsageError } from './exit-codes';
import { interactive, promptHidden, promptLine } from './prompt';
import { openCliCore, readPassphrase, signIn } from './session';
import { formatBytes, hostSelection, parseLabels, readText, str, withCore, type Command } from './command';
import { POLICY_COMMANDS } from './policy-commands';
import { TRANSFER_COMMANDS } from './transfer-commands';
import { GPU_COMMANDS } from './gpu-commands';
import { BUNDLE_INSTALL_COMMANDS } from './bundle-install-commands';
import { TENANT_COMMANDS } from './tenant-commands';
import { BUNDLE_COMMANDS } from './bundle-commands';
import { formatFields, formatTable } from './table';

/** "24h", "7d", "30m" ago, or an ISO time. */
export function parseSince(value: string, now = new Date()): string {
  const m = /^(\d+)([smhd])$/.exec(value);
  if (m) {
    const unit = { s: 1e3, m: 6e4, h: 36e5, d: 864e5 }[m[2] as 's' | 'm' | 'h' | 'd'];
    return new Date(now.getTime() - Number(m[1]) * unit).toISOString();
  }
  const t = Date.parse(value);
  if (Number.isNaN(t))
    throw new UsageError(`--since ${value}: use an ISO time (2026-11-29T10:00:00Z) or 30m, 24h, 7d`);
  return new Date(t).toISOString();
}

const CORE_COMMANDS: Command[] = [
  {
    words: ['init'],
    usage: 'init --admin NAME [--display-name TEXT]',
    summary: 'Set up a new data directory with its first administrator.',
    options: ['admin', 'display-name'],
    async run(ctx) {
      const name = str(ctx.options.admin);
      if (!name) throw new UsageError('init needs --admin NAME (the first administrator)');
      return withCore(ctx, async (cli) => {
        const status = await cli.client.call('session.status', {});
        // Refuse before asking for a passphrase that would not be used.
        if (status.initialised) throw alreadyInitialised();
        const passphrase = await readPassphrase(`Passphrase for ${name} (12+ characters): `, true);
        const session = await cli.client.call('setup.createFirstAdmin', {
          name,
          displayName: str(ctx.options['display-name']) ?? name,
          passphrase,
        });
        const info = await cli.client.call('system.info', {});
        if (ctx.json) ctx.print(JSON.stringify({ ...info, admin: session.operator.name }, null, 2));
        else {
          ctx.print(`Initialised ${info.dataDir}`);
          ctx.print(
            formatFields([
              ['administrator', `${session.operator.name} (${session.operator.displayName})`],
              ['workstation id', info.workstationId ?? '-'],
              ['schema version', String(info.schemaVersion)],
            ]),
          );
          ctx.print('Next: `enclave serve` to open the console in a browser, or start the desktop app.');
        }
      });
    },
  },
  {
    words: ['info'],
    usage: 'info',
    summary: 'Version, data directory, schema version and workstation id.',
    options: [],
    async run(ctx) {
      return withCore(ctx, async (cli) => {
        const info = await cli.client.call('system.info', {});
        if (ctx.json) return ctx.print(JSON.stringify(info, null, 2));
        ctx.print(
          formatFields([
            ['version', info.version],
            ['data directory', info.dataDir],
            ['schema version', String(info.schemaVersion)],
            ['workstation id', info.workstationId ?? '(not initialised: run `enclave init --admin NAME`)'],
            ['secrets key', info.secretsProtection],
            ['runtime', info.runtime],
          ]),
        );
      });
    },
  },
  {
    words: ['serve'],
    usage: 'serve [--port N]',
    summary: 'Serve the console to a browser on 127.0.0.1, protected by a one-time token.',
    options: ['port'],
    async run(ctx) {
      const port = Number(str(ctx.options.port) ?? '0');
      if (!Number.isInteger(port) || port < 0 || port > 65535)
        throw new UsageError('--port takes 0–65535 (0: any free port)');
      const cli = await openCliCore(ctx.dataDir, { recordLifecycle: true });
      const staticDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', 'renderer');
      const harness = await startHarness({ core: cli.core, port, staticDir });
      if (ctx.json) ctx.print(JSON.stringify({ url: harness.url, port: harness.port }));
      else {
        ctx.print(`Enclave Console is serving on ${harness.url}`);
        ctx.print(
          'Open that URL in a browser on this machine; the token in it changes at every launch. Ctrl+C stops.',
        );
      }
      await new Promise<void>((resolve) => {
        const stop = () => resolve();
        process.once('SIGINT', stop);
        process.once('SIGTERM', stop);
      });
      await harness.close();
      cli.close();
    },
  },
  {
    words: ['audit', 'list'],
    usage: 'audit list [--operator U] [--since T] [--procedure P] [--outcome ok|denied|error] [--limit N]',
    summary: 'Audit entries, newest first.',
    options: ['operator', 'since', 'procedure', 'outcome', 'limit'],
    async run(ctx) {
      const outcome = str(ctx.options.outcome);
      if (outcome !== undefined && !['ok', 'denied', 'error'].includes(outcome)) {
        throw new UsageError('--outcome is one of ok, denied, error');
      }
      const since = str(ctx.options.since);
      const operator = str(ctx.options.operator);
      const procedure = str(ctx.options.procedure);
      const filter = {
        limit: Number(str(ctx.options.limit) ?? '500'),
        ...(operator ? { operator } : {}),
        ...(procedure ? { procedure } : {}),
        ...(outcome ? { outcome: outcome as AuditEntryView['outcome'] } : {}),
        ...(since ? { since: parseSince(since) } : {}),
      };
      return withCore(ctx, async (cli) => {
        await signIn(cli);
        const { entries, total } = await cli.client.call('audit.list', filter);
        if (ctx.json) return ctx.print(JSON.stringify({ entries, total }, null, 2));
        ctx.print(
          formatTable(
            ['INDEX', 'TIME', 'OPERATOR', 'ACTION', 'TARGET', 'OUTCOME'],
            entries.map((e) => [
              String(e.index),
              e.time,
              e.operator?.subject ?? '-',
              e.procedure,
              e.target ?? '-',
              e.outcome + (e.error ? `: ${e.error}` : ''),
            ]),
          ),
        );
        ctx.print(`${entries.length} of ${total} entries`);
      });
    },
  },
  {
    words: ['audit', 'verify'],
    usage: 'audit verify',
    summary: 'Recompute the whole ledger and check every checkpoint; exits 3 at the first problem.',
    options: [],
    async run(ctx) {
      return withCore(ctx, async (cli) => {
        await signIn(cli);
        const report = await cli.client.call('audit.verify', {});
        if (ctx.json) ctx.print(JSON.stringify(report, null, 2));
        else {
          ctx.print(
            report.ok
              ? `The ledger verifies: ${report.entries} entries, ${report.checkpointsChecked} checkpoints checked in ${report.durationMs} ms.`
              : `The ledger does NOT verify (${report.entries} entries):`,
          );
          for (const p of report.problems)
            ctx.print(`  ${p.index === null ? '' : `entry ${p.index}: `}${p.reason}`);
          if (report.unsignedTail > 0) {
            ctx.print(
              `${report.unsignedTail} newest entries are not signed yet (written while the key was locked).`,
            );
          }
        }
        return report.ok ? EXIT.done : EXIT.refused;
      });
    },
  },
  {
    words: ['audit', 'proof'],
    usage: 'audit proof --index N',
    summary: 'Print one entry with its inclusion proof as a c2sp.org/tlog-proof file.',
    options: ['index'],
    async run(ctx) {
      const index = Number(str(ctx.options.index));
      if (!Number.isSafeInteger(index) || index < 0)
        throw new UsageError('audit proof needs --index N (an entry index)');
      return withCore(ctx, async (cli) => {
        await signIn(cli);
        const proof = await cli.client.call('audit.proof', { index });
        if (ctx.json) ctx.print(JSON.stringify(proof, null, 2));
        else process.stdout.write(proof.tlogProof);
      });
    },
  },
  {
    words: ['audit', 'export'],
    usage: 'audit export --to DIR [--full]',
    summary: 'Export the ledger (new entries since the last export, or all with --full) to removable media.',
    options: ['to', 'full'],
    async run(ctx) {
      const to = str(ctx.options.to);
      if (!to) throw new UsageError('audit export needs --to DIR (the mounted medium or a folder on it)');
      const target = path.resolve(to);
      return withCore(ctx, async (cli) => {
        await signIn(cli);
        if (!ctx.json) {
          try {
            const space = freeSpace(target);
            ctx.print(`${target}: ${formatBytes(space.freeBytes)} free of ${formatBytes(space.totalBytes)}`);
          } catch {
            // the export itself reports a missing folder clearly
          }
        }
        let last = '';
        const result = await cli.client.call(
          'audit.export',
          { to: target, full: ctx.options.full === true },
          {
            onEvent: (e) => {
              const line = `${e.phase} ${Math.min(100, Math.round((100 * e.bytes) / Math.max(1, e.totalBytes)))}%`;
              if (!ctx.json && line !== last && process.stderr.isTTY)
                process.stderr.write(`\r${line.padEnd(24)}`);
              last = line;
            },
          },
        );
        if (!ctx.json && process.stderr.isTTY) process.stderr.write('\n');
        if (ctx.json) return ctx.print(JSON.stringify(result, null, 2));
        ctx.print(`Exported entries ${result.from}–${result.to - 1} to ${result.folder}`);
        ctx.print(
          `${result.files.length} files, ${result.bytes} bytes, read back from the medium (${result.readBack}).`,
        );
        ctx.print(`Keep ${result.folder}/checkpoint: the next export is verified against it (--previous).`);
      });
    },
  },
  {
    words: ['audit', 'media'],
    usage: 'audit media',
    summary: 'Removable media mounted on this workstation, with free space (export targets).',
    options: [],
    async run(ctx) {
      return withCore(ctx, async (cli) => {
        await signIn(cli);
        const media = await cli.client.call('audit.media', {});
        if (ctx.json) return ctx.print(JSON.stringify(media, null, 2));
        if (media.length === 0) {
          ctx.print('No removable media are mounted. Mount one, or export to a folder with --to DIR.');
          return;
        }
        ctx.print(
          formatTable(
            ['MOUNT POINT', 'DEVICE', 'LABEL', 'FILESYSTEM', 'FREE', 'SIZE'],
            media.map((m) => [
              m.mountPoint,
              m.device,
              m.label ?? '-',
              m.fsType ?? '-',
              formatBytes(m.freeBytes),
              formatBytes(m.totalBytes),
            ]),
          ),
        );
      });
    },
  },
  {
    words: ['audit', 'verify-export'],
    usage: 'audit verify-export DIR [--previous CHECKPOINT_FILE] [--key VERIFIER_KEY|FILE]',
    summary: 'Verify an audit export offline, on any machine; exits 3 with the first problem.',
    options: ['previous', 'key'],
    async run(ctx) {
      const dir = ctx.positionals[0];
      if (!dir || ctx.positionals.length > 1) throw new UsageError('audit verify-export takes one folder');
      const key = readKeyOption(str(ctx.options.key));
      const previousFile = str(ctx.options.previous);
      const previous = previousFile !== undefined ? readText(previousFile, '--previous') : undefined;
      const report = verifyExport(dir, { ...(key ? { key } : {}), ...(previous ? { previous } : {}) });
      if (ctx.json) ctx.print(JSON.stringify(report, null, 2));
      else if (report.ok) {
        ctx.print(
          `The export verifies: entries ${report.from}–${(report.to ?? 1) - 1} of ${report.origin}, signed at ${report.signedAt}.`,
        );
        for (const c of report.checks) ctx.print(`  ✓ ${c}`);
        if (report.keySource === 'export') {
          ctx.print(
            'Note: the key came from the export itself. Pass --key with the key shown in Settings to pin it.',
          );
        }
      } else {
        const p = report.problem;
        ctx.print(
          `The export does NOT verify: ${p?.file ? `${p.file}: ` : ''}${p?.index !== null && p?.index !== undefined ? `entry ${p.index}: ` : ''}${p?.reason}`,
        );
      }
      return report.ok ? EXIT.done : EXIT.refused;
    },
  },
  {
    words: ['audit', 'verify-proof'],
    usage: 'audit verify-proof FILE --key VERIFIER_KEY|FILE',
    summary: 'Verify a tlog-proof file from `audit proof` offline.',
    options: ['key'],
    async run(ctx) {
      const file = ctx.positionals[0];
      const key = readKeyOption(str(ctx.options.key));
      if (!file || !key)
        throw new UsageError('audit verify-proof needs FILE and --key (the ledger verifier key)');
      let checked;
      try {
        checked = verifyTlogProof(readText(file, 'FILE'), parseVerifierKey(key));
      } catch (error) {
        throw new ConsoleError('FORBIDDEN', `the proof does not verify: ${(error as Error).message}`);
      }
      if (ctx.json) ctx.print(JSON.stringify(checked, null, 2));
      else
        ctx.print(
          `Entry ${checked.index} is in the ledger (tree size ${checked.treeSize}, signed by the given key).`,
        );
    },
  },
  {
    words: ['hosts', 'list'],
    usage: 'hosts list',
    summary: 'GPU hosts in the inventory, with their pinned host keys.',
    options: [],
    async run(ctx) {
      return withCore(ctx, async (cli) => {
        await signIn(cli);
        const hosts = await cli.client.call('hosts.list', {});
        if (ctx.json) return ctx.print(JSON.stringify(hosts, null, 2));
        if (hosts.length === 0)
          return ctx.print(
            'No hosts yet. Add one with `enclave hosts add NAME --address A --user U --key FILE`.',
          );
        ctx.print(
          formatTable(
            ['NAME', 'ADDRESS', 'USER', 'HOST KEY', 'LAST SEEN', 'LABELS'],
            hosts.map((h) => [
              h.name,
              `${h.address}:${h.port}`,
              h.user,
              h.fingerprint ?? '-',
              h.lastSeenAt ?? '-',
              Object.entries(h.labels)
                .map(([k, v]) => `${k}=${v}`)
                .join(','),
            ]),
          ),
        );
      });
    },
  },
  {
    words: ['hosts', 'add'],
    usage:
      'hosts add NAME --address A [--port P] --user U (--key FILE|--agent|--password) [--fingerprint SHA256:…] [--jump BASTION] [--label K=V]…',
    summary:
      'Add a GPU host; its host key is pinned once you confirm the fingerprint. --password (ENCLAVE_HOST_PASSWORD or a prompt) only where the site policy allows it.',
    options: ['address', 'port', 'user', 'key', 'agent', 'password', 'fingerprint', 'jump', 'label'],
    async run(ctx) {
      const name = ctx.positionals[0];
      const address = str(ctx.options.address);
      const user = str(ctx.options.user);
      const keyFile = str(ctx.options.key);
      const agent = ctx.options.agent === true;
      const password = ctx.options.password === true;
      if (!name || !address || !user || [agent, Boolean(keyFile), password].filter(Boolean).length !== 1)
        throw new UsageError(`usage: enclave ${this.usage}`);
      const port = Number(str(ctx.options.port) ?? '22');
      if (!Number.isInteger(port) || port < 1 || port > 65535) throw new UsageError('--port takes 1–65535');
      const labels = parseLabels(ctx.options.label);
      const credentials = keyFile
        ? { auth: 'key' as const, privateKey: readText(keyFile, '--key') }
        : password
          ? {
              auth: 'password' as const,
              password: await readHostPassword(`Password for ${user}@${address}: `),
            }
          : { auth: 'agent' as const };
      let fingerprint = str(ctx.options.fingerprint);
      const jump = str(ctx.options.jump);
      return withCore(ctx, async (cli) => {
        await signIn(cli);
        const add = () =>
          cli.client.call('hosts.add', {
            name,
            address,
            port,
            user,
            ...credentials,
            labels,
            ...(fingerprint ? { fingerprint } : {}),
            ...(jump ? { jump } : {}),
          });
        let host;
        try {
          host = await add();
        } catch (error) {
          const presented = /presented (SHA256:[A-Za-z0-9+/]{43})/.exec((error as Error).message)?.[1];
          if (
            !(error instanceof ConsoleError) ||
            error.code !== 'CONFLICT' ||
            !presented ||
            !interactive() ||
            ctx.json
          )
            throw error;
          // First contact on a terminal: show the fingerprint and ask, as ssh does.
          const answer = await promptLine(
            `${name} presented host key ${presented}.\nIs this the key you verified out of band? [y/N] `,
          );
          if (!/^y(es)?$/i.test(answer))
            throw new ConsoleError('FORBIDDEN', 'host key not confirmed; the host was not added');
          fingerprint = presented;
          host = await add();
        }
        if (ctx.json) return ctx.print(JSON.stringify(host, null, 2));
        ctx.print(`Added ${host.name} (${host.address}:${host.port}); host key ${host.fingerprint} pinned.`);
      });
    },
  },
  {
    words: ['hosts', 'run'],
    usage: 'hosts run (HOST…|--all|--label K=V…) -- COMMAND…',
    summary: "Run a command on hosts in parallel and show each host's result.",
    options: ['all', 'label', 'timeout'],
    async run(ctx) {
      const command = ctx.rest.join(' ');
      if (!command)
        throw new UsageError(
          'hosts run needs the command after --, e.g. enclave hosts run gpu-01 -- nvidia-smi -L',
        );
      const timeoutSeconds = Number(str(ctx.options.timeout) ?? '60');
      return withCore(ctx, async (cli) => {
        await signIn(cli);
        const selection = await hostSelection(ctx, cli);
        // Lines as they arrive, each prefixed with its host; the summary comes at the end.
        const partial = new Map<string, string>();
        const emitLines = (host: string, stream: 'stdout' | 'stderr', text: string, flush = false) => {
          const key = `${host}\0${stream}`;
          const buffered = (partial.get(key) ?? '') + text;
          const parts = buffered.split('\n');
          partial.set(key, flush ? '' : (parts.pop() ?? ''));
          for (const line of flush ? parts.filter((l, i) => l || i < parts.length - 1) : parts) {
            (stream === 'stdout' ? process.stdout : process.stderr).write(`${host} | ${line}\n`);
          }
        };
        const { results } = await cli.client.call(
          'hosts.run',
          { ...selection, command, timeoutSeconds },
          ctx.json ? {} : { onEvent: (e) => emitLines(e.host, e.stream, e.data) },
        );
        if (ctx.json) ctx.print(JSON.stringify(results, null, 2));
        else {
          for (const key of partial.keys()) {
            const [host, stream] = key.split('\0') as [string, 'stdout' | 'stderr'];
            emitLines(host, stream, '', true);
          }
          for (const r of results) {
            const status = r.error ? `FAILED: ${r.error}` : `exit ${r.exitCode ?? r.signal}`;
            ctx.print(`== ${r.host}: ${status} (${r.durationMs} ms)`);
          }
        }
        return results.every((r) => !r.error && r.exitCode === 0) ? EXIT.done : EXIT.failed;
      });
    },
  },
  {
    words: ['lab'],
    usage: 'lab (up [--hosts N] [--state DIR] [--loopback] | down --state DIR | fault --state DIR HOST KIND)',
    summary:
      'The simulated site for tests and training: GPU hosts as real sshd servers with an nvidia-smi simulator.',
    options: ['hosts', 'state', 'loopback', 'netns'],
    async run(ctx) {
      // The lab is test infrastructure (test/lab), built beside the CLI in a checkout, never packaged.
      const lab = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', 'lab', 'lab.mjs');
      if (!existsSync(lab)) {
        throw new ConsoleError('FAILED', 'the lab is not built', {
          hint: 'the lab comes with a source checkout: run `npm run build` there',
        });
      }
      const args = [...ctx.positionals];
      for (const name of ['hosts', 'state']) {
        const value = str(ctx.options[name]);
        if (value !== undefined) args.push(`--${name}`, value);
      }
      for (const flag of ['loopback', 'netns', 'json'])
        if (ctx.options[flag] === true) args.push(`--${flag}`);
      const child = spawnSync(process.execPath, [lab, ...args], { stdio: 'inherit' });
      return child.status ?? EXIT.failed;
    },
  },
  {
    words: ['hosts', 'repin'],
    usage: 'hosts repin NAME --fingerprint SHA256:…',
    summary:
      'Administrators: pin a host key again after it changed, with the new fingerprint checked out of band.',
    options: ['fingerprint'],
    async run(ctx) {
      const name = ctx.positionals[0];
      const fingerprint = str(ctx.options.fingerprint);
      if (!name || !fingerprint) throw new UsageError(`usage: enclave ${this.usage}`);
      return withCore(ctx, async (cli) => {
        await signIn(cli);
        const { host, previous } = await cli.client.call('hosts.repin', { name, fingerprint });
        if (ctx.json) return ctx.print(JSON.stringify({ host, previous }, null, 2));
        ctx.print(`${host.name}: host key re-pinned from ${previous ?? '(none)'} to ${host.fingerprint}.`);
      });
    },
  },
  {
    words: ['hosts', 'discover'],
    usage: 'hosts discover (HOST…|--all|--label K=V…)',
    summary: "Read hosts' facts and GPUs over SSH (nvidia-smi) and store them.",
    options: ['all', 'label'],
    async run(ctx) {
      return withCore(ctx, async (cli) => {
        await signIn(cli);
        const { results } = await cli.client.call('hosts.discover', await hostSelection(ctx, cli));
        if (ctx.json) ctx.print(JSON.stringify(results, null, 2));
        else {
          ctx.print(
            formatTable(
              ['HOST', 'OS', 'GPUS', 'MIG', 'TEE', 'RESULT'],
              results.map((r) => {
                const models = [...new Set(r.gpus.map((g) => g.model))].join(', ');
                const mig = r.gpus.filter((g) => g.migMode === 'enabled').length;
                const tee = r.facts
                  ? [r.facts.tee.sevSnp && 'SEV-SNP', r.facts.tee.tdx && 'TDX'].filter(Boolean).join(',')
                  : '';
                return [
                  r.host,
                  r.facts ? `${r.facts.os} (${r.facts.kernel})` : '-',
                  r.gpus.length ? `${r.gpus.length} × ${models}` : '-',
                  r.gpus.length ? `${mig}/${r.gpus.length} on` : '-',
                  tee || '-',
                  r.error ?? 'ok',
                ];
              }),
            ),
          );
        }
        return results.every((r) => !r.error) ? EXIT.done : EXIT.failed;
      });
    },
  },
  {
    words: ['hosts', 'import'],
    usage: 'hosts import FILE [--known-hosts FILE] [--yes]',
    summary: 'Add hosts from the lab inventory, an Ansible inventory (INI/YAML) or an ssh_config.',
    options: ['known-hosts', 'yes'],
    async run(ctx) {
      const file = ctx.positionals[0];
      if (!file) throw new UsageError(`usage: enclave ${this.usage}`);
      const knownHostsFile = str(ctx.options['known-hosts']);
      const plan = importHosts(readFileSync(file), {
        fileName: file,
        homeDir: homedir(),
        defaultUser: userInfo().username,
        ...(knownHostsFile ? { knownHosts: readText(knownHostsFile, '--known-hosts') } : {}),
      });
      if (!ctx.json) {
        ctx.print(`${plan.hosts.length} hosts to add from ${file}:`);
        ctx.print(
          formatTable(
            ['NAME', 'ADDRESS', 'USER', 'HOST KEY', 'NOTES'],
            plan.hosts.map((h) => [
              h.name,
              `${h.address}:${h.port}`,
              h.user,
              h.fingerprint ?? '(to confirm)',
              h.notes.join('; '),
            ]),
          ),
        );
        for (const s of plan.skipped) ctx.print(`skipped ${s.name}: ${s.reason}`);
      }
      if (plan.hosts.length === 0) return EXIT.failed;
      if (ctx.options.yes !== true) {
        if (!interactive()) throw new UsageError('add --yes to import without being asked');
        if (!/^y(es)?$/i.test(await promptLine('Add these hosts? [y/N] '))) return EXIT.failed;
      }
      return withCore(ctx, async (cli) => {
        await signIn(cli);
        const results: { name: string; result: string }[] = [];
        const added = (await cli.client.call('hosts.list', {})).map((h) => ({
          name: h.name,
          address: h.address,
          port: h.port,
        }));
        // Hosts reached directly first, so the bastions exist before the hosts behind them.
        for (const h of [...plan.hosts].sort((a, b) => Number(Boolean(a.jump)) - Number(Boolean(b.jump)))) {
          // A bastion must be in the inventory first: one added earlier in this file, by address.
          const bastion = h.jump
            ? added.find((a) => a.address === h.jump?.address && a.port === h.jump?.port)?.name
            : undefined;
          if (h.jump && !bastion) {
            results.push({
              name: h.name,
              result: `not added: its jump host ${h.jump.address}:${h.jump.port} is not in the inventory; add it first`,
            });
            continue;
          }
          try {
            if (!h.keyFile) throw new UsageError('the file names no private key for it');
            const host = await cli.client.call('hosts.add', {
              name: h.name,
              address: h.address,
              port: h.port,
              user: h.user,
              labels: h.labels,
              privateKey: readText(h.keyFile, `key of ${h.name}`),
              ...(h.fingerprint ? { fingerprint: h.fingerprint } : {}),
              ...(bastion ? { jump: bastion } : {}),
            });
            added.push({ name: host.name, address: host.address, port: host.port });
            results.push({ name: h.name, result: `added, host key ${host.fingerprint} pinned` });
          } catch (error) {
            results.push({ name: h.name, result: `not added: ${(error as Error).message}` });
          }
        }
        if (ctx.json) ctx.print(JSON.stringify({ results, skipped: plan.skipped }, null, 2));
        else for (const r of results) ctx.print(`${r.name}: ${r.result}`);
        return results.every((r) => r.result.startsWith('added')) ? EXIT.done : EXIT.failed;
      });
    },
  },
];

/** --key takes the verifier key itself or a file holding it (e.g. ledger-key.pub from a trusted export). */
function readKeyOption(value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  const text = value.includes('+') ? value : readText(value, '--key');
  try {
    parseVerifierKey(text);
  } catch (error) {
    throw new UsageError(`--key: ${(error as Error).message}`);
  }
  return text.trim();
}

/** ENCLAVE_HOST_PASSWORD, else a hidden prompt on a terminal; never an argument (it would show in ps). */
async function readHostPassword(question: string): Promise<string> {
  const fromEnv = process.env.ENCLAVE_HOST_PASSWORD;
  if (fromEnv) return fromEnv;
  if (!interactive())
    throw new UsageError(
      '--password: set ENCLAVE_HOST_PASSWORD or run the command in a terminal to be asked',
    );
  return promptHidden(question);
}

export type { Command, CommandContext } from './command';

/** Every command, in the order `enclave --help` lists them. */
export const COMMANDS: Command[] = [
  ...CORE_COMMANDS,
  ...TRANSFER_COMMANDS,
  ...GPU_COMMANDS,
  ...TENANT_COMMANDS,
  ...BUNDLE_COMMANDS,
  ...BUNDLE_INSTALL_COMMANDS,
  ...POLICY_COMMANDS,
];
