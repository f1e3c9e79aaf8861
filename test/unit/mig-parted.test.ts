// nvidia-mig-parted config import/export (shared/mig/mig-parted.ts) against mig.md §7: the standard
// config-default.yaml shape imports cleanly and agrees with the built-ins, every validation rule of
// §7.1 answers with mig-parted's message and the line, device filters map to catalogue models,
// CI-qualified keys pack into GIs, export is byte-exact and import → export → import is stable.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { GPU_MODELS, findModel, giProfileByName } from '../../shared/mig/catalog';
import type { MigLayout, NamedLayout, NamedLayoutEntry } from '../../shared/mig/layout';
import {
  exportMigPartedConfig,
  modelsForPciFilter,
  naturalCompare,
  parseMigPartedConfig,
  parseMigPartedProfile,
} from '../../shared/mig/mig-parted';
import { builtinLayouts, describeLayout, resolveLayout } from '../../shared/mig/named-layouts';
import { validateLayout } from '../../shared/mig/validate';

const FIXTURES = path.resolve(import.meta.dirname, '../fixtures/mig-parted');
const fixture = (name: string) => readFileSync(path.join(FIXTURES, name), 'utf8');

function imported(text: string): NamedLayout[] {
  const r = parseMigPartedConfig(text);
  if (!r.ok) throw new Error(`expected a clean import, got:\n${r.errors.join('\n')}`);
  return r.layouts;
}
function errorsOf(text: string): string[] {
  const r = parseMigPartedConfig(text);
  if (r.ok) throw new Error('expected the import to fail');
  return r.errors;
}
function byName(layouts: NamedLayout[], name: string): NamedLayout {
  const l = layouts.find((x) => x.name === name);
  if (!l) throw new Error(`no config ${name}`);
  return l;
}
/** A config file with one config of the given entries (YAML text, indented as list items). */
function config(entries: string, name = 'site'): string {
  return `version: v1\nmig-configs:\n  ${name}:\n${entries}`;
}
function layoutOf(entries: string): MigLayout {
  const entry = imported(config(entries))[0]?.entries[0];
  if (!entry) throw new Error('no entry');
  return entry.layout;
}
const profiles = (l: MigLayout) => l.gpuInstances.map((gi) => gi.profile);

describe('the standard config-default.yaml (mig.md §7.2)', () => {
  const layouts = imported(fixture('config-default.yaml'));

  it('imports every config, in file order, with the comment above it as description', () => {
    expect(layouts).toHaveLength(45);
    expect(layouts.slice(0, 3).map((l) => l.name)).toEqual(['all-disabled', 'all-enabled', 'all-1g.5gb']);
    expect(layouts.every((l) => l.source === 'mig-parted')).toBe(true);
    expect(byName(layouts, 'all-1g.5gb').description).toBe('A100-40GB, A800-40GB');
    expect(byName(layouts, 'all-1g.5gb.me').description).toBe('');
    expect(byName(layouts, 'all-disabled').entries).toEqual([
      { devices: 'all', layout: { migEnabled: false, gpuInstances: [] } },
    ]);
    expect(byName(layouts, 'all-enabled').entries).toEqual([
      { devices: 'all', layout: { migEnabled: true, gpuInstances: [] } },
    ]);
  });

  it('maps device filters to catalogue models and keeps the raw IDs', () => {
    const oneTen = byName(layouts, 'all-1g.10gb').entries;
    expect(oneTen.map((e) => e.models)).toEqual([
      ['H100-80GB-SXM5', 'H100-80GB-PCIe', 'A100-80GB'],
      ['A100-40GB'],
    ]);
    expect(oneTen[1]?.pciDeviceFilter).toEqual(['0x20B010DE', '0x20B110DE', '0x20F110DE', '0x20F610DE']);
    expect(oneTen.map((e) => e.layout.gpuInstances.length)).toEqual([7, 4]);

    const balanced = byName(layouts, 'all-balanced').entries;
    // GB200 is not catalogued: its filter is kept and matches no catalogued GPU.
    expect(balanced[0]).toMatchObject({ models: [], pciDeviceFilter: ['0x294110DE'] });
    // A single string filter (A30) is read as a list of one.
    expect(balanced.find((e) => e.pciDeviceFilter?.[0] === '0x20B710DE')).toMatchObject({
      models: ['A30-24GB'],
      pciDeviceFilter: ['0x20B710DE'],
    });
    // The 96GB group: three IDs the catalogue gives GH200-96GB, plus H20's, which it does not know.
    expect(balanced.at(-1)).toMatchObject({
      models: ['GH200-96GB'],
      pciDeviceFilter: ['0x234210DE', '0x233D10DE', '0x20B610DE', '0x232910DE'],
    });
  });

  it('gives every catalogued GPU a layout that validates, for every config naming its profiles', () => {
    for (const l of layouts) {
      for (const entry of l.entries) {
        const targets = entry.models
          ? entry.models.map((k) => findModel(k))
          : GPU_MODELS.filter((m) => entry.layout.gpuInstances.every((gi) => giProfileByName(m, gi.profile)));
        if (entry.layout.gpuInstances.length > 0 && !entry.pciDeviceFilter) {
          expect(targets.length, l.name).toBeGreaterThan(0);
        }
        for (const m of targets) {
          if (!m) throw new Error('unknown model');
          const v = validateLayout(m, entry.layout);
          expect(v.ok ? [] : v.problems.map((p) => p.message), `${l.name} on ${m.key}`).toEqual([]);
        }
      }
    }
  });

  it('resolves for every catalogued model exactly as the built-in of the same name', () => {
    const builtins = builtinLayouts();
    let compared = 0;
    for (const l of layouts) {
      const builtin = builtins.find((b) => b.name === l.name);
      expect(builtin, l.name).toBeDefined();
      if (!builtin) continue;
      for (const m of GPU_MODELS) {
        // The standard file limits all-1g.24gb to the NVL (and RTX PRO 6000); the catalogue-made
        // built-in also gives it to GH200-96GB, whose 1g.24gb is the same shape.
        if (l.name === 'all-1g.24gb' && m.key === 'GH200-96GB') continue;
        const a = resolveLayout(l, 0, m.key);
        const b = resolveLayout(builtin, 0, m.key);
        expect(a.ok, `${l.name} on ${m.key}`).toBe(b.ok);
        if (a.ok && b.ok) expect(a.layout, `${l.name} on ${m.key}`).toEqual(b.layout);
        compared++;
      }
    }
    expect(compared).toBeGreaterThan(400);
  });

  it('round-trips: import → export → import gives the same layouts', () => {
    const out = exportMigPartedConfig(layouts);
    expect(out.warnings).toEqual([]);
    expect(imported(out.yaml)).toEqual(layouts);
    // And export is stable from there on.
    expect(exportMigPartedConfig(imported(out.yaml)).yaml).toBe(out.yaml);
  });
});

describe('device filters', () => {
  it('reads device << 16 | 0x10DE, any case, with or without a subsystem', () => {
    expect(modelsForPciFilter(['0x20B010DE'])).toEqual(['A100-40GB']);
    expect(modelsForPciFilter(['0x233010DE'])).toEqual(['H100-80GB-SXM5']);
    expect(modelsForPciFilter(['0x20b010de:0x145f10de'])).toEqual(['A100-40GB']);
    expect(modelsForPciFilter(['0x233510DE', '0x233B10DE'])).toEqual(['H200-141GB']);
    expect(modelsForPciFilter(['0x20B710DE', '0x290110DE'])).toEqual(['A30-24GB', 'B200-180GB']);
    // Another vendor's ID with the same device number, a malformed one, an uncatalogued NVIDIA one.
    expect(modelsForPciFilter(['0x20B01002', '20B010DE', '0x232910DE'])).toEqual([]);
  });

  it('keeps an unknown PCI ID as a filter that matches no catalogued GPU, and exports it unchanged', () => {
    const text = config(
      `  - device-filter: ["0x31C210DE", "0x20b510de:0x158010DE"]\n    devices: all\n    mig-enabled: true\n    mig-devices:\n      "1g.10gb": 7\n`,
    );
    const [l] = imported(text);
    expect(l?.entries[0]).toMatchObject({
      models: ['A100-80GB'],
      pciDeviceFilter: ['0x31C210DE', '0x20b510de:0x158010DE'],
    });
    if (!l) return;
    expect(resolveLayout(l, 0, 'A100-80GB').ok).toBe(true);
    expect(resolveLayout(l, 0, 'H100-80GB-SXM5').ok).toBe(false);
    expect(exportMigPartedConfig([l]).yaml).toContain(
      'device-filter: ["0x31C210DE", "0x20b510de:0x158010DE"]',
    );
  });
});

describe("mig-parted's validation (mig.md §7.1)", () => {
  const ok = `  - devices: all\n    mig-enabled: true\n    mig-devices:\n      "1g.10gb": 7\n`;

  it('missing or unknown version', () => {
    expect(errorsOf(`mig-configs:\n  a:\n${ok}`)).toEqual(["unable to parse with missing 'version' field"]);
    expect(errorsOf('')).toEqual(["unable to parse with missing 'version' field"]);
    expect(errorsOf(`version: v2\nmig-configs:\n  a:\n${ok}`)).toEqual(['line 1: unknown version: v2']);
    expect(errorsOf(`mig-configs:\n  a:\n${ok}version: 1\n`)).toEqual([`line ${7}: unknown version: 1`]);
  });

  it('unexpected fields, top level and in an entry', () => {
    expect(errorsOf(`${config(ok)}hooks: {}\n`)).toEqual(['line 8: unexpected field: hooks']);
    expect(errorsOf(config(`${ok}    mig-device: {}\n`))).toEqual([
      "line 8, config 'site', entry 1: unexpected field: mig-device",
    ]);
  });

  it('at least one entry', () => {
    expect(errorsOf('version: v1\nmig-configs: {}\n')).toEqual([
      "line 2: at least one entry in 'mig-configs' is required",
    ]);
    expect(errorsOf('version: v1\n')).toEqual(["line 1: at least one entry in 'mig-configs' is required"]);
    expect(errorsOf(`version: v1\nmig-configs:\n  fine:\n${ok}  empty: []\n  blank:\n`)).toEqual([
      "line 8: at least one entry in 'empty' is required",
      "line 9: at least one entry in 'blank' is required",
    ]);
  });

  it('missing required fields', () => {
    expect(errorsOf(config('  - mig-enabled: false\n'))).toEqual([
      "line 4, config 'site', entry 1: missing required field: devices",
    ]);
    expect(errorsOf(config('  - devices: [0]\n'))).toEqual([
      "line 4, config 'site', entry 1: missing required field: mig-enabled",
    ]);
  });

  it("devices: 'all' or a list of indices", () => {
    expect(errorsOf(config('  - devices: gpu0\n    mig-enabled: false\n'))).toEqual([
      "line 4, config 'site', entry 1: invalid string input for 'devices': gpu0",
    ]);
    expect(errorsOf(config('  - devices: 3\n    mig-enabled: false\n'))).toEqual([
      `line 4, config 'site', entry 1: invalid value for 'devices': expected "all" or a list of GPU indices`,
    ]);
    expect(imported(config('  - devices: [0, 2]\n    mig-enabled: false\n'))[0]?.entries[0]?.devices).toEqual(
      [0, 2],
    );
  });

  it('mig-devices when enabled, none when disabled', () => {
    const missing =
      "line 4, config 'site', entry 1: missing required field 'mig-devices' when 'mig-enabled' is true";
    expect(errorsOf(config('  - devices: all\n    mig-enabled: true\n'))).toEqual([missing]);
    // `mig-devices:` with nothing after it is null, which mig-parted reads as absent.
    expect(errorsOf(config('  - devices: all\n    mig-enabled: true\n    mig-devices:\n'))).toEqual([
      missing,
    ]);
    expect(
      errorsOf(config('  - devices: all\n    mig-enabled: false\n    mig-devices:\n      "1g.10gb": 1\n')),
    ).toEqual(["line 6, config 'site', entry 1: MIG devices included when 'mig-enabled' is false"]);
    expect(layoutOf('  - devices: all\n    mig-enabled: false\n    mig-devices: {}\n')).toEqual({
      migEnabled: false,
      gpuInstances: [],
    });
  });

  it('profile format and counts', () => {
    const at = "line 7, config 'site', entry 1";
    const bad = (key: string) =>
      errorsOf(config(`  - devices: all\n    mig-enabled: true\n    mig-devices:\n      "${key}": 1\n`));
    expect(bad('1x.10gb')).toEqual([
      `${at}: invalid format for '1x.10gb': cannot parse fields of '1x.10gb': missing 'g' from '%dg'`,
    ]);
    expect(bad('1g.10')).toEqual([
      `${at}: invalid format for '1g.10': cannot parse fields of '1g.10': missing 'gb' from '%dgb'`,
    ]);
    expect(bad('g.10gb')).toEqual([
      `${at}: invalid format for 'g.10gb': cannot parse fields of 'g.10gb': malformed number in '%dg'`,
    ]);
    expect(bad('10gb')).toEqual([
      `${at}: invalid format for '10gb': cannot parse fields of '10gb': parsed wrong number of fields, expected 2 or 3`,
    ]);
    expect(bad('1g.24gb+me-x')).toEqual([
      `${at}: invalid format for '1g.24gb+me-x': profile '1g.24gb+me-x' contains both '+/-' attributes`,
    ]);
    expect(bad('1g.10gb+me,me')).toEqual([
      `${at}: invalid format for '1g.10gb+me,me': cannot parse attributes of '1g.10gb+me,me': non unique attribute in list`,
    ]);
    expect(bad('1g.10gb+.me')).toEqual([
      `${at}: invalid format for '1g.10gb+.me': cannot parse attributes of '1g.10gb+.me': attribute begins/ends with a dot`,
    ]);
    expect(bad('')).toEqual([`${at}: invalid format for '': profile is the empty string`]);
    expect(
      errorsOf(config('  - devices: all\n    mig-enabled: true\n    mig-devices:\n      "1g.10gb": -1\n')),
    ).toEqual([`${at}: invalid count for '1g.10gb': -1`]);
    expect(
      errorsOf(
        config(
          '  - devices: all\n    mig-enabled: true\n    mig-devices:\n      "1g.10gb": 0\n      "3g.40gb": 0\n',
        ),
      ),
    ).toEqual(["line 6, config 'site', entry 1: all counts for all MigProfiles are 0"]);
    // A zero next to a non-zero count is fine and creates nothing.
    expect(
      describeLayout(
        layoutOf(
          '  - devices: all\n    mig-enabled: true\n    mig-devices:\n      "1g.10gb": 0\n      "3g.40gb": 2\n',
        ),
      ),
    ).toBe('2× 3g.40gb');
  });

  it('device-filter must be a string or a list of strings', () => {
    expect(errorsOf(config(`  - device-filter: 0x233010DE\n${ok.replace('  - ', '    ')}`))).toEqual([
      `line 4, config 'site', entry 1: invalid value for 'device-filter': PCI IDs must be quoted ("0x233010DE"); unquoted, YAML reads them as numbers`,
    ]);
  });

  it('reports every mistake of a file with its line, not just the first', () => {
    expect(errorsOf(fixture('invalid-entries.yaml'))).toEqual([
      "line 9, config 'training', entry 2: invalid string input for 'devices': first-four",
      "line 13, config 'training', entry 3: missing required field 'mig-devices' when 'mig-enabled' is true",
      "line 17, config 'training', entry 4: MIG devices included when 'mig-enabled' is false",
      "line 21, config 'training', entry 5: unexpected field: mig-device",
      `line 24, config 'inference', entry 1: invalid value for 'device-filter': PCI IDs must be quoted ("0x233010DE"); unquoted, YAML reads them as numbers`,
      "line 28, config 'inference', entry 1: invalid format for '1x.10gb': cannot parse fields of '1x.10gb': missing 'g' from '%dg'",
      "line 30, config 'inference', entry 2: missing required field: devices",
      "line 31, config 'inference', entry 2: all counts for all MigProfiles are 0",
      "line 34: at least one entry in 'empty' is required",
    ]);
  });

  it('says where a file stops being YAML', () => {
    // (Inline: a fixture file that is not YAML would stop `prettier --check .`.)
    const misindented = [
      'version: v1',
      'mig-configs:',
      '  all-1g.10gb:',
      '    - devices: all',
      '      mig-enabled: true',
      '      mig-devices:',
      "        '1g.10gb': 7",
      "     '2g.20gb': 1",
      '',
    ].join('\n');
    expect(errorsOf(misindented)).toEqual([
      'YAML syntax error at line 8, column 1: Sequence item without - indicator',
    ]);
    const [err] = errorsOf('version: v1\nmig-configs:\n  a:\n  - devices: [0, 1\n    mig-enabled: true\n');
    expect(err).toMatch(/^YAML syntax error at line 5, column \d+: /);
    expect(errorsOf('version: v1\nversion: v1\n')).toEqual([
      'YAML syntax error at line 2, column 1: Map keys must be unique',
    ]);
    expect(errorsOf('- version: v1\n')).toEqual([
      "line 1: expected a mapping with 'version' and 'mig-configs' at the top level",
    ]);
  });

  it('reads YAML as mig-parted does (1.1: yes is true)', () => {
    expect(layoutOf('  - devices: all\n    mig-enabled: yes\n    mig-devices: {}\n')).toEqual({
      migEnabled: true,
      gpuInstances: [],
    });
  });
});

describe('profile keys', () => {
  it('accepts the attribute spellings mig-parted does', () => {
    expect(parseMigPartedProfile('1g.10gb+me')).toEqual({
      c: 1,
      g: 1,
      gb: 10,
      attributes: ['me'],
      negated: false,
    });
    expect(parseMigPartedProfile('1g.24gb-me')).toEqual({
      c: 1,
      g: 1,
      gb: 24,
      attributes: ['me'],
      negated: true,
    });
    expect(parseMigPartedProfile('2g.48gb+me.all')).toEqual({
      c: 2,
      g: 2,
      gb: 48,
      attributes: ['me.all'],
      negated: false,
    });
    expect(parseMigPartedProfile('1c.3g.40gb')).toEqual({
      c: 1,
      g: 3,
      gb: 40,
      attributes: [],
      negated: false,
    });
    const keys = ['1g.10gb+me', '1g.24gb+gfx', '1g.24gb-me', '1g.24gb+me.all', '4g.96gb+gfx'];
    const layout = layoutOf(
      `  - devices: all\n    mig-enabled: true\n    mig-devices:\n${keys.map((k) => `      "${k}": 1\n`).join('')}`,
    );
    expect(profiles(layout).sort()).toEqual([...keys].sort());
    expect(layout.gpuInstances.every((gi) => gi.computeInstances === undefined)).toBe(true);
  });

  it('packs CI-qualified keys into as few GIs of that profile as hold them', () => {
    const of = (devices: string) =>
      layoutOf(`  - devices: all\n    mig-enabled: true\n    mig-devices:\n${devices}`);
    const three = of('      "1c.3g.40gb": 3\n');
    expect(three.gpuInstances).toEqual([
      {
        profile: '3g.40gb',
        computeInstances: [{ profile: '1c.3g.40gb' }, { profile: '1c.3g.40gb' }, { profile: '1c.3g.40gb' }],
      },
    ]);
    const h100 = findModel('H100-80GB-SXM5');
    if (!h100) throw new Error('no H100');
    expect(validateLayout(h100, three).ok).toBe(true);

    expect(describeLayout(of('      "1c.3g.40gb": 4\n'))).toBe(
      '1× 3g.40gb (3× 1c.3g.40gb), 1× 3g.40gb (1× 1c.3g.40gb)',
    );
    const mixed = of(
      '      "1c.3g.40gb": 1\n      "2c.3g.40gb": 1\n      "3g.40gb": 1\n      "1g.10gb": 2\n',
    );
    expect(mixed.gpuInstances).toEqual([
      { profile: '1g.10gb' },
      { profile: '1g.10gb' },
      { profile: '3g.40gb' },
      { profile: '3g.40gb', computeInstances: [{ profile: '2c.3g.40gb' }, { profile: '1c.3g.40gb' }] },
    ]);
    // (Both 3g GIs fill the GPU on their own: the 1g GIs are only there for the order.)
    expect(validateLayout(h100, { migEnabled: true, gpuInstances: mixed.gpuInstances.slice(2) }).ok).toBe(
      true,
    );
    // 1c of a 1g is the 1g itself; a +me GI's CIs carry no attribute (mig.md §1).
    expect(of('      "1c.1g.10gb": 2\n')).toEqual(of('      "1g.10gb": 2\n'));
    expect(of('      "1c.2g.12gb+me": 2\n').gpuInstances).toEqual([
      { profile: '2g.12gb+me', computeInstances: [{ profile: '1c.2g.12gb' }, { profile: '1c.2g.12gb' }] },
    ]);
    expect(describeLayout(of('      "4c.7g.80gb": 1\n      "2c.7g.80gb": 2\n'))).toBe(
      '1× 7g.80gb (1× 4c.7g.80gb + 1× 2c.7g.80gb), 1× 7g.80gb (1× 2c.7g.80gb)',
    );
  });

  it('orders keys as Go does (digit runs as numbers)', () => {
    expect(
      ['3g.40gb', '1g.10gb', '1g.5gb', '2g.10gb', '1c.3g.40gb', '1g.10gb+me'].sort(naturalCompare),
    ).toEqual(['1c.3g.40gb', '1g.5gb', '1g.10gb', '1g.10gb+me', '2g.10gb', '3g.40gb']);
  });
});

describe('export', () => {
  const balanced40: MigLayout = {
    migEnabled: true,
    gpuInstances: [
      { profile: '1g.5gb' },
      { profile: '3g.20gb' },
      { profile: '2g.10gb' },
      { profile: '1g.5gb' },
    ],
  };
  const current = (entries: NamedLayoutEntry[], description = ''): NamedLayout => ({
    name: 'current',
    description,
    source: 'site',
    entries,
  });

  it("writes mig.md §7.3's example byte for byte", () => {
    const out = exportMigPartedConfig([current([{ devices: 'all', layout: balanced40 }])]);
    expect(out.yaml).toBe(
      [
        'version: v1',
        'mig-configs:',
        '  current:',
        '  - devices: all',
        '    mig-enabled: true',
        '    mig-devices:',
        '      1g.5gb: 2',
        '      2g.10gb: 1',
        '      3g.20gb: 1',
        '',
      ].join('\n'),
    );
    expect(out.warnings).toEqual([]);
  });

  it('writes filters, device lists, MIG off and MIG on without GIs, and the description as a comment', () => {
    const out = exportMigPartedConfig([
      {
        name: 'rack-7',
        description: 'Rack 7: inference on 0-3,\ntraining on the rest',
        source: 'site',
        entries: [
          { devices: 'all', layout: { migEnabled: false, gpuInstances: [] } },
          {
            devices: [0, 1, 2, 3],
            models: ['H100-80GB-SXM5', 'A30-24GB'],
            layout: {
              migEnabled: true,
              gpuInstances: [
                { profile: '1g.10gb+me' },
                {
                  profile: '3g.40gb',
                  computeInstances: [{ profile: '1c.3g.40gb' }, { profile: '2c.3g.40gb' }],
                },
              ],
            },
          },
          { devices: [7], layout: { migEnabled: true, gpuInstances: [] } },
        ],
      },
      {
        name: 'yes',
        description: '',
        source: 'site',
        entries: [{ devices: [], layout: { migEnabled: false, gpuInstances: [] } }],
      },
    ]);
    expect(out.warnings).toEqual([]);
    expect(out.yaml).toBe(
      [
        'version: v1',
        'mig-configs:',
        '  # Rack 7: inference on 0-3,',
        '  # training on the rest',
        '  rack-7:',
        '  - devices: all',
        '    mig-enabled: false',
        '  - device-filter: ["0x233010DE", "0x20B710DE"]',
        '    devices: [0, 1, 2, 3]',
        '    mig-enabled: true',
        '    mig-devices:',
        '      1c.3g.40gb: 1',
        '      1g.10gb+me: 1',
        '      2c.3g.40gb: 1',
        '  - devices: [7]',
        '    mig-enabled: true',
        '    mig-devices: {}',
        '',
        '  "yes":',
        '  - devices: []',
        '    mig-enabled: false',
        '',
      ].join('\n'),
    );
    const back = imported(out.yaml);
    expect(back.map((l) => l.name)).toEqual(['rack-7', 'yes']);
    expect(back[0]?.description).toBe('Rack 7: inference on 0-3,\ntraining on the rest');
    expect(back[0]?.entries[1]?.models).toEqual(['H100-80GB-SXM5', 'A30-24GB']);
  });

  it('says what mig-parted cannot hold: placements, CI grouping, GIs without CIs', () => {
    const out = exportMigPartedConfig([
      current([
        {
          devices: 'all',
          layout: {
            migEnabled: true,
            gpuInstances: [
              { profile: '3g.40gb', start: 4 },
              { profile: '1g.10gb', start: 0 },
            ],
          },
        },
        {
          devices: [1],
          layout: {
            migEnabled: true,
            gpuInstances: [
              { profile: '3g.40gb', computeInstances: [{ profile: '1c.3g.40gb' }] },
              {
                profile: '3g.40gb',
                computeInstances: [{ profile: '1c.3g.40gb' }, { profile: '1c.3g.40gb' }],
              },
              { profile: '2g.20gb', computeInstances: [] },
            ],
          },
        },
        { devices: [2], models: ['RTX-PRO-6000'], layout: { migEnabled: true, gpuInstances: [] } },
      ]),
    ]);
    expect(out.warnings).toEqual([
      'current, entry 1: placements dropped: mig-parted has none and places GPU instances itself',
      'current, entry 2: left out a 2g.20gb GPU instance without compute instances (mig-parted always creates them)',
      'current, entry 3: RTX-PRO-6000 has no known PCI device ID, so mig-parted cannot be limited to it',
      'current, entry 3: left out: it applies to no GPU mig-parted can select',
    ]);
    expect(out.yaml).toContain(
      '  - devices: [1]\n    mig-enabled: true\n    mig-devices:\n      1c.3g.40gb: 3\n',
    );

    const grouping = exportMigPartedConfig([
      current([
        {
          devices: 'all',
          layout: {
            migEnabled: true,
            gpuInstances: [
              { profile: '3g.40gb', computeInstances: [{ profile: '1c.3g.40gb' }] },
              {
                profile: '3g.40gb',
                computeInstances: [{ profile: '1c.3g.40gb' }, { profile: '1c.3g.40gb' }],
              },
            ],
          },
        },
      ]),
    ]);
    expect(grouping.warnings).toEqual([
      'current, entry 1: mig-parted only counts compute instances, so it will group them as 1× 3g.40gb (3× 1c.3g.40gb) rather than 1× 3g.40gb (1× 1c.3g.40gb), 1× 3g.40gb (2× 1c.3g.40gb)',
    ]);
  });

  it('exports the state of a GPU set as the caller converts it (explicit full-size CIs, MIG off GPUs)', () => {
    const state = current([
      {
        devices: [0],
        layout: {
          migEnabled: true,
          gpuInstances: [
            { profile: '1g.10gb+me', computeInstances: [{ profile: '1g.10gb' }] },
            { profile: '3g.40gb', computeInstances: [{ profile: '3g.40gb' }] },
            { profile: '3g.40gb', computeInstances: [{ profile: '1c.3g.40gb' }, { profile: '2c.3g.40gb' }] },
          ],
        },
      },
      { devices: [1], layout: { migEnabled: false, gpuInstances: [] } },
    ]);
    const out = exportMigPartedConfig([state]);
    expect(out.warnings).toEqual([]);
    expect(out.yaml).toBe(
      [
        'version: v1',
        'mig-configs:',
        '  current:',
        '  - devices: [0]',
        '    mig-enabled: true',
        '    mig-devices:',
        '      1c.3g.40gb: 1',
        '      1g.10gb+me: 1',
        '      2c.3g.40gb: 1',
        '      3g.40gb: 1',
        '  - devices: [1]',
        '    mig-enabled: false',
        '',
      ].join('\n'),
    );
    const [back] = imported(out.yaml);
    expect(describeLayout(back?.entries[0]?.layout ?? { migEnabled: false, gpuInstances: [] })).toBe(
      '1× 1g.10gb+me, 1× 3g.40gb, 1× 3g.40gb (1× 2c.3g.40gb + 1× 1c.3g.40gb)',
    );
  });

  it('built-ins export and import back to the same layout for every model', () => {
    const builtins = builtinLayouts();
    const out = exportMigPartedConfig(builtins);
    expect(out.warnings).toEqual([]);
    const back = imported(out.yaml);
    expect(back.map((l) => l.name)).toEqual(builtins.map((l) => l.name));
    expect(back.map((l) => l.description)).toEqual(builtins.map((l) => l.description));
    for (const [i, b] of builtins.entries()) {
      const again = back[i];
      if (!again) throw new Error(b.name);
      for (const m of GPU_MODELS) {
        const x = resolveLayout(b, 0, m.key);
        const y = resolveLayout(again, 0, m.key);
        expect(y.ok ? y.layout : y.message, `${b.name} on ${m.key}`).toEqual(x.ok ? x.layout : x.message);
      }
    }
  });

  it('quotes names YAML would read as something else', () => {
    const out = exportMigPartedConfig([
      {
        name: 'on',
        description: '',
        source: 'site',
        entries: [{ devices: 'all', layout: { migEnabled: false, gpuInstances: [] } }],
      },
      {
        name: 'a: b #c',
        description: '',
        source: 'site',
        entries: [{ devices: 'all', layout: { migEnabled: false, gpuInstances: [] } }],
      },
      {
        name: '0x10',
        description: '',
        source: 'site',
        entries: [{ devices: 'all', layout: { migEnabled: false, gpuInstances: [] } }],
      },
    ]);
    expect(out.yaml).toContain('\n  "on":\n');
    expect(out.yaml).toContain('\n  "a: b #c":\n');
    expect(out.yaml).toContain('\n  "0x10":\n');
    expect(imported(out.yaml).map((l) => l.name)).toEqual(['on', 'a: b #c', '0x10']);
  });

  it('warns instead of writing a file mig-parted would refuse', () => {
    const out = exportMigPartedConfig([{ name: 'none', description: '', source: 'site', entries: [] }]);
    expect(out.yaml).toBe('version: v1\nmig-configs: {}\n');
    expect(out.warnings).toEqual([
      'none: left out: mig-parted needs at least one entry',
      'nothing to export: mig-parted refuses a file without configs',
    ]);
    expect(errorsOf(out.yaml)).toEqual(["line 2: at least one entry in 'mig-configs' is required"]);
  });
});
