import { createHash } from 'node:crypto';
import { mkdir, open, readFile, rename, rm } from 'node:fs/promises';
import path from 'node:path';
import { ConsoleError } from '../../../shared/errors';
import { allowedSignersLine, sshsigSign } from '../../../offline-bundles/sshsig';
import { freeSpace, readBackSha256, type ReadBackMethod } from '../media';
import type { Db } from '../store';
import {
  b64lines,
  EXPORT_FORMAT,
  FILES,
  PARTIAL_SUFFIX,
  recordingFile,
  recordingOf,
  SSHSIG_NAMESPACE,
  type ExportMeta,
} from './export-format';
import type { Ledger } from './ledger';
import { verifyNote } from './note';
import type { LedgerSigner } from './signer';

export interface ExportProgress {
  phase: 'writing' | 'syncing' | 'reading back' | 'done';
  bytes: number;
  totalBytes: number;
}

export interface ExportResult {
  folder: string;
  from: number;
  to: number;
  bytes: number;
  files: string[];
  readBack: ReadBackMethod;
  checkpoint: string;
}

interface LastExport {
  size: number;
  note: string;
}

export function lastExport(db: Db): LastExport | undefined {
  const v = db.prepare("SELECT value FROM meta WHERE key = 'ledger.last_export'").pluck().get() as
    string | undefined;
  return v ? (JSON.parse(v) as LastExport) : undefined;
}

const HOW_TO_VERIFY = (m: ExportMeta, principal: string) => `Enclave Console audit export
============================

Workstation ${m.workstation}, ledger ${m.origin}
Entries ${m.from} to ${m.to - 1} (tree size ${m.to}), exported ${m.created}.

To verify on any machine with the Enclave Console command line:

    enclave audit verify-export <this folder> --key "$(cat ledger-key.pub)" [--previous <previous checkpoint file>]

Take the key from a source you trust (the workstation's Settings page, or an
earlier export you already verified), not only from this folder. With
--previous, give the checkpoint file of the export you verified last: this
export must extend it.

Without the console, with OpenSSH and coreutils only (checks that the files
are the ones the workstation signed, not the tree):

    ssh-keygen -Y verify -f allowed_signers -I ${principal} -n ${SSHSIG_NAMESPACE} -s MANIFEST.sig < MANIFEST
    sha256sum -c MANIFEST

The formats are specified in docs/audit-format.md of Enclave Console, precisely
enough to write an independent verifier.
`;

/**
 * Writes an export folder to `targetDir` (a removable medium or any folder):
 * into NAME.partial, every file and the folder fsync'd, each file read back
 * from the medium and re-hashed, and only then renamed to NAME. A failure at
 * any point leaves no folder that verification would accept.
 */
export async function exportLedger(
  deps: {
    db: Db;
    ledger: Ledger;
    signer: LedgerSigner;
    workstationId: string;
    version: string;
    now: () => Date;
    /** Where terminal recordings are kept (`<dataDir>/recordings`); they travel with their entries. */
    recordingsDir?: string;
  },
  options: {
    targetDir: string;
    full: boolean;
    onProgress?: (p: ExportProgress) => void;
    signal?: AbortSignal;
  },
): Promise<ExportResult> {
  const { db, ledger, signer } = deps;
  const previous = options.full ? undefined : lastExport(db);
  const signed = ledger.signNow({ retain: true, timestamp: true });
  if (!signed)
    throw new ConsoleError('FAILED', 'the ledger key is locked', { hint: 'sign in with a passphrase first' });
  const from = previous?.size ?? 0;
  const to = signed.size;
  const entryBytes = estimateBytes(db, from, to);
  const space = freeSpace(options.targetDir);
  if (space.freeBytes < entryBytes) {
    throw new ConsoleError(
      'FAILED',
      `not enough space on ${options.targetDir}: the export needs ${entryBytes} bytes, ${space.freeBytes} are free`,
      {
        hint: 'use a larger medium, or export only what is new since the last export (without --full)',
      },
    );
  }

  const created = deps.now();
  const stamp = created
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d+Z$/, 'Z');
  const name = `enclave-audit-${deps.workstationId.slice(0, 8)}-${from}-${to}-${stamp}`;
  const final = path.join(options.targetDir, name);
  const partial = final + PARTIAL_SUFFIX;
  const meta: ExportMeta = {
    format: EXPORT_FORMAT,
    workstation: deps.workstationId,
    origin: signer.name,
    from,
    to,
    created: created.toISOString(),
    consoleVersion: deps.version,
  };
  const principal = `enclave-audit@${deps.workstationId}`;
  const hashes = new Map<string, string>();
  let written = 0;
  const progress = (phase: ExportProgress['phase']) =>
    options.onProgress?.({ phase, bytes: written, totalBytes: entryBytes });

  async function writeSmall(file: string, content: string): Promise<void> {
    const handle = await open(path.join(partial, file), 'wx', 0o644);
    try {
      await handle.writeFile(content, 'utf8');
      await handle.sync();
    } finally {
      await handle.close();
    }
    hashes.set(file, createHash('sha256').update(content, 'utf8').digest('hex'));
    written += Buffer.byteLength(content);
  }

  try {
    await mkdir(partial, { mode: 0o755 });
    // Entries, in 4 MiB writes; the next page is read from SQLite while the last write is in flight.
    const handle = await open(path.join(partial, FILES.entries), 'wx', 0o644);
    const hash = createHash('sha256');
    try {
      const page = db
        .prepare('SELECT entry FROM ledger_entries WHERE idx >= ? AND idx < ? ORDER BY idx LIMIT ?')
        .pluck();
      let inFlight: Promise<unknown> = Promise.resolve();
      for (let next = from; next < to;) {
        const rows = page.all(next, to, 8192) as Buffer[];
        if (rows.length === 0) throw new Error(`entries from ${next} are missing from the ledger`);
        next += rows.length;
        const parts: Buffer[] = [];
        for (const entry of rows) parts.push(entry, NEWLINE);
        const data = Buffer.concat(parts);
        hash.update(data);
        await inFlight;
        if (options.signal?.aborted) throw new ConsoleError('CANCELLED', 'the export was cancelled');
        inFlight = handle.write(data).then(() => {
          written += data.length;
          progress('writing');
        });
      }
      await inFlight;
      progress('syncing');
      await handle.sync();
    } finally {
      await handle.close();
    }
    hashes.set(FILES.entries, hash.digest('hex'));

    await writeSmall(FILES.meta, `${JSON.stringify(meta, null, 2)}\n`);
    await writeSmall(FILES.checkpoint, signed.note);
    if (previous && from > 0) {
      verifyNote(previous.note, { name: signer.name, publicKey: signer.publicKey });
      await writeSmall(FILES.previous, previous.note);
      await writeSmall(FILES.frontier, b64lines(ledger.tree.frontier(from).map((f) => f.hash)));
      await writeSmall(FILES.consistency, b64lines(ledger.consistencyProof(from, to)));
    }
    // Terminal recordings vouched for by entries in this export, checked against the digest the ledger holds.
    if (deps.recordingsDir) {
      const opened = db
        .prepare(
          "SELECT entry FROM ledger_entries WHERE idx >= ? AND idx < ? AND procedure IN ('terminals.open', 'terminals.recovered') AND outcome = 'ok'",
        )
        .pluck()
        .all(from, to) as Buffer[];
      for (const bytes of opened) {
        const rec = recordingOf(JSON.parse(bytes.toString('utf8')) as object);
        if (!rec) continue;
        const content = await readFile(path.join(deps.recordingsDir, `${rec.id}.cast.gz`)).catch(
          () => undefined,
        );
        if (!content) {
          throw new ConsoleError(
            'FAILED',
            `the recording ${rec.id} named in the ledger is missing from this workstation`,
          );
        }
        const sha = createHash('sha256').update(content).digest('hex');
        if (sha !== rec.sha256) {
          throw new ConsoleError(
            'FAILED',
            `the recording ${rec.id} no longer matches the digest in the ledger`,
            {
              hint: 'it was changed after the session ended; run enclave audit verify and report it',
            },
          );
        }
        const name = recordingFile(rec.id);
        const handle = await open(path.join(partial, name), 'wx', 0o644);
        try {
          await handle.writeFile(content);
          await handle.sync();
        } finally {
          await handle.close();
        }
        hashes.set(name, sha);
        written += content.length;
      }
    }
    await writeSmall(FILES.key, `${signer.verifierKey}\n`);
    await writeSmall(
      FILES.allowedSigners,
      `${allowedSignersLine(principal, SSHSIG_NAMESPACE, signer.publicKey)}\n`,
    );
    await writeSmall(FILES.howTo, HOW_TO_VERIFY(meta, principal));
    const manifest = [...hashes].map(([file, sha]) => `${sha}  ${file}\n`).join('');
    await writeSmall(FILES.manifest, manifest);
    await writeSmall(
      FILES.manifestSig,
      sshsigSign(Buffer.from(manifest), SSHSIG_NAMESPACE, signer.privateKey, signer.publicKey),
    );
    await syncDir(partial);

    // Read every file back from the medium and compare.
    progress('reading back');
    let method: ReadBackMethod = 'direct-io';
    for (const [file, sha] of hashes) {
      const back = await readBackSha256(path.join(partial, file));
      if (back.method === 'cache-dropped') method = 'cache-dropped';
      if (back.sha256 !== sha) {
        throw new ConsoleError(
          'FAILED',
          `${file} reads back differently from what was written: the medium is faulty`,
          {
            hint: 'use another medium',
          },
        );
      }
    }
    await rename(partial, final);
    await syncDir(options.targetDir);
    db.prepare(
      `INSERT INTO meta (key, value) VALUES ('ledger.last_export', ?)
       ON CONFLICT (key) DO UPDATE SET value = excluded.value`,
    ).run(JSON.stringify({ size: to, note: signed.note } satisfies LastExport));
    progress('done');
    return {
      folder: final,
      from,
      to,
      bytes: written,
      files: [...hashes.keys()].sort(),
      readBack: method,
      checkpoint: signed.note,
    };
  } catch (error) {
    // Leave nothing that could pass for an export; if the medium is gone, the ".partial" name says it all.
    await rm(partial, { recursive: true, force: true }).catch(() => undefined);
    if (error instanceof ConsoleError) throw error;
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOSPC') {
      throw new ConsoleError(
        'FAILED',
        `the medium at ${options.targetDir} is full; the export was not completed`,
        {
          hint: 'nothing usable was left on it; free space or use a larger medium and export again',
        },
      );
    }
    throw new ConsoleError(
      'FAILED',
      `the export to ${options.targetDir} failed: ${(error as Error).message}`,
      {
        hint: 'check that the medium is still mounted and writable, then export again',
      },
    );
  }
}

const NEWLINE = Buffer.from('\n');

/**
 * The export's size, from the mean length of up to 256 entries spread over the range
 * (reading every length would cost a tenth of the export's time), with a margin.
 * An underestimate is still safe: a full medium fails the export cleanly.
 */
function estimateBytes(db: Db, from: number, to: number): number {
  const count = to - from;
  if (count === 0) return 64 * 1024;
  const length = db.prepare('SELECT length(entry) FROM ledger_entries WHERE idx = ?').pluck();
  const samples = Math.min(256, count);
  let total = 0;
  for (let k = 0; k < samples; k++)
    total += (length.get(from + Math.floor((k * count) / samples)) as number) ?? 0;
  return Math.ceil(count * (total / samples + 1) * 1.1) + 64 * 1024;
}

async function syncDir(dir: string): Promise<void> {
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}
