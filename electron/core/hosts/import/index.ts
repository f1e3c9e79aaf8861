// Host importers: file text in, a plan of hosts out (no I/O; the caller reads the files and
// adds the hosts). `importHosts` recognises the kind of file when it is not given.
import { importAnsibleIni, importAnsibleYaml } from './ansible';
import { readImportText } from './common';
import { importLabInventory } from './lab-inventory';
import { importSshConfig } from './ssh-config';
import { HostImportError, type ImportFormat, type ImportOptions, type ImportPlan } from './types';

export { importAnsibleIni, importAnsibleYaml, expandHostRange } from './ansible';
export { importLabInventory } from './lab-inventory';
export { importSshConfig } from './ssh-config';
export { hashKnownHostName, lookupHostKeys, parseKnownHosts } from './known-hosts';
export { MAX_IMPORT_BYTES, MAX_YAML_ALIASES } from './common';
export * from './types';

/** Keywords that open an ssh_config; Ansible INI and YAML never start with them. */
const SSH_CONFIG_START =
  /^(host|match|include|hostname|user|port|identityfile|proxyjump|proxycommand)(\s|=)/i;

/** The kind of host file, from its name and its first meaningful line (no I/O). */
export function detectImportFormat(
  text: string,
  fileName = '',
): Exclude<ImportFormat, 'known_hosts' | 'host-file'> {
  const base = fileName.split(/[\\/]/).pop()?.toLowerCase() ?? '';
  if (base === 'ssh_config' || base === 'config' || base.endsWith('.ssh_config')) return 'ssh_config';
  const first = text
    .split(/\r?\n/)
    .map((l) => l.trim())
    .find((l) => l && !l.startsWith('#') && !l.startsWith(';'));
  if (first === undefined) {
    throw new HostImportError(
      'host-file',
      'the file is empty',
      'Pass an ssh_config, an Ansible inventory (INI or YAML) or the lab inventory.yaml.',
      undefined,
      fileName || undefined,
    );
  }
  if (SSH_CONFIG_START.test(first)) return 'ssh_config';
  if (first.startsWith('[')) return 'ansible-ini';
  if (/^[\w.-]+:\s*(#.*)?$/.test(first) || first === '---') {
    return /^lab:\s*$/m.test(text) && /^hosts:\s*$/m.test(text) ? 'lab-inventory' : 'ansible-yaml';
  }
  if (/\.ya?ml$/.test(base)) return 'ansible-yaml';
  return 'ansible-ini';
}

export interface ImportHostsOptions extends ImportOptions {
  /** The kind of file; recognised from the text when omitted. */
  format?: Exclude<ImportFormat, 'known_hosts' | 'host-file'>;
}

/** Turns a host file into a plan: the hosts to add and what was skipped, with reasons. */
export function importHosts(input: string | Uint8Array, options: ImportHostsOptions = {}): ImportPlan {
  const text = readImportText(input, options.format ?? 'host-file', options.fileName);
  const format = options.format ?? detectImportFormat(text, options.fileName);
  switch (format) {
    case 'ssh_config':
      return importSshConfig(text, options);
    case 'ansible-ini':
      return importAnsibleIni(text, options);
    case 'ansible-yaml':
      return importAnsibleYaml(text, options);
    case 'lab-inventory':
      return importLabInventory(text, options);
  }
}
