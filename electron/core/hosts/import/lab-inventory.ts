// The simulated site's inventory.yaml (written by `enclave lab up`, test/lab/site): each host
// already carries its address, login, operator key and pinned host-key fingerprint.
import { fingerprint as fingerprintOf } from '../host-key';
import { finishPlan, parsePort, parseYamlSafely, readImportText } from './common';
import type { DraftHost } from './common';
import { HostImportError, type ImportOptions, type ImportPlan, type SkippedEntry } from './types';

const isMap = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/** Whether parsed YAML has the lab inventory's shape (`lab:` and a `hosts:` list). */
export function looksLikeLabInventory(data: unknown): boolean {
  return isMap(data) && isMap(data.lab) && Array.isArray(data.hosts);
}

/** The fingerprint of an OpenSSH public key line (`type base64 [comment]`), or undefined. */
function fingerprintOfKeyLine(line: string): string | undefined {
  const b64 = line.trim().split(/\s+/)[1];
  if (!b64 || !/^[A-Za-z0-9+/]+={0,2}$/.test(b64)) return undefined;
  return fingerprintOf(Buffer.from(b64, 'base64'));
}

export function importLabInventory(input: string | Uint8Array, options: ImportOptions = {}): ImportPlan {
  const text = readImportText(input, 'lab-inventory', options.fileName);
  const data = parseYamlSafely(text, 'lab-inventory', options.fileName);
  if (!looksLikeLabInventory(data)) {
    throw new HostImportError(
      'lab-inventory',
      'not a lab inventory: it needs "lab:" and a "hosts:" list',
      'Pass the inventory.yaml from the lab state directory (`enclave lab up` prints its path).',
      undefined,
      options.fileName,
    );
  }
  const hosts = (data as { hosts: unknown[] }).hosts;
  if (hosts.length === 0) {
    throw new HostImportError(
      'lab-inventory',
      'no hosts: the "hosts:" list is empty',
      'Start the lab with `enclave lab up --hosts N`, then import its inventory.yaml.',
      undefined,
      options.fileName,
    );
  }
  const skipped: SkippedEntry[] = [];
  const drafts: DraftHost[] = [];
  hosts.forEach((entry, i) => {
    const ref = `hosts[${i}]`;
    if (!isMap(entry)) {
      skipped.push({ name: ref, reason: 'not a mapping of name, address, port, user…' });
      return;
    }
    const str = (k: string) => (typeof entry[k] === 'string' ? (entry[k] as string) : undefined);
    const name = str('name');
    if (!name) {
      skipped.push({ name: ref, reason: 'has no name' });
      return;
    }
    const skip = (reason: string) => skipped.push({ name, reason });
    const draft: DraftHost = { sourceName: name, labels: {}, notes: [] };
    const address = str('address');
    if (address) draft.address = address;
    if (entry.port !== undefined) {
      const port =
        typeof entry.port === 'number' || typeof entry.port === 'string'
          ? parsePort(entry.port)
          : 'port is not a number';
      if (typeof port === 'string') {
        skip(port);
        return;
      }
      draft.port = port;
    }
    const user = str('user');
    if (user) draft.user = user;
    const keyFile = str('keyFile');
    if (keyFile) draft.keyFile = keyFile;
    const fp = str('fingerprint');
    const hostKey = str('hostKey');
    if (fp && hostKey && fingerprintOfKeyLine(hostKey) !== fp) {
      skip(
        `its fingerprint ${fp} is not the one of its hostKey; the file was edited or is corrupt — run lab up again`,
      );
      return;
    }
    if (fp) draft.fingerprint = fp;
    else if (hostKey) {
      const derived = fingerprintOfKeyLine(hostKey);
      if (derived) draft.fingerprint = derived;
    }
    if (entry.labels !== undefined && entry.labels !== null) {
      if (!isMap(entry.labels)) {
        skip('labels is not a mapping');
        return;
      }
      for (const [k, v] of Object.entries(entry.labels)) {
        if (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean')
          draft.labels[k] = String(v);
        else draft.notes.push(`label ${k} is not a plain value; left out`);
      }
    }
    drafts.push(draft);
  });
  return finishPlan(drafts, skipped, options);
}
