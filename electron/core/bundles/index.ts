import { readdirSync, readFileSync, statSync, type Dirent } from 'node:fs';
import path from 'node:path';
import type { z } from 'zod';
import type { BundleRow, FoundBundle, StagedBundle } from '../../../shared/api';
import { ConsoleError } from '../../../shared/errors';
import { detectRemovableMedia } from '../media';
import type { Db } from '../store';
import { isPartsIndex } from './source';
import { compareVersions } from '../../../offline-bundles/manifest';

export * from './trust';

/** Offline bundles installed on this workstation (and where they went). */
export function listBundles(db: Db): z.infer<typeof BundleRow>[] {
  const rows = db
    .prepare(
      'SELECT name, kind, version, sha256, installed_at AS installedAt, installed_by AS installedBy, targets FROM bundles ORDER BY name, version',
    )
    .all() as (Omit<z.infer<typeof BundleRow>, 'targets'> & { targets: string })[];
  return rows.map((r) => ({ ...r, targets: JSON.parse(r.targets) as string[] }));
}

export function countBundles(db: Db): number {
  return (db.prepare('SELECT count(*) AS n FROM bundles').get() as { n: number }).n;
}

/** The newest version of a bundle name installed here, for rollback protection. */
export function installedVersion(db: Db, name: string): string | undefined {
  const versions = (
    db.prepare('SELECT version FROM bundles WHERE name = ?').all(name) as { version: string }[]
  ).map((r) => r.version);
  return versions.sort(compareVersions).at(-1);
}

/** Records an install; installing the same version again (to more targets) adds the targets. */
export function recordInstall(
  db: Db,
  row: {
    name: string;
    kind: string;
    version: string;
    sha256: string;
    installedBy: string;
    targets: string[];
  },
  now: Date,
): void {
  db.transaction(() => {
    const old = db
      .prepare('SELECT targets FROM bundles WHERE name = ? AND version = ?')
      .get(row.name, row.version) as { targets: string } | undefined;
    const targets = [...new Set([...(old ? (JSON.parse(old.targets) as string[]) : []), ...row.targets])];
    db.prepare(
      `INSERT INTO bundles (name, kind, version, sha256, installed_at, installed_by, targets)
       VALUES (?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (name, version) DO UPDATE SET installed_at = excluded.installed_at,
         installed_by = excluded.installed_by, targets = excluded.targets, sha256 = excluded.sha256`,
    ).run(
      row.name,
      row.kind,
      row.version,
      row.sha256,
      now.toISOString(),
      row.installedBy,
      JSON.stringify(targets),
    );
  })();
}

/** Bundle files: `*.tar`, `*.tar.gz`, and split bundles by their parts index (`*.parts.json`). */
const isBundleFile = (name: string) => /\.(tar|tar\.gz|parts\.json)$/.test(name) && !name.startsWith('.');

/** Bundle files in a folder and its sub-folders, two levels deep; hidden entries skipped. */
export function findBundleFiles(root: string, medium: string | null, depth = 2): FoundBundle[] {
  const out: FoundBundle[] = [];
  const visit = (dir: string, level: number) => {
    let entries: Dirent[];
    try {
      entries = readdirSync(dir, { withFileTypes: true });
    } catch {
      return; // unreadable sub-folder: nothing there for us
    }
    for (const e of entries) {
      if (e.name.startsWith('.')) continue;
      const full = path.join(dir, e.name);
      if (e.isDirectory() && level < depth) visit(full, level + 1);
      else if (e.isFile() && isBundleFile(e.name)) {
        const s = statSync(full);
        let size = s.size;
        if (isPartsIndex(e.name)) {
          try {
            size = (JSON.parse(readFileSync(full, 'utf8')) as { bytes?: number }).bytes ?? s.size;
          } catch {
            size = s.size; // verification says what is wrong with it
          }
        }
        out.push({ path: full, size, medium, modifiedAt: s.mtime.toISOString() });
      }
    }
  };
  visit(root, 0);
  return out.sort((a, b) => a.path.localeCompare(b.path));
}

/** Bundles on inserted removable media, or in the folder given (a test, a copy on disk). */
export async function scanForBundles(folder: string | undefined) {
  const media = await detectRemovableMedia().catch(() => []);
  const bundles: FoundBundle[] = [];
  if (folder) {
    if (!statSync(folder, { throwIfNoEntry: false })?.isDirectory()) {
      throw new ConsoleError('NOT_FOUND', `there is no folder ${folder}`, {
        hint: 'mount the medium first, or give an existing folder',
      });
    }
    const medium = media.find((m) => folder === m.mountPoint || folder.startsWith(`${m.mountPoint}/`));
    bundles.push(...findBundleFiles(folder, medium?.mountPoint ?? null));
  } else {
    for (const m of media) bundles.push(...findBundleFiles(m.mountPoint, m.mountPoint));
  }
  return {
    media: media.map((m) => ({ mountPoint: m.mountPoint, device: m.device, label: m.label })),
    bundles,
  };
}

interface StagedRecord {
  manifest_sha256: string;
  name: string;
  kind: string;
  version: string;
  source: string;
  bytes: number;
  staged_by: string;
  staged_at: string;
}

/** Where verified copies live: `<data dir>/bundles/staged/<manifest sha256>/`. */
export const stagingRoot = (dataDir: string) => path.join(dataDir, 'bundles', 'staged');

export function listStaged(db: Db, dataDir: string): StagedBundle[] {
  return (db.prepare('SELECT * FROM bundle_staged ORDER BY staged_at DESC').all() as StagedRecord[]).map(
    (r) => ({
      manifestSha256: r.manifest_sha256,
      name: r.name,
      kind: r.kind,
      version: r.version,
      source: r.source,
      stagedAt: r.staged_at,
      stagedBy: r.staged_by,
      directory: path.join(stagingRoot(dataDir), r.manifest_sha256),
      bytes: r.bytes,
    }),
  );
}
