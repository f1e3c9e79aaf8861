// `enclave hosts upload|download`: files to and from hosts over SFTP, each copy checked by SHA-256.
import path from 'node:path';
import { EXIT, UsageError } from './exit-codes';
import { formatBytes, hostSelection, str, withCore, type Command } from './command';
import { signIn } from './session';
import { formatTable } from './table';

/** Progress on a terminal (stderr): a line per host at each phase and every 10% sent; nothing when piped. */
function progressPrinter(enabled: boolean) {
  const last = new Map<string, string>();
  return (e: { host: string; phase: string; bytes: number; totalBytes: number }) => {
    if (!enabled) return;
    const percent = e.totalBytes > 0 ? Math.floor((e.bytes / e.totalBytes) * 100) : 100;
    const step = `${e.phase}:${Math.floor(percent / 10)}`;
    if (last.get(e.host) === step) return;
    last.set(e.host, step);
    process.stderr.write(`${e.host}: ${e.phase} ${percent}% of ${formatBytes(e.totalBytes)}\n`);
  };
}

export const TRANSFER_COMMANDS: Command[] = [
  {
    words: ['hosts', 'upload'],
    usage: 'hosts upload LOCAL_FILE REMOTE_PATH (HOST…|--all|--label K=V…) [--mode 0644]',
    summary:
      'Copy a file to hosts over SFTP; each copy must hash the same (SHA-256) before it takes its name.',
    options: ['all', 'label', 'mode'],
    async run(ctx) {
      const [localFile, remotePath, ...hosts] = ctx.positionals;
      if (!localFile || !remotePath) throw new UsageError(`usage: enclave ${this.usage}`);
      const modeText = str(ctx.options.mode);
      const mode = modeText === undefined ? undefined : Number.parseInt(modeText, 8);
      if (mode !== undefined && (!/^[0-7]{3,4}$/.test(modeText ?? '') || Number.isNaN(mode)))
        throw new UsageError('--mode takes octal permissions, e.g. 0644');
      return withCore(ctx, async (cli) => {
        await signIn(cli);
        const selection = await hostSelection({ ...ctx, positionals: hosts }, cli);
        const out = await cli.client.call(
          'hosts.upload',
          {
            ...selection,
            localPath: path.resolve(localFile),
            remotePath,
            ...(mode !== undefined ? { mode } : {}),
          },
          { onEvent: progressPrinter(!ctx.json && Boolean(process.stderr.isTTY)) },
        );
        if (ctx.json) ctx.print(JSON.stringify(out, null, 2));
        else {
          ctx.print(`${localFile}: ${formatBytes(out.bytes)}, SHA-256 ${out.sha256}`);
          ctx.print(
            formatTable(
              ['HOST', 'RESULT', 'TIME'],
              out.results.map((r) => [
                r.host,
                r.error ? `FAILED: ${r.error}` : `copied to ${r.remotePath}, hash matches`,
                `${r.durationMs} ms`,
              ]),
            ),
          );
        }
        return out.results.every((r) => !r.error) ? EXIT.done : EXIT.failed;
      });
    },
  },
  {
    words: ['hosts', 'download'],
    usage: 'hosts download HOST REMOTE_PATH LOCAL_FILE [--overwrite]',
    summary: 'Copy a file from a host over SFTP, checked against the SHA-256 the host computes.',
    options: ['overwrite'],
    async run(ctx) {
      const [host, remotePath, localFile] = ctx.positionals;
      if (!host || !remotePath || !localFile) throw new UsageError(`usage: enclave ${this.usage}`);
      return withCore(ctx, async (cli) => {
        await signIn(cli);
        const r = await cli.client.call(
          'hosts.download',
          { host, remotePath, localPath: path.resolve(localFile), overwrite: ctx.options.overwrite === true },
          { onEvent: progressPrinter(!ctx.json && Boolean(process.stderr.isTTY)) },
        );
        if (ctx.json) ctx.print(JSON.stringify(r, null, 2));
        else
          ctx.print(
            r.error
              ? `${host}: FAILED: ${r.error}`
              : `${host}:${remotePath} -> ${r.localPath}: ${formatBytes(r.bytes)}, SHA-256 ${r.sha256 ?? ''} (matches)`,
          );
        return r.error ? EXIT.failed : EXIT.done;
      });
    },
  },
];
