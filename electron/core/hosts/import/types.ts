import { ConsoleError } from '../../../../shared/errors';

/** The kinds of file `enclave hosts import` understands, in the words error messages use. */
export type ImportFormat =
  | 'ssh_config'
  | 'known_hosts'
  | 'ansible-ini'
  | 'ansible-yaml'
  | 'lab-inventory'
  /** Not yet recognised: errors from reading the file before its kind is known. */
  | 'host-file';

export const FORMAT_LABEL: Record<ImportFormat, string> = {
  ssh_config: 'ssh_config',
  known_hosts: 'known_hosts',
  'ansible-ini': 'Ansible INI inventory',
  'ansible-yaml': 'Ansible YAML inventory',
  'lab-inventory': 'lab inventory',
  'host-file': 'host file',
};

/** A ProxyJump bastion: the host is reached through it. */
export interface JumpHost {
  address: string;
  port: number;
  user: string;
}

export interface ImportedHost {
  /** A DNS label; when the source name was not one, `notes` says what it was. */
  name: string;
  address: string;
  port: number;
  user: string;
  labels: Record<string, string>;
  /** Path of the private key as the source file names it; the caller reads it. */
  keyFile?: string;
  /** `SHA256:…` when the source (or known_hosts) vouches for the host key. */
  fingerprint?: string;
  jump?: JumpHost;
  /** Things the operator should know about this host's import. */
  notes: string[];
}

export interface SkippedEntry {
  name: string;
  reason: string;
}

export interface ImportPlan {
  hosts: ImportedHost[];
  skipped: SkippedEntry[];
}

export interface ImportOptions {
  /** Name of the file, for messages. */
  fileName?: string;
  /** The operator's home directory: a leading `~/` in key paths expands only when it is given. */
  homeDir?: string;
  /** The user ssh/Ansible would log in as when the file names none (the local user). */
  defaultUser?: string;
  /** known_hosts text whose keys give the imported hosts their fingerprints. */
  knownHosts?: string;
}

/**
 * A file that cannot be imported at all. It names the kind of file, the line where known and what
 * to do; it is a BAD_REQUEST so the dispatcher reports it like any other bad input.
 */
export class HostImportError extends ConsoleError {
  readonly format: ImportFormat;
  readonly line: number | undefined;
  constructor(format: ImportFormat, problem: string, hint: string, line?: number, fileName?: string) {
    const where = [fileName, line !== undefined ? `line ${line}` : undefined].filter(Boolean).join(' ');
    super('BAD_REQUEST', `${FORMAT_LABEL[format]}${where ? ` (${where})` : ''}: ${problem}`, { hint });
    this.name = 'HostImportError';
    this.format = format;
    this.line = line;
  }
}
