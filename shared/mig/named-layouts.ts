// The named layouts operators know without writing any: the console's own (`all-1g` … `all-7g`,
// `balanced`) and nvidia-mig-parted's standard configs (mig.md §7.2: `all-1g.10gb`, `all-balanced`,
// …), all generated from the catalogue so a model added there gets its entries here. Plus the
// walk that picks a GPU's layout out of a named layout (last matching entry wins, as in
// mig-parted) and a one-line description of a layout. Pure; shared with the renderer.
import { GPU_MODELS, findModel, giProfileByName } from './catalog';
import type { GiProfile, GpuModel } from './catalog';
import type { GpuInstanceSpec, GpuModelKey, MigLayout, NamedLayout, NamedLayoutEntry } from './layout';

/** GI sizes (compute slices) of the console's `all-<n>g` layouts. */
const GENERIC_SIZES = [1, 2, 3, 4, 7] as const;

/** Names of the console's own layouts, in the order the UI lists them. */
export const GENERIC_LAYOUT_NAMES: readonly string[] = [...GENERIC_SIZES.map((g) => `all-${g}g`), 'balanced'];

/**
 * The plain profile of a GI size on a model: no attributes, fewest memory slots (`1g.10gb`, not the
 * double-memory `1g.20gb` or `1g.10gb+me`). Undefined where the model has none (A30 has no 3g).
 */
export function plainProfile(model: GpuModel, computeSlices: number): GiProfile | undefined {
  return model.giProfiles
    .filter((p) => p.computeSlices === computeSlices && p.attributes.length === 0)
    .sort((a, b) => a.memorySlices - b.memorySlices)[0];
}

/** mig-parted's config name for "as many of this profile as fit": `+` becomes `.` (mig.md §7.2). */
export function migPartedAllName(profile: string): string {
  return `all-${profile.replace(/\+/g, '.')}`;
}

function repeat(profile: string, count: number): GpuInstanceSpec[] {
  return Array.from({ length: count }, () => ({ profile }));
}

/** 2× 1g + 1× 2g + 1× 3g (A30, which has no 3g: 2× 1g + 1× 2g), as mig-parted's all-balanced. */
function balancedLayout(model: GpuModel): MigLayout | undefined {
  const one = plainProfile(model, 1);
  const two = plainProfile(model, 2);
  if (!one || !two) return undefined;
  const three = plainProfile(model, 3);
  return {
    migEnabled: true,
    gpuInstances: [
      ...repeat(one.name, 2),
      { profile: two.name },
      ...(three ? [{ profile: three.name }] : []),
    ],
  };
}

function allOf(profile: GiProfile): MigLayout {
  return { migEnabled: true, gpuInstances: repeat(profile.name, profile.maxInstances) };
}

function layoutKey(layout: MigLayout): string {
  return JSON.stringify(layout);
}

/** One entry per distinct layout, naming the models that share it (in catalogue order). */
function groupedEntries(perModel: { model: GpuModelKey; layout: MigLayout }[]): NamedLayoutEntry[] {
  const groups = new Map<string, NamedLayoutEntry>();
  for (const { model, layout } of perModel) {
    const key = layoutKey(layout);
    const group = groups.get(key);
    if (group) group.models?.push(model);
    else groups.set(key, { devices: 'all', models: [model], layout });
  }
  return [...groups.values()];
}

/**
 * The built-in named layouts, freshly generated (callers may change what they get):
 * `all-disabled`, `all-enabled`, `all-1g`, `all-2g`, `all-3g`, `all-4g`, `all-7g`, `balanced`,
 * `all-balanced`, then mig-parted's `all-<profile>` configs for every profile the catalogue has.
 */
export function builtinLayouts(): NamedLayout[] {
  const layouts: NamedLayout[] = [
    {
      name: 'all-disabled',
      description: 'MIG off on every GPU.',
      source: 'builtin',
      entries: [{ devices: 'all', layout: { migEnabled: false, gpuInstances: [] } }],
    },
    {
      name: 'all-enabled',
      description: 'MIG on, no GPU instances.',
      source: 'builtin',
      entries: [{ devices: 'all', layout: { migEnabled: true, gpuInstances: [] } }],
    },
  ];

  for (const g of GENERIC_SIZES) {
    const entries: NamedLayoutEntry[] = [];
    for (const model of GPU_MODELS) {
      const profile = plainProfile(model, g);
      if (profile) entries.push({ devices: 'all', models: [model.key], layout: allOf(profile) });
    }
    const examples = entries
      .map((e) => `${e.layout.gpuInstances.length}× ${e.layout.gpuInstances[0]?.profile ?? ''}`)
      .filter((s, i, all) => all.indexOf(s) === i)
      .slice(0, 3)
      .join(', ');
    layouts.push({
      name: `all-${g}g`,
      description: `As many ${g}g GPU instances as fit on each GPU (${examples}, …).`,
      source: 'builtin',
      entries,
    });
  }

  const balanced = GPU_MODELS.flatMap((model) => {
    const layout = balancedLayout(model);
    return layout ? [{ model: model.key, layout }] : [];
  });
  layouts.push({
    name: 'balanced',
    description: 'Small and medium instances side by side: 2× 1g, 1× 2g, 1× 3g (A30: 2× 1g, 1× 2g).',
    source: 'builtin',
    entries: balanced.map(({ model, layout }) => ({ devices: 'all', models: [model], layout })),
  });
  layouts.push({
    name: 'all-balanced',
    description: "nvidia-mig-parted's all-balanced: the console's balanced, one entry per device group.",
    source: 'builtin',
    entries: groupedEntries(balanced),
  });

  // mig-parted's all-<profile>: the most instances of that profile each model takes. One unfiltered
  // entry where every model offering the profile takes the same count (as config-default.yaml
  // writes them); otherwise one entry per count, limited to its models (all-1g.10gb: 7 on the
  // 80 GB parts, 4 on A100-40GB, where 1g.10gb is the double-memory 1g).
  const byName = new Map<
    string,
    { profile: string; perModel: { model: GpuModelKey; layout: MigLayout }[] }
  >();
  for (const model of GPU_MODELS) {
    for (const profile of model.giProfiles) {
      const name = migPartedAllName(profile.name);
      const group = byName.get(name) ?? { profile: profile.name, perModel: [] };
      group.perModel.push({ model: model.key, layout: allOf(profile) });
      byName.set(name, group);
    }
  }
  for (const [name, { profile, perModel }] of byName) {
    const entries = groupedEntries(perModel);
    const only = entries.length === 1 ? entries[0] : undefined;
    const modelList = perModel.map((p) => p.model).join(', ');
    layouts.push({
      name,
      description: `nvidia-mig-parted standard config: as many ${profile} as fit (${modelList}).`,
      source: 'builtin',
      entries: only ? [{ devices: 'all', layout: only.layout }] : entries,
    });
  }
  return layouts;
}

/** Whether an entry applies to a GPU: its devices list it and its model filter (if any) names its model. */
export function entryApplies(
  entry: NamedLayoutEntry,
  gpuIndex: number,
  modelKey: GpuModelKey | null,
): boolean {
  if (entry.devices !== 'all' && !entry.devices.includes(gpuIndex)) return false;
  if (entry.models === undefined) return true;
  return modelKey !== null && entry.models.includes(modelKey);
}

function cloneLayout(layout: MigLayout): MigLayout {
  return {
    migEnabled: layout.migEnabled,
    gpuInstances: layout.gpuInstances.map((gi) => ({
      profile: gi.profile,
      ...(gi.start !== undefined ? { start: gi.start } : {}),
      ...(gi.computeInstances ? { computeInstances: gi.computeInstances.map((ci) => ({ ...ci })) } : {}),
    })),
  };
}

/** The console's own layouts (all-1g … balanced) that have an entry for a model. */
function genericLayoutsFor(modelKey: GpuModelKey): string[] {
  return builtinLayouts()
    .filter((l) => GENERIC_LAYOUT_NAMES.includes(l.name))
    .filter((l) => l.entries.some((e) => e.models?.includes(modelKey)))
    .map((l) => l.name);
}

/** Why a model lacks what a layout's name asks for (`that GPU has no 3g profile`), when the name says. */
function missingProfileReason(name: string, model: GpuModel): string | undefined {
  const generic = /^all-(\d)g$/.exec(name);
  if (generic) {
    const g = Number(generic[1]);
    return plainProfile(model, g) ? undefined : `that GPU has no ${g}g profile`;
  }
  const named = model.giProfiles.some((p) => migPartedAllName(p.name) === name);
  const asked = /^all-(\d+g\.\d+gb.*)$/.exec(name)?.[1];
  if (asked && !named) return `that GPU has no ${asked.replace(/\.(me|gfx)/, '+$1')} profile`;
  return undefined;
}

function layoutsHint(model: GpuModel): string {
  const names = genericLayoutsFor(model.key);
  return names.length > 0 ? `; layouts for it: ${names.join(', ')}` : '';
}

/**
 * The layout a named layout gives GPU `gpuIndex` of a model (null: a model the catalogue does not
 * know). Entries are walked in order and the last one that applies wins (mig-parted's rule).
 * Fails, in operator words, where no entry applies or where the chosen layout asks for a GI profile
 * the model does not have (an unfiltered mig-parted config such as all-3g.40gb on an A100-40GB).
 */
export function resolveLayout(
  named: NamedLayout,
  gpuIndex: number,
  modelKey: GpuModelKey | null,
): { ok: true; layout: MigLayout } | { ok: false; message: string } {
  let chosen: NamedLayoutEntry | undefined;
  for (const entry of named.entries) if (entryApplies(entry, gpuIndex, modelKey)) chosen = entry;
  const model = modelKey === null ? undefined : findModel(modelKey);

  if (!chosen) {
    const otherGpus = named.entries.filter((e) => entryApplies({ ...e, devices: 'all' }, gpuIndex, modelKey));
    if (otherGpus.length > 0) {
      const listed = [...new Set(otherGpus.flatMap((e) => (e.devices === 'all' ? [] : e.devices)))];
      return {
        ok: false,
        message: `${named.name} has no entry for GPU ${gpuIndex}${modelKey === null ? '' : ` (${modelKey})`}: its entries cover GPU ${listed.sort((a, b) => a - b).join(', ')} only`,
      };
    }
    if (modelKey === null) {
      return {
        ok: false,
        message: `${named.name} has no entry for GPU ${gpuIndex}: the console does not know its model, and ${named.name} only covers particular models`,
      };
    }
    if (!model) {
      return {
        ok: false,
        message: `${named.name} has no entry for ${modelKey}: the console's catalogue does not know that model`,
      };
    }
    const reason = missingProfileReason(named.name, model);
    const covered = [...new Set(named.entries.flatMap((e) => e.models ?? []))];
    const why =
      reason ??
      (covered.length > 0
        ? `its entries are for ${covered.join(', ')}`
        : 'none of its entries match that GPU');
    return { ok: false, message: `${named.name} has no entry for ${modelKey}: ${why}${layoutsHint(model)}` };
  }

  if (model) {
    const missing = chosen.layout.gpuInstances.find((gi) => !giProfileByName(model, gi.profile));
    if (missing) {
      return {
        ok: false,
        message: `${named.name} cannot apply to ${model.key}: that GPU has no ${missing.profile} profile${layoutsHint(model)}`,
      };
    }
  }
  return { ok: true, layout: cloneLayout(chosen.layout) };
}

/** `2× 1g.10gb, 1× 2g.20gb, 1× 3g.40gb`; CIs other than the default full one in brackets. */
export function describeLayout(layout: MigLayout): string {
  if (!layout.migEnabled) return 'MIG disabled';
  if (layout.gpuInstances.length === 0) return 'MIG enabled, no GPU instances';
  const counts = new Map<string, number>();
  for (const gi of layout.gpuInstances) {
    let label = gi.profile;
    if (gi.computeInstances) {
      const base = gi.profile.replace(/[+-].*$/, '');
      const cis = gi.computeInstances;
      if (cis.length === 0) label += ' (no compute instances)';
      else if (!(cis.length === 1 && cis[0]?.profile === base)) {
        const ciCounts = new Map<string, number>();
        for (const ci of cis) ciCounts.set(ci.profile, (ciCounts.get(ci.profile) ?? 0) + 1);
        label += ` (${[...ciCounts].map(([p, n]) => `${n}× ${p}`).join(' + ')})`;
      }
    }
    counts.set(label, (counts.get(label) ?? 0) + 1);
  }
  return [...counts].map(([label, n]) => `${n}× ${label}`).join(', ');
}
