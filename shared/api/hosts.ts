import { z } from 'zod';
import { EVERY_ROLE } from '../roles';
import { procedure } from './define';
import { Empty, Timestamp } from './common';
import { secret } from './secret';

export const HostName = z
  .string()
  .min(1)
  .max(63)
  .regex(/^[a-z0-9]([a-z0-9-]*[a-z0-9])?$/, 'use lower-case letters, digits and "-" (a DNS label)');
export const Fingerprint = z
  .string()
  .regex(/^SHA256:[A-Za-z0-9+/]{43}$/, 'an OpenSSH fingerprint looks like SHA256: followed by 43 characters');

export const HostFactsView = z.object({
  hostname: z.string(),
  os: z.string(),
  kernel: z.string(),
  arch: z.string(),
  cpuModel: z.string(),
  cpuCount: z.number().int(),
  tee: z.object({ sevSnp: z.boolean(), tdx: z.boolean() }),
  memoryMiB: z.number().int(),
});

export const HostRow = z.object({
  name: z.string(),
  address: z.string(),
  port: z.number().int(),
  user: z.string(),
  labels: z.record(z.string(), z.string()),
  fingerprint: z.string().nullable(),
  lastSeenAt: Timestamp.nullable(),
  /** From the last discovery; null before one succeeded. */
  facts: HostFactsView.nullable(),
  discoveredAt: Timestamp.nullable(),
  /** The inventory host (bastion) this one is reached through, if any. */
  jump: z.string().nullable(),
  auth: z.enum(['key', 'agent', 'password']),
});
export type HostRow = z.infer<typeof HostRow>;

export const CommandResultRow = z.object({
  host: z.string(),
  exitCode: z.number().int().nullable(),
  signal: z.string().nullable(),
  stdout: z.string(),
  stderr: z.string(),
  /** SHA-256 of the whole stdout (hex), for the ledger: the output itself is not kept there. */
  stdoutSha256: z.string(),
  durationMs: z.number(),
  /** Why the command did not run or finish (unreachable, refused key, timeout). */
  error: z.string().nullable(),
});

const HostSelection = {
  /** Hosts by name; or select them with `labels` (every pair must match). */
  hosts: z.array(HostName).min(1).max(512).optional(),
  labels: z.record(z.string().max(64), z.string().max(256)).optional(),
};
const oneSelection = (i: { hosts?: unknown; labels?: unknown }) =>
  (i.hosts === undefined) !== (i.labels === undefined);

/** The ledger's target for a selection: `host gpu01`, `3 hosts`, `hosts labelled zone=a,rack=1`. */
const selectionTarget = (input: {
  hosts?: string[] | undefined;
  labels?: Record<string, string> | undefined;
}) =>
  input.hosts
    ? input.hosts.length === 1
      ? `host ${input.hosts[0]}`
      : `${input.hosts.length} hosts`
    : `hosts labelled ${Object.entries(input.labels ?? {})
        .map(([k, v]) => `${k}=${v}`)
        .join(',')}`;

export const DiscoveredHost = z.object({
  host: z.string(),
  facts: HostFactsView.nullable(),
  gpus: z.array(
    z.object({
      index: z.number().int(),
      uuid: z.string(),
      model: z.string(),
      busId: z.string(),
      memoryMiB: z.number().int(),
      driverVersion: z.string().nullable(),
      migMode: z.enum(['enabled', 'disabled', 'unsupported']),
      migPending: z.enum(['enabled', 'disabled', 'unsupported']),
      migDevices: z.number().int(),
    }),
  ),
  /** Why discovery failed on this host (unreachable, refused key, output that did not parse). */
  error: z.string().nullable(),
});

const HOST_OPERATORS = ['operator', 'admin'] as const;

const RemotePath = z
  .string()
  .min(2)
  .max(4096)
  .regex(/^\/[^\0]*[^/]$/, 'an absolute path to a file on the host, e.g. /var/tmp/driver.run');

/** One host's part of a file transfer. */
export const TransferResultRow = z.object({
  host: z.string(),
  localPath: z.string(),
  remotePath: z.string(),
  /** Bytes copied; 0 when it failed. */
  bytes: z.number().int(),
  /** SHA-256 (hex) both ends agreed on; null when it failed. */
  sha256: z.string().nullable(),
  durationMs: z.number(),
  /** Why it failed (unreachable, no space, hash mismatch, cancelled); nothing is left at the target then. */
  error: z.string().nullable(),
});

export const TransferProgressEvent = z.object({
  host: z.string(),
  phase: z.enum(['sending', 'verifying', 'done']),
  bytes: z.number(),
  totalBytes: z.number(),
});

export const hostProcedures = [
  procedure({
    id: 'hosts.list',
    summary: 'GPU hosts in the inventory.',
    input: Empty,
    output: z.array(HostRow),
    roles: EVERY_ROLE,
    audited: false,
    mutates: false,
  }),
  procedure({
    id: 'hosts.add',
    summary:
      'Add a GPU host reached over SSH. Its host key is pinned once its fingerprint is confirmed; nothing is sent to it before.',
    input: z
      .strictObject({
        name: HostName,
        address: z.string().min(1).max(253),
        port: z.number().int().min(1).max(65535).default(22),
        user: z.string().min(1).max(32),
        /**
         * `key`: a private key stored encrypted; `agent`: the workstation's ssh-agent (SSH_AUTH_SOCK);
         * `password`: only where the site policy allows it (policy.set), stored encrypted.
         */
        auth: z.enum(['key', 'agent', 'password']).default('key'),
        /** The OpenSSH private key (PEM text) for `key`; stored encrypted, never shown again. */
        privateKey: secret(z.string().min(64).max(16_384).optional()),
        /** The login password for `password`; stored encrypted, never shown again. */
        password: secret(z.string().min(1).max(1024).optional()),
        /** The host key fingerprint confirmed out of band. Without it the call answers with the presented one. */
        fingerprint: Fingerprint.optional(),
        labels: z.record(z.string().max(64), z.string().max(256)).default({}),
        /** Reach it through this inventory host (a bastion), as `ssh -J` does. */
        jump: HostName.optional(),
      })
      .refine((i) => (i.auth === 'key') === (i.privateKey !== undefined), {
        message: 'give privateKey with auth "key", and only then',
        path: ['privateKey'],
      })
      .refine((i) => (i.auth === 'password') === (i.password !== undefined), {
        message: 'give password with auth "password", and only then',
        path: ['password'],
      }),
    output: HostRow,
    roles: HOST_OPERATORS,
    audited: true,
    mutates: true,
    target: (input) => `host ${input.name}`,
    action: { title: 'Add a GPU host…', palette: true, page: 'hosts' },
  }),
  procedure({
    id: 'hosts.run',
    summary: 'Run a command on hosts over SSH, in parallel; one result per host.',
    input: z
      .strictObject({
        ...HostSelection,
        command: z.string().min(1).max(4096),
        timeoutSeconds: z.number().int().min(1).max(3600).default(60),
        concurrency: z.number().int().min(1).max(256).default(32),
      })
      .refine(oneSelection, { message: 'give either hosts or labels', path: ['hosts'] }),
    output: z.object({ results: z.array(CommandResultRow) }),
    /** Output as it arrives, per host (the results still carry all of it). */
    events: z.object({ host: z.string(), stream: z.enum(['stdout', 'stderr']), data: z.string() }),
    roles: HOST_OPERATORS,
    audited: true,
    mutates: true,
    target: selectionTarget,
    auditResult: (output) =>
      output.results.map((r) => ({
        host: r.host,
        exitCode: r.exitCode,
        error: r.error,
        stdoutSha256: r.stdoutSha256,
      })),
  }),
  procedure({
    id: 'hosts.repin',
    summary:
      'Pin a host key again after it changed (host reinstalled), once its new fingerprint is confirmed.',
    input: z.strictObject({ name: HostName, fingerprint: Fingerprint }),
    output: z.object({ host: HostRow, previous: z.string().nullable() }),
    roles: ['admin'],
    audited: true,
    mutates: true,
    target: (input) => `host ${input.name}`,
    auditResult: (output) => ({ previous: output.previous, pinned: output.host.fingerprint }),
  }),
  procedure({
    id: 'hosts.discover',
    summary: "Read hosts' facts and GPUs (nvidia-smi) over SSH and store them.",
    input: z
      .strictObject({ ...HostSelection, concurrency: z.number().int().min(1).max(256).default(32) })
      .refine(oneSelection, { message: 'give either hosts or labels', path: ['hosts'] }),
    output: z.object({ results: z.array(DiscoveredHost) }),
    roles: HOST_OPERATORS,
    audited: true,
    mutates: true,
    target: (input) => (input.hosts ? `${input.hosts.length} hosts` : 'hosts by label'),
    auditResult: (output) =>
      output.results.map((r) => ({ host: r.host, gpus: r.gpus.length, error: r.error })),
  }),
  procedure({
    id: 'hosts.upload',
    summary:
      'Copy a workstation file to hosts over SFTP; each host hashes what landed and it must match (SHA-256) before it takes the target name.',
    input: z
      .strictObject({
        ...HostSelection,
        /** A file on the workstation (where the console core runs). */
        localPath: z.string().min(1).max(4096),
        /** Absolute path on each host; an existing file there is replaced only once the copy checked out. */
        remotePath: RemotePath,
        /** Permissions on the host, e.g. 0o644 (420); default: the host's umask. */
        mode: z.number().int().min(0).max(0o7777).optional(),
        concurrency: z.number().int().min(1).max(64).default(8),
      })
      .refine(oneSelection, { message: 'give either hosts or labels', path: ['hosts'] }),
    output: z.object({ sha256: z.string(), bytes: z.number().int(), results: z.array(TransferResultRow) }),
    events: TransferProgressEvent,
    roles: HOST_OPERATORS,
    audited: true,
    mutates: true,
    target: selectionTarget,
    auditResult: (output) => ({
      sha256: output.sha256,
      bytes: output.bytes,
      hosts: output.results.map((r) => ({ host: r.host, sha256: r.sha256, error: r.error })),
    }),
  }),
  procedure({
    id: 'hosts.download',
    summary:
      'Copy a file from a host to the workstation over SFTP, checked against the SHA-256 the host computes.',
    input: z.strictObject({
      host: HostName,
      remotePath: RemotePath,
      /** Where on the workstation; refused if it exists unless `overwrite`. */
      localPath: z.string().min(1).max(4096),
      overwrite: z.boolean().default(false),
    }),
    output: TransferResultRow,
    events: TransferProgressEvent,
    roles: HOST_OPERATORS,
    audited: true,
    mutates: true,
    target: (input) => `host ${input.host}`,
    auditResult: (output) => ({ sha256: output.sha256, bytes: output.bytes, error: output.error }),
  }),
] as const;
