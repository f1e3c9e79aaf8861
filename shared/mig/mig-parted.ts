// nvidia-mig-parted config files (mig.md §7.1, schema `version: v1`) in and out, so a site that
// already keeps its MIG layouts there brings them unchanged and can take the console's back.
// Import applies mig-parted's own validation with its own messages (api/spec/v1/spec.go,
// pkg/types/mig_config.go, go-nvlib's profile parser), each prefixed with where it was found;
// export writes what `nvidia-mig-parted export` writes, and says what mig-parted cannot hold.
// Pure; shared with the renderer.
import { LineCounter, isMap, isScalar, parse, parseDocument } from 'yaml';
import type { Document } from 'yaml';
import { GPU_MODELS, findModel } from './catalog';
import type { GpuInstanceSpec, GpuModelKey, MigLayout, NamedLayout, NamedLayoutEntry } from './layout';
import { describeLayout } from './named-layouts';

// ---------------------------------------------------------------------------------------------
// Profile strings: `3g.40gb`, `1c.3g.40gb`, `1g.10gb+me`, `1g.24gb-me`, `1g.24gb+me.all`, `+gfx`.

/** A `mig-devices` key as mig-parted reads it: C compute slices of a G-slice GI of GB gigabytes. */
export interface MigPartedProfile {
  c: number;
  g: number;
  gb: number;
  /** `me`, `gfx`, `me.all`; after `-` when `negated` (`1g.24gb-me`). */
  attributes: string[];
  negated: boolean;
}

function splitN(s: string, sep: string, n: number): string[] {
  const parts = s.split(sep);
  return parts.length <= n ? parts : [...parts.slice(0, n - 1), parts.slice(n - 1).join(sep)];
}

function parseField(s: string, field: string): number | string {
  if (s.trim() !== s) return `leading or trailing spaces on '%d${field}'`;
  if (!s.endsWith(field)) return `missing '${field}' from '%d${field}'`;
  const digits = s.slice(0, s.length - field.length);
  if (!/^[+-]?\d+$/.test(digits)) return `malformed number in '%d${field}'`;
  return Number(digits);
}

function parseFields(s: string): { c: number; g: number; gb: number } | string {
  const split = splitN(s, '.', 3);
  const names = split.length === 3 ? ['c', 'g', 'gb'] : split.length === 2 ? ['g', 'gb'] : undefined;
  if (!names) return 'parsed wrong number of fields, expected 2 or 3';
  const values: number[] = [];
  for (const [i, name] of names.entries()) {
    const v = parseField(split[i] ?? '', name);
    if (typeof v === 'string') return v;
    values.push(v);
  }
  const [a = 0, b = 0, c = 0] = values;
  return split.length === 3 ? { c: a, g: b, gb: c } : { c: a, g: a, gb: b };
}

function parseAttributes(s: string): string[] | string {
  const attrs = s.split(',');
  const seen = new Set<string>();
  for (const a of attrs) {
    if (seen.has(a)) return 'non unique attribute in list';
    if (a === '') return 'empty attribute in list';
    if (a.trim() !== a) return 'leading or trailing spaces in attribute';
    if (/^[0-9]/.test(a)) return 'attribute begins with a number';
    if (a.startsWith('.') || a.endsWith('.')) return 'attribute begins/ends with a dot';
    if (!/^[A-Za-z0-9.]+$/.test(a)) return 'non alpha-numeric character or digit in attribute';
    seen.add(a);
  }
  return attrs;
}

/** Parses a `mig-devices` key as mig-parted does; a string is its error (after `invalid format for '<k>': `). */
export function parseMigPartedProfile(profile: string): MigPartedProfile | string {
  if (profile === '') return 'profile is the empty string';
  const plus = splitN(profile, '+', 2);
  const minus = splitN(profile, '-', 2);
  if (plus.length === 2 && minus.length === 2) return `profile '${profile}' contains both '+/-' attributes`;
  const split = plus.length === 1 ? minus : plus;
  const fields = parseFields(split[0] ?? '');
  if (typeof fields === 'string') return `cannot parse fields of '${profile}': ${fields}`;
  // Older mig-parted refused these outright; go-nvlib only fails when no GPU offers them.
  if (fields.c <= 0) return `unknown Compute Instance slice size: ${fields.c}`;
  if (fields.g <= 0) return `unknown GPU Instance slice size: ${fields.g}`;
  if (split.length === 1) return { ...fields, attributes: [], negated: false };
  const attributes = parseAttributes(split[1] ?? '');
  if (typeof attributes === 'string') return `cannot parse attributes of '${profile}': ${attributes}`;
  return { ...fields, attributes, negated: minus.length === 2 };
}

/** The GI profile a key names, as the catalogue spells it: `3g.40gb`, `1g.10gb+me`, `1g.24gb-me`. */
function giName(p: MigPartedProfile): string {
  const suffix = p.attributes.length > 0 ? `${p.negated ? '-' : '+'}${p.attributes.join(',')}` : '';
  return `${p.g}g.${p.gb}gb${suffix}`;
}

/** A GI profile name without its attributes: the name of its full-size CI. */
function baseName(profile: string): string {
  return profile.replace(/[+-].*$/, '');
}

/** Orders keys as Go's yaml encoder orders map keys: digit runs compare as numbers (1g.5gb < 1g.10gb). */
export function naturalCompare(a: string, b: string): number {
  const ta = a.match(/\d+|\D+/g) ?? [];
  const tb = b.match(/\d+|\D+/g) ?? [];
  for (let i = 0; i < Math.max(ta.length, tb.length); i++) {
    const x = ta[i];
    const y = tb[i];
    if (x === undefined) return -1;
    if (y === undefined) return 1;
    if (x === y) continue;
    if (/^\d/.test(x) && /^\d/.test(y)) return Number(x) - Number(y) || x.length - y.length;
    return x < y ? -1 : 1;
  }
  return 0;
}

/**
 * A `mig-devices` map as a layout: plain keys become GIs with their default full CI; CI-qualified
 * keys (`1c.3g.40gb: 3`) become GIs of that profile holding those CIs, packed into as few GIs as
 * hold them (largest CIs first). GIs come out ordered by profile name, so the result does not
 * depend on the order of the keys.
 */
export function layoutFromMigDevices(devices: readonly (readonly [MigPartedProfile, number])[]): MigLayout {
  const groups = new Map<string, { g: number; full: number; partial: { name: string; c: number }[] }>();
  for (const [p, count] of devices) {
    const name = giName(p);
    const group = groups.get(name) ?? { g: p.g, full: 0, partial: [] };
    if (p.c === p.g) group.full += count;
    else for (let i = 0; i < count; i++) group.partial.push({ name: `${p.c}c.${p.g}g.${p.gb}gb`, c: p.c });
    groups.set(name, group);
  }
  const gpuInstances: GpuInstanceSpec[] = [];
  for (const name of [...groups.keys()].sort(naturalCompare)) {
    const group = groups.get(name);
    if (!group) continue;
    for (let i = 0; i < group.full; i++) gpuInstances.push({ profile: name });
    const bins: { used: number; cis: string[] }[] = [];
    const partial = [...group.partial].sort((x, y) => y.c - x.c || naturalCompare(x.name, y.name));
    for (const ci of partial) {
      const bin = bins.find((b) => b.used + ci.c <= group.g);
      if (bin) {
        bin.used += ci.c;
        bin.cis.push(ci.name);
      } else bins.push({ used: ci.c, cis: [ci.name] });
    }
    for (const bin of bins) {
      gpuInstances.push({ profile: name, computeInstances: bin.cis.map((profile) => ({ profile })) });
    }
  }
  return { migEnabled: true, gpuInstances };
}

/** `0x20B010DE` (device << 16 | vendor, optional `:<subsystem>`) to the catalogue models it names. */
export function modelsForPciFilter(filters: readonly string[]): GpuModelKey[] {
  const keys: GpuModelKey[] = [];
  for (const filter of filters) {
    const m = /^0x([0-9a-f]{4})([0-9a-f]{4})(?::.*)?$/i.exec(filter.trim());
    if (!m || m[2]?.toLowerCase() !== '10de') continue;
    const device = `0x${(m[1] ?? '').toLowerCase()}`;
    for (const model of GPU_MODELS) {
      if (model.pciDeviceIds.includes(device) && !keys.includes(model.key)) keys.push(model.key);
    }
  }
  return keys;
}

/** A model's mig-parted device-filter IDs (`0x233010DE`). */
export function pciFilterForModel(modelKey: GpuModelKey): string[] {
  return (findModel(modelKey)?.pciDeviceIds ?? []).map((id) => `0x${id.slice(2).toUpperCase()}10DE`);
}

// ---------------------------------------------------------------------------------------------
// Import.

export type MigPartedParseResult = { ok: true; layouts: NamedLayout[] } | { ok: false; errors: string[] };

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function show(v: unknown): string {
  return typeof v === 'string' ? v : JSON.stringify(v);
}

class Locator {
  constructor(
    private readonly doc: Document,
    private readonly lines: LineCounter,
  ) {}

  private line(offset: number | undefined): number | undefined {
    return offset === undefined ? undefined : this.lines.linePos(offset).line;
  }

  /** Line of the node at a path. */
  at(path: (string | number)[]): number | undefined {
    const node = path.length === 0 ? this.doc.contents : this.doc.getIn(path, true);
    return this.line((node as { range?: [number, number, number] } | undefined)?.range?.[0]);
  }

  /** Line of a key in the map at a path. */
  key(path: (string | number)[], key: string): number | undefined {
    const node = path.length === 0 ? this.doc.contents : this.doc.getIn(path, true);
    if (!isMap(node)) return this.at(path);
    const pair = node.items.find((p) => isScalar(p.key) && String(p.key.value) === key);
    const range = isScalar(pair?.key) ? pair.key.range : undefined;
    return this.line(range?.[0]) ?? this.at(path);
  }
}

/** A message with where it was found in front: `line 7, config 'x', entry 1: <message>`. */
function located(message: string, line: number | undefined, ...parts: string[]): string {
  const prefix = [line === undefined ? undefined : `line ${line}`, ...parts].filter((p) => p !== undefined);
  return prefix.length > 0 ? `${prefix.join(', ')}: ${message}` : message;
}

/** The comment written above a config's name (config-default.yaml's `# A100-40GB, A800-40GB`). */
function configComments(doc: Document): Map<string, string> {
  const out = new Map<string, string>();
  const configs = doc.get('mig-configs', true);
  if (!isMap(configs)) return out;
  configs.items.forEach((pair, i) => {
    if (!isScalar(pair.key)) return;
    // Where the entries are not indented under the name (`  name:` / `  - devices: …`, as mig-parted
    // writes them), the YAML reader hangs a comment above the next name on the list before it.
    const before =
      i === 0
        ? configs.commentBefore
        : (configs.items[i - 1]?.value as { comment?: unknown } | null)?.comment;
    const text = [before, pair.key.commentBefore]
      .filter((c): c is string => typeof c === 'string')
      .join('\n')
      .split('\n')
      .map((l) => l.trim())
      .join('\n')
      .trim();
    out.set(String(pair.key.value), text);
  });
  return out;
}

function parseEntry(
  raw: unknown,
  path: (string | number)[],
  loc: Locator,
  at: string[],
): { entry: NamedLayoutEntry; errors: [] } | { entry?: undefined; errors: string[] } {
  const here = (line: number | undefined, message: string) => located(message, line, ...at);
  if (!isPlainObject(raw)) {
    return {
      errors: [here(loc.at(path), "expected a mapping with 'devices', 'mig-enabled' and 'mig-devices'")],
    };
  }
  const errors: string[] = [];
  for (const field of ['devices', 'mig-enabled']) {
    if (!(field in raw)) errors.push(here(loc.at(path), `missing required field: ${field}`));
  }
  let devices: 'all' | number[] = 'all';
  let filter: string[] | undefined;
  let enabled = false;
  let migDevices: [MigPartedProfile, number][] | null = null;
  let migDeviceKeys = 0;
  for (const [k, v] of Object.entries(raw)) {
    const line = loc.key(path, k);
    switch (k) {
      case 'device-filter':
        if (typeof v === 'string') filter = [v];
        else if (Array.isArray(v) && v.every((f) => typeof f === 'string')) filter = v;
        else if (typeof v === 'number' || (Array.isArray(v) && v.some((f) => typeof f === 'number'))) {
          const n = typeof v === 'number' ? v : (v as unknown[]).find((f) => typeof f === 'number');
          const id = `0x${Number(n).toString(16).toUpperCase().padStart(8, '0')}`;
          errors.push(
            here(
              line,
              `invalid value for 'device-filter': PCI IDs must be quoted ("${id}"); unquoted, YAML reads them as numbers`,
            ),
          );
        } else
          errors.push(
            here(line, `invalid value for 'device-filter': expected a string or a list of strings`),
          );
        break;
      case 'devices':
        if (typeof v === 'string') {
          if (v === 'all') devices = 'all';
          else errors.push(here(line, `invalid string input for 'devices': ${v}`));
        } else if (Array.isArray(v) && v.every((d) => Number.isInteger(d) && (d as number) >= 0)) {
          devices = v as number[];
        } else
          errors.push(here(line, `invalid value for 'devices': expected "all" or a list of GPU indices`));
        break;
      case 'mig-enabled':
        if (typeof v === 'boolean') enabled = v;
        else errors.push(here(line, `invalid value for 'mig-enabled': expected true or false`));
        break;
      case 'mig-devices': {
        if (v === null) break; // mig-parted reads `mig-devices:` with nothing after it as absent
        if (!isPlainObject(v)) {
          errors.push(
            here(line, `invalid value for 'mig-devices': expected a mapping of profile names to counts`),
          );
          break;
        }
        const parsed: [MigPartedProfile, number][] = [];
        let bad = false;
        for (const [key, count] of Object.entries(v)) {
          const keyLine = loc.key([...path, 'mig-devices'], key);
          const profile = parseMigPartedProfile(key);
          if (typeof profile === 'string') {
            errors.push(here(keyLine, `invalid format for '${key}': ${profile}`));
            bad = true;
          } else if (typeof count !== 'number' || !Number.isInteger(count) || count < 0) {
            errors.push(here(keyLine, `invalid count for '${key}': ${show(count)}`));
            bad = true;
          } else parsed.push([profile, count]);
        }
        if (!bad && parsed.length > 0 && parsed.every(([, n]) => n === 0)) {
          errors.push(here(line, 'all counts for all MigProfiles are 0'));
        }
        migDevices = parsed;
        migDeviceKeys = Object.keys(v).length;
        break;
      }
      default:
        errors.push(here(line, `unexpected field: ${k}`));
    }
  }
  if (errors.length > 0) return { errors };
  if (enabled && migDevices === null) {
    return {
      errors: [here(loc.at(path), "missing required field 'mig-devices' when 'mig-enabled' is true")],
    };
  }
  if (!enabled && migDeviceKeys > 0) {
    return {
      errors: [here(loc.key(path, 'mig-devices'), "MIG devices included when 'mig-enabled' is false")],
    };
  }
  const layout: MigLayout = enabled
    ? layoutFromMigDevices((migDevices ?? []).filter(([, n]) => n > 0))
    : { migEnabled: false, gpuInstances: [] };
  // An empty filter list filters nothing: the entry is kept as one without a filter.
  const filtered =
    filter && filter.length > 0 ? { models: modelsForPciFilter(filter), pciDeviceFilter: filter } : {};
  return { entry: { devices, ...filtered, layout }, errors: [] };
}

/**
 * Reads an nvidia-mig-parted config file into named layouts (source `mig-parted`), one per
 * `mig-configs` key in file order, its description the comment written above its name. Refuses
 * what mig-parted refuses, with mig-parted's messages (`missing required field: devices`, …)
 * prefixed by line, config and entry; a file that is not YAML fails with the line of the error.
 */
export function parseMigPartedConfig(text: string): MigPartedParseResult {
  const lines = new LineCounter();
  // YAML 1.1, as mig-parted's Go parser reads it (`mig-enabled: yes` is true there).
  const doc = parseDocument(text, { version: '1.1', lineCounter: lines, uniqueKeys: true });
  if (doc.errors.length > 0) {
    return {
      ok: false,
      errors: doc.errors.map((e) => {
        const message = (e.message.split('\n')[0] ?? '').replace(/ at line \d+, column \d+:?$/, '');
        const pos = e.linePos?.[0];
        return pos
          ? `YAML syntax error at line ${pos.line}, column ${pos.col}: ${message}`
          : `YAML syntax error: ${message}`;
      }),
    };
  }
  const loc = new Locator(doc, lines);
  const root: unknown = doc.toJS({ maxAliasCount: 1000 });
  if (root === null || root === undefined) {
    return { ok: false, errors: ["unable to parse with missing 'version' field"] };
  }
  if (!isPlainObject(root)) {
    return {
      ok: false,
      errors: [located(`expected a mapping with 'version' and 'mig-configs' at the top level`, loc.at([]))],
    };
  }
  if (!('version' in root)) return { ok: false, errors: ["unable to parse with missing 'version' field"] };
  if (root.version !== 'v1') {
    const shown = root.version === null ? '' : show(root.version);
    return { ok: false, errors: [located(`unknown version: ${shown}`, loc.key([], 'version'))] };
  }

  const errors: string[] = [];
  for (const k of Object.keys(root)) {
    if (k !== 'version' && k !== 'mig-configs')
      errors.push(located(`unexpected field: ${k}`, loc.key([], k)));
  }
  const configs = root['mig-configs'];
  const layouts: NamedLayout[] = [];
  if (
    configs === undefined ||
    configs === null ||
    (isPlainObject(configs) && Object.keys(configs).length === 0)
  ) {
    errors.push(located(`at least one entry in 'mig-configs' is required`, loc.key([], 'mig-configs')));
  } else if (!isPlainObject(configs)) {
    errors.push(
      located(
        `invalid value for 'mig-configs': expected a mapping of config names to lists of entries`,
        loc.key([], 'mig-configs'),
      ),
    );
  } else {
    const comments = configComments(doc);
    for (const [name, list] of Object.entries(configs)) {
      const line = loc.key(['mig-configs'], name);
      if (list === null || (Array.isArray(list) && list.length === 0)) {
        errors.push(located(`at least one entry in '${name}' is required`, line));
        continue;
      }
      if (!Array.isArray(list)) {
        errors.push(
          located(`invalid value for '${name}': expected a list of entries`, line, `config '${name}'`),
        );
        continue;
      }
      const entries: NamedLayoutEntry[] = [];
      list.forEach((raw: unknown, i) => {
        const result = parseEntry(raw, ['mig-configs', name, i], loc, [`config '${name}'`, `entry ${i + 1}`]);
        if (result.entry) entries.push(result.entry);
        else errors.push(...result.errors);
      });
      layouts.push({ name, description: comments.get(name) ?? '', source: 'mig-parted', entries });
    }
  }
  return errors.length > 0 ? { ok: false, errors } : { ok: true, layouts };
}

// ---------------------------------------------------------------------------------------------
// Export.

export interface MigPartedExport {
  /** The config file, as `nvidia-mig-parted export` formats it. */
  yaml: string;
  /** What mig-parted cannot hold and was dropped or changed (placements, CI grouping, …). */
  warnings: string[];
}

/** A YAML scalar: plain where Go's encoder and both YAML versions read it back as this string. */
function scalar(s: string): string {
  const plain =
    /^[A-Za-z0-9_][A-Za-z0-9_.+\-/]*$/.test(s) && parse(s, { version: '1.1' }) === s && parse(s) === s;
  return plain ? s : JSON.stringify(s);
}

/** A layout as mig-parted's counts, plus what it could not count. */
function migDevicesOf(layout: MigLayout): { counts: Map<string, number>; dropped: string[] } {
  const counts = new Map<string, number>();
  const dropped: string[] = [];
  const add = (key: string) => counts.set(key, (counts.get(key) ?? 0) + 1);
  for (const gi of layout.gpuInstances) {
    const parsed = parseMigPartedProfile(gi.profile);
    if (typeof parsed === 'string' || parsed.c !== parsed.g) {
      dropped.push(`${gi.profile} is not a GPU instance profile mig-parted can name`);
      continue;
    }
    const base = baseName(gi.profile);
    if (gi.computeInstances === undefined) {
      add(gi.profile);
      continue;
    }
    if (gi.computeInstances.length === 0) {
      dropped.push(`a ${gi.profile} GPU instance without compute instances (mig-parted always creates them)`);
      continue;
    }
    for (const ci of gi.computeInstances) {
      if (ci.profile === base) add(gi.profile);
      else if (new RegExp(`^\\d+c\\.${base.replace(/\./g, '\\.')}$`).test(ci.profile)) {
        add(`${ci.profile}${gi.profile.slice(base.length)}`);
      } else dropped.push(`compute instance ${ci.profile}, which does not belong in a ${gi.profile}`);
    }
  }
  return { counts, dropped };
}

/** GIs with their CIs, order-free, for telling whether mig-parted would build the same thing. */
function shape(layout: MigLayout): string {
  return layout.gpuInstances
    .map((gi) => {
      const cis = (gi.computeInstances ?? [{ profile: baseName(gi.profile) }]).map((c) => c.profile).sort();
      return `${gi.profile}[${cis.join(',')}]`;
    })
    .sort()
    .join(' ');
}

function exportEntry(entry: NamedLayoutEntry, at: string, warnings: string[]): string[] {
  let filter = entry.pciDeviceFilter;
  if (!filter && entry.models) {
    filter = [];
    for (const model of entry.models) {
      const ids = pciFilterForModel(model);
      if (ids.length === 0)
        warnings.push(`${at}: ${model} has no known PCI device ID, so mig-parted cannot be limited to it`);
      filter.push(...ids);
    }
    if (filter.length === 0) {
      warnings.push(`${at}: left out: it applies to no GPU mig-parted can select`);
      return [];
    }
  }
  const fields: string[] = [];
  if (filter) fields.push(`device-filter: [${filter.map((f) => JSON.stringify(f)).join(', ')}]`);
  fields.push(`devices: ${entry.devices === 'all' ? 'all' : `[${entry.devices.join(', ')}]`}`);
  fields.push(`mig-enabled: ${entry.layout.migEnabled}`);
  const layout = entry.layout;
  if (!layout.migEnabled) {
    if (layout.gpuInstances.length > 0)
      warnings.push(`${at}: MIG is off, so its GPU instances were left out`);
  } else {
    if (layout.gpuInstances.some((gi) => gi.start !== undefined)) {
      warnings.push(`${at}: placements dropped: mig-parted has none and places GPU instances itself`);
    }
    const { counts, dropped } = migDevicesOf(layout);
    for (const d of dropped) warnings.push(`${at}: left out ${d}`);
    const keys = [...counts.keys()].sort(naturalCompare);
    const again = layoutFromMigDevices(
      keys.map((k) => [parseMigPartedProfile(k) as MigPartedProfile, counts.get(k) ?? 0] as const),
    );
    const expressible: MigLayout = {
      migEnabled: true,
      gpuInstances: layout.gpuInstances.filter((gi) => {
        const p = parseMigPartedProfile(gi.profile);
        return typeof p !== 'string' && p.c === p.g && gi.computeInstances?.length !== 0;
      }),
    };
    if (dropped.length === 0 && shape(again) !== shape(expressible)) {
      warnings.push(
        `${at}: mig-parted only counts compute instances, so it will group them as ${describeLayout(again)} rather than ${describeLayout(layout)}`,
      );
    }
    if (keys.length === 0) fields.push('mig-devices: {}');
    else fields.push('mig-devices:', ...keys.map((k) => `  ${scalar(k)}: ${counts.get(k) ?? 0}`));
  }
  return fields.map((f, i) => (i === 0 ? `  - ${f}` : `    ${f}`));
}

/**
 * Named layouts as an nvidia-mig-parted config file (mig.md §7.3's format: `version: v1`,
 * `mig-configs:`, entries with device-filter, devices, mig-enabled and mig-devices counts in
 * mig-parted's field order, `mig-devices: {}` for MIG on without GIs, none when MIG is off;
 * configs apart by a blank line). A layout's description becomes the comment above its name.
 * Placements, GIs without CIs and CI groupings mig-parted would rebuild differently cannot be
 * written; `warnings` says where. For a GPU set's current state, the caller makes it a layout.
 */
export function exportMigPartedConfig(layouts: readonly NamedLayout[]): MigPartedExport {
  const warnings: string[] = [];
  const body: string[] = [];
  for (const named of layouts) {
    const entries = named.entries.flatMap((entry, i) =>
      exportEntry(entry, `${named.name}, entry ${i + 1}`, warnings),
    );
    if (entries.length === 0) {
      warnings.push(`${named.name}: left out: mig-parted needs at least one entry`);
      continue;
    }
    // A blank line between configs, as config-default.yaml has.
    if (body.length > 0) body.push('');
    const comment = named.description.trim();
    if (comment) body.push(...comment.split('\n').map((l) => `  #${l.trim() ? ` ${l.trim()}` : ''}`));
    body.push(`  ${scalar(named.name)}:`, ...entries);
  }
  if (body.length === 0) {
    warnings.push('nothing to export: mig-parted refuses a file without configs');
    return { yaml: 'version: v1\nmig-configs: {}\n', warnings };
  }
  return { yaml: ['version: v1', 'mig-configs:', ...body].join('\n') + '\n', warnings };
}
