// The built-in named layouts (shared/mig/named-layouts.ts) against the catalogue and mig.md §7.2:
// what each model gets, that every entry exists on and fits its model, mig-parted's standard names,
// and what resolving says when a layout has nothing for a GPU.
import { describe, expect, it } from 'vitest';
import { GPU_MODELS, findModel, giProfileByName } from '../../shared/mig/catalog';
import type { GpuModel } from '../../shared/mig/catalog';
import type { MigLayout, NamedLayout } from '../../shared/mig/layout';
import {
  GENERIC_LAYOUT_NAMES,
  builtinLayouts,
  describeLayout,
  entryApplies,
  resolveLayout,
} from '../../shared/mig/named-layouts';
import { validateLayout } from '../../shared/mig/validate';

const layouts = builtinLayouts();
function named(name: string): NamedLayout {
  const l = layouts.find((x) => x.name === name);
  if (!l) throw new Error(`no built-in layout ${name}`);
  return l;
}
function model(key: string): GpuModel {
  const m = findModel(key);
  if (!m) throw new Error(`no model ${key}`);
  return m;
}
function resolved(name: string, key: string | null, gpu = 0): MigLayout {
  const r = resolveLayout(named(name), gpu, key);
  if (!r.ok) throw new Error(r.message);
  return r.layout;
}
function failure(l: NamedLayout, key: string | null, gpu = 0): string {
  const r = resolveLayout(l, gpu, key);
  if (r.ok) throw new Error(`expected ${l.name} to fail for ${key}, got ${describeLayout(r.layout)}`);
  return r.message;
}
const profiles = (l: MigLayout) => l.gpuInstances.map((gi) => gi.profile);
const EIGHT_SLOT = GPU_MODELS.filter((m) => m.memorySlots === 8);

/** Models an entry is meant for: its filter, or (unfiltered) every model offering all its profiles. */
function modelsOf(entryModels: string[] | undefined, layout: MigLayout): GpuModel[] {
  if (entryModels) return entryModels.map(model);
  return GPU_MODELS.filter((m) => layout.gpuInstances.every((gi) => giProfileByName(m, gi.profile)));
}

describe('built-in names', () => {
  it('lists the console layouts first, then mig-parted names, each once', () => {
    const names = layouts.map((l) => l.name);
    expect(names.slice(0, 9)).toEqual([
      'all-disabled',
      'all-enabled',
      'all-1g',
      'all-2g',
      'all-3g',
      'all-4g',
      'all-7g',
      'balanced',
      'all-balanced',
    ]);
    expect(new Set(names).size).toBe(names.length);
    expect(layouts.every((l) => l.source === 'builtin' && l.description.length > 0)).toBe(true);
    expect(GENERIC_LAYOUT_NAMES).toEqual(['all-1g', 'all-2g', 'all-3g', 'all-4g', 'all-7g', 'balanced']);
  });

  it('has exactly the standard mig-parted all-<profile> names of §7.2 that catalogued GPUs offer', () => {
    const standard = [
      // A100-40GB
      ...['all-1g.5gb', 'all-1g.5gb.me', 'all-2g.10gb', 'all-3g.20gb', 'all-4g.20gb', 'all-7g.40gb'],
      // A100-80GB / H100-80GB family (all-1g.10gb also 4 per A100-40GB)
      ...[
        'all-1g.10gb',
        'all-1g.10gb.me',
        'all-1g.20gb',
        'all-2g.20gb',
        'all-3g.40gb',
        'all-4g.40gb',
        'all-7g.80gb',
      ],
      // A30
      ...['all-1g.6gb', 'all-1g.6gb.me', 'all-2g.12gb', 'all-2g.12gb.me', 'all-4g.24gb'],
      // H100 NVL / GH200 96GB
      ...['all-1g.12gb', 'all-1g.12gb.me', 'all-1g.24gb', 'all-2g.24gb', 'all-3g.47gb', 'all-4g.47gb'],
      ...['all-7g.94gb', 'all-3g.48gb', 'all-4g.48gb', 'all-7g.96gb'],
      // H200
      ...[
        'all-1g.18gb',
        'all-1g.18gb.me',
        'all-1g.35gb',
        'all-2g.35gb',
        'all-3g.71gb',
        'all-4g.71gb',
        'all-7g.141gb',
      ],
      // GH200 144G HBM3e
      ...['all-1g.36gb', 'all-2g.36gb', 'all-3g.72gb', 'all-4g.72gb', 'all-7g.144gb'],
      // B200
      ...[
        'all-1g.23gb',
        'all-1g.23gb.me',
        'all-1g.45gb',
        'all-2g.45gb',
        'all-3g.90gb',
        'all-4g.90gb',
        'all-7g.180gb',
      ],
    ];
    const generated = layouts.map((l) => l.name).filter((n) => /^all-\d+g\.\d+gb/.test(n));
    expect([...generated].sort()).toEqual([...standard].sort());
    expect(layouts.map((l) => l.name)).toEqual(
      expect.arrayContaining(['all-disabled', 'all-enabled', 'all-balanced']),
    );
  });
});

describe('counts per model', () => {
  it('all-<n>g takes the most of the plain profile each model has', () => {
    expect(profiles(resolved('all-1g', 'H100-80GB-SXM5'))).toEqual(Array(7).fill('1g.10gb'));
    expect(profiles(resolved('all-1g', 'A100-40GB'))).toEqual(Array(7).fill('1g.5gb'));
    expect(profiles(resolved('all-1g', 'A30-24GB'))).toEqual(Array(4).fill('1g.6gb'));
    expect(profiles(resolved('all-1g', 'B200-180GB'))).toEqual(Array(7).fill('1g.23gb'));
    expect(profiles(resolved('all-2g', 'A30-24GB'))).toEqual(['2g.12gb', '2g.12gb']);
    expect(profiles(resolved('all-4g', 'A30-24GB'))).toEqual(['4g.24gb']);
    for (const m of EIGHT_SLOT) {
      expect(resolved('all-2g', m.key).gpuInstances, m.key).toHaveLength(3);
      expect(resolved('all-3g', m.key).gpuInstances, m.key).toHaveLength(2);
      expect(resolved('all-4g', m.key).gpuInstances, m.key).toHaveLength(1);
      expect(profiles(resolved('all-7g', m.key)), m.key).toEqual([
        m.giProfiles.find((p) => p.id === 0)?.name,
      ]);
    }
    expect(profiles(resolved('all-3g', 'H200-141GB'))).toEqual(['3g.71gb', '3g.71gb']);
    expect(profiles(resolved('all-7g', 'GH200-144GB-HBM3e'))).toEqual(['7g.144gb']);
  });

  it('gives one entry per catalogued model, and none where the model lacks the size', () => {
    for (const name of GENERIC_LAYOUT_NAMES) {
      const entries = named(name).entries;
      expect(
        entries.every((e) => e.devices === 'all' && e.models?.length === 1),
        name,
      ).toBe(true);
      const keys = entries.map((e) => e.models?.[0]);
      expect(new Set(keys).size, name).toBe(keys.length);
      const expected = name === 'all-3g' || name === 'all-7g' ? EIGHT_SLOT.length : GPU_MODELS.length;
      expect(entries, name).toHaveLength(expected);
    }
    expect(named('all-3g').entries.some((e) => e.models?.includes('A30-24GB'))).toBe(false);
    expect(named('all-7g').entries.some((e) => e.models?.includes('A30-24GB'))).toBe(false);
  });

  it('balanced is 2× 1g + 1× 2g + 1× 3g on 8-slot GPUs and 2× 1g + 1× 2g on A30', () => {
    expect(describeLayout(resolved('balanced', 'H100-80GB-SXM5'))).toBe('2× 1g.10gb, 1× 2g.20gb, 1× 3g.40gb');
    expect(describeLayout(resolved('balanced', 'A100-40GB'))).toBe('2× 1g.5gb, 1× 2g.10gb, 1× 3g.20gb');
    expect(describeLayout(resolved('balanced', 'H100-94GB-NVL'))).toBe('2× 1g.12gb, 1× 2g.24gb, 1× 3g.47gb');
    expect(describeLayout(resolved('balanced', 'GH200-96GB'))).toBe('2× 1g.12gb, 1× 2g.24gb, 1× 3g.48gb');
    expect(describeLayout(resolved('balanced', 'A30-24GB'))).toBe('2× 1g.6gb, 1× 2g.12gb');
    for (const m of GPU_MODELS) {
      expect(resolved('all-balanced', m.key), m.key).toEqual(resolved('balanced', m.key));
    }
  });

  it('all-balanced groups the models sharing a layout into one entry, like mig-parted device groups', () => {
    const entries = named('all-balanced').entries;
    const eighty = entries.find((e) => e.models?.includes('A100-80GB'));
    expect(eighty?.models).toEqual(['A100-80GB', 'H100-80GB-SXM5', 'H100-80GB-PCIe']);
    expect(entries).toHaveLength(GPU_MODELS.length - 2);
  });

  it('mig-parted names keep mig-parted counts, filtered where models differ', () => {
    const oneTen = named('all-1g.10gb').entries;
    expect(oneTen).toHaveLength(2);
    expect(oneTen.map((e) => [e.models, e.layout.gpuInstances.length])).toEqual([
      [['A100-40GB'], 4],
      [['A100-80GB', 'H100-80GB-SXM5', 'H100-80GB-PCIe'], 7],
    ]);
    expect(profiles(resolved('all-1g.10gb', 'A100-40GB'))).toEqual(Array(4).fill('1g.10gb'));
    expect(profiles(resolved('all-1g.10gb', 'H100-80GB-PCIe'))).toEqual(Array(7).fill('1g.10gb'));
    // Unfiltered, as config-default.yaml writes them.
    expect(named('all-3g.40gb').entries).toEqual([
      {
        devices: 'all',
        layout: { migEnabled: true, gpuInstances: [{ profile: '3g.40gb' }, { profile: '3g.40gb' }] },
      },
    ]);
    expect(profiles(resolved('all-1g.10gb.me', 'H100-80GB-SXM5'))).toEqual(['1g.10gb+me']);
    expect(profiles(resolved('all-2g.12gb.me', 'A30-24GB'))).toEqual(['2g.12gb+me']);
    expect(profiles(resolved('all-1g.20gb', 'A100-80GB'))).toEqual(Array(4).fill('1g.20gb'));
    expect(profiles(resolved('all-1g.18gb', 'GH200-144GB-HBM3e'))).toEqual(Array(7).fill('1g.18gb'));
    expect(resolved('all-disabled', 'A30-24GB')).toEqual({ migEnabled: false, gpuInstances: [] });
    expect(resolved('all-enabled', 'B200-180GB')).toEqual({ migEnabled: true, gpuInstances: [] });
  });
});

describe('every built-in entry fits its models', () => {
  for (const l of builtinLayouts()) {
    it(l.name, () => {
      expect(l.entries.length).toBeGreaterThan(0);
      for (const [i, entry] of l.entries.entries()) {
        const targets = modelsOf(entry.models, entry.layout);
        if (entry.layout.gpuInstances.length > 0)
          expect(targets.length, `${l.name} #${i}`).toBeGreaterThan(0);
        for (const m of targets) {
          const at = `${l.name} #${i} on ${m.key}`;
          let memory = 0;
          let compute = 0;
          const perProfile = new Map<string, number>();
          for (const gi of entry.layout.gpuInstances) {
            const p = giProfileByName(m, gi.profile);
            expect(p, `${at}: ${gi.profile}`).toBeDefined();
            if (!p) continue;
            memory += p.memorySlices;
            compute += p.computeSlices;
            perProfile.set(p.name, (perProfile.get(p.name) ?? 0) + 1);
            expect(perProfile.get(p.name), `${at}: too many ${p.name}`).toBeLessThanOrEqual(p.maxInstances);
          }
          expect(memory, `${at}: memory slots`).toBeLessThanOrEqual(m.memorySlots);
          expect(compute, `${at}: compute slices`).toBeLessThanOrEqual(m.computeSlots);
          expect(entry.layout.gpuInstances.length, at).toBeLessThanOrEqual(m.maxGpuInstances);
          const v = validateLayout(m, entry.layout);
          expect(v.ok ? [] : v.problems.map((p) => p.message), at).toEqual([]);
          const r = resolveLayout(l, 3, m.key);
          expect(r.ok, at).toBe(true);
        }
      }
    });
  }
});

describe('resolveLayout', () => {
  it('says in operator words when a model has no such profile', () => {
    expect(failure(named('all-3g'), 'A30-24GB')).toBe(
      'all-3g has no entry for A30-24GB: that GPU has no 3g profile; layouts for it: all-1g, all-2g, all-4g, balanced',
    );
    expect(failure(named('all-7g'), 'A30-24GB')).toBe(
      'all-7g has no entry for A30-24GB: that GPU has no 7g profile; layouts for it: all-1g, all-2g, all-4g, balanced',
    );
    expect(failure(named('all-1g.10gb'), 'H200-141GB')).toBe(
      'all-1g.10gb has no entry for H200-141GB: that GPU has no 1g.10gb profile; layouts for it: all-1g, all-2g, all-3g, all-4g, all-7g, balanced',
    );
    // Unfiltered mig-parted config on a GPU without the profile (mig.md §7.2: it fails there too).
    expect(failure(named('all-3g.40gb'), 'A100-40GB')).toBe(
      'all-3g.40gb cannot apply to A100-40GB: that GPU has no 3g.40gb profile; layouts for it: all-1g, all-2g, all-3g, all-4g, all-7g, balanced',
    );
    expect(failure(named('all-1g.10gb.me'), 'A30-24GB')).toMatch(/that GPU has no 1g\.10gb\+me profile/);
  });

  it('handles a GPU whose model the console does not know', () => {
    expect(failure(named('all-1g'), null, 2)).toBe(
      'all-1g has no entry for GPU 2: the console does not know its model, and all-1g only covers particular models',
    );
    expect(resolved('all-disabled', null)).toEqual({ migEnabled: false, gpuInstances: [] });
    expect(failure(named('balanced'), 'RTX-PRO-6000')).toBe(
      "balanced has no entry for RTX-PRO-6000: the console's catalogue does not know that model",
    );
  });

  it('walks entries in order, the last matching one winning (mig-parted rule)', () => {
    const a: MigLayout = { migEnabled: true, gpuInstances: [{ profile: '7g.80gb' }] };
    const b: MigLayout = { migEnabled: true, gpuInstances: [{ profile: '3g.40gb' }, { profile: '3g.40gb' }] };
    const site: NamedLayout = {
      name: 'site-mixed',
      description: '',
      source: 'site',
      entries: [
        { devices: 'all', layout: a },
        { devices: [1, 3], models: ['H100-80GB-SXM5'], layout: b },
        { devices: [3], models: ['A100-80GB'], layout: { migEnabled: false, gpuInstances: [] } },
      ],
    };
    const at = (gpu: number, key: string | null) => {
      const r = resolveLayout(site, gpu, key);
      return r.ok ? describeLayout(r.layout) : r.message;
    };
    expect(at(0, 'H100-80GB-SXM5')).toBe('1× 7g.80gb');
    expect(at(1, 'H100-80GB-SXM5')).toBe('2× 3g.40gb');
    expect(at(3, 'H100-80GB-SXM5')).toBe('2× 3g.40gb');
    expect(at(3, 'A100-80GB')).toBe('MIG disabled');
    expect(at(1, 'A100-80GB')).toBe('1× 7g.80gb');
    expect(at(1, null)).toBe('1× 7g.80gb');

    const only: NamedLayout = { ...site, name: 'gpu-1-only', entries: [{ devices: [1, 0], layout: a }] };
    expect(failure(only, 'H100-80GB-SXM5', 5)).toBe(
      'gpu-1-only has no entry for GPU 5 (H100-80GB-SXM5): its entries cover GPU 0, 1 only',
    );
    const other: NamedLayout = {
      ...site,
      name: 'a100s',
      entries: [{ devices: 'all', models: ['A100-80GB'], layout: a }],
    };
    expect(failure(other, 'H100-80GB-SXM5')).toBe(
      'a100s has no entry for H100-80GB-SXM5: its entries are for A100-80GB; layouts for it: all-1g, all-2g, all-3g, all-4g, all-7g, balanced',
    );
  });

  it('never matches an entry whose device filter named no catalogued model', () => {
    const entry = {
      devices: 'all' as const,
      models: [],
      pciDeviceFilter: ['0x294110DE'],
      layout: { migEnabled: false, gpuInstances: [] },
    };
    for (const m of GPU_MODELS) expect(entryApplies(entry, 0, m.key)).toBe(false);
    expect(entryApplies(entry, 0, null)).toBe(false);
  });

  it('hands out a copy, so a caller cannot change the built-in', () => {
    const l = named('balanced');
    const r = resolveLayout(l, 0, 'H100-80GB-SXM5');
    if (!r.ok) throw new Error(r.message);
    r.layout.gpuInstances.push({ profile: '1g.10gb', start: 6 });
    expect(describeLayout(resolved('balanced', 'H100-80GB-SXM5'))).toBe('2× 1g.10gb, 1× 2g.20gb, 1× 3g.40gb');
  });
});

describe('describeLayout', () => {
  it('counts GIs per profile, in first-seen order, and shows non-default CIs', () => {
    expect(describeLayout({ migEnabled: false, gpuInstances: [] })).toBe('MIG disabled');
    expect(describeLayout({ migEnabled: true, gpuInstances: [] })).toBe('MIG enabled, no GPU instances');
    expect(
      describeLayout({
        migEnabled: true,
        gpuInstances: [
          {
            profile: '3g.40gb',
            computeInstances: [
              { profile: '1c.3g.40gb' },
              { profile: '1c.3g.40gb' },
              { profile: '1c.3g.40gb' },
            ],
          },
          { profile: '1g.10gb+me', computeInstances: [{ profile: '1g.10gb' }] },
          { profile: '2g.20gb', computeInstances: [] },
          { profile: '1g.10gb', start: 6 },
        ],
      }),
    ).toBe('1× 3g.40gb (3× 1c.3g.40gb), 1× 1g.10gb+me, 1× 2g.20gb (no compute instances), 1× 1g.10gb');
  });
});
