// The MIG layout validator (shared/mig/validate.ts) against the placement rules of mig.md §4: tables
// of cases on the 4-slot A30 and the 8-slot parts, the exact operator wording, and a property test
// that the validator and the lab simulator agree on every candidate layout of every catalogued model.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { GPU_MODELS, ciProfilesOf, findModel } from '../../shared/mig/catalog';
import type { GpuModel } from '../../shared/mig/catalog';
import type { GpuInstanceSpec, MigLayout } from '../../shared/mig/layout';
import { describeSlotSet, describeSlots, freePlacements, validateLayout } from '../../shared/mig/validate';
import type { LayoutProblem, LayoutValidation } from '../../shared/mig/validate';
import { giProfile as simGiProfile, gpuModel as simModel } from '../lab/nvidia-smi/catalogue';
import { ciProfiles as simCiProfiles } from '../lab/nvidia-smi/geometry';
import { createHostState } from '../lab/nvidia-smi/state';
import type { HostState } from '../lab/nvidia-smi/state';
import { knownCiDisagreement, resolveGiId, runCommand } from '../support/mig-sim';

function model(key: string): GpuModel {
  const m = findModel(key);
  if (!m) throw new Error(`no model ${key}`);
  return m;
}

const A30 = model('A30-24GB');
const A100 = model('A100-80GB');
const H100 = model('H100-80GB-SXM5');

function layout(...gpuInstances: GpuInstanceSpec[]): MigLayout {
  return { migEnabled: true, gpuInstances };
}

function problems(v: LayoutValidation): LayoutProblem[] {
  if (v.ok) throw new Error(`expected problems, got a valid layout: ${JSON.stringify(v.placed)}`);
  return v.problems;
}

function placedStarts(v: LayoutValidation): number[] {
  if (!v.ok) throw new Error(`expected a valid layout: ${v.problems.map((p) => p.message).join('; ')}`);
  return v.placed.map((p) => p.start);
}

describe('wording helpers', () => {
  it('names one slot or a run of slots', () => {
    expect(describeSlots(6, 1)).toBe('slot 6');
    expect(describeSlots(4, 2)).toBe('slots 4–5');
    expect(describeSlots(0, 8)).toBe('slots 0–7');
    expect(describeSlotSet([6, 0, 1, 2, 3])).toBe('0–3, 6');
  });
});

describe('valid layouts get a start for every GPU instance', () => {
  const cases: { name: string; model: GpuModel; layout: MigLayout; starts: number[] }[] = [
    { name: 'A30 one 4g', model: A30, layout: layout({ profile: '4g.24gb' }), starts: [0] },
    {
      name: 'A30 two 2g',
      model: A30,
      layout: layout({ profile: '2g.12gb' }, { profile: '2g.12gb' }),
      starts: [0, 2],
    },
    {
      name: 'A30 four 1g',
      model: A30,
      layout: layout(...Array.from({ length: 4 }, () => ({ profile: '1g.6gb' }))),
      starts: [0, 1, 2, 3],
    },
    {
      name: 'A30 2g+me with two 1g around a given start',
      model: A30,
      layout: layout({ profile: '1g.6gb', start: 0 }, { profile: '2g.12gb+me' }, { profile: '1g.6gb' }),
      starts: [0, 2, 1],
    },
    {
      name: 'A100 balanced (mig-parted all-balanced)',
      model: A100,
      layout: layout(
        { profile: '1g.10gb' },
        { profile: '1g.10gb' },
        { profile: '2g.20gb' },
        { profile: '3g.40gb' },
      ),
      // The 3g takes slot 0 first, but then one 1g finds no slot (7 is never a 1g's), so it moves to 4.
      starts: [2, 3, 0, 4],
    },
    {
      name: 'A100 a 3g placed by start pushes the other 3g to slot 4',
      model: A100,
      layout: layout({ profile: '3g.40gb', start: 0 }, { profile: '3g.40gb' }),
      starts: [0, 4],
    },
    {
      name: 'A100 a 2g at 4 leaves slot 0 for the 3g',
      model: A100,
      layout: layout({ profile: '2g.20gb', start: 4 }, { profile: '3g.40gb' }),
      starts: [4, 0],
    },
    {
      name: 'A100 4g beside a 3g (R510+ drivers allow it, mig.md §4.1)',
      model: A100,
      layout: layout({ profile: '4g.40gb' }, { profile: '3g.40gb' }),
      starts: [0, 4],
    },
    {
      name: 'H100 seven 1g',
      model: H100,
      layout: layout(...Array.from({ length: 7 }, () => ({ profile: '1g.10gb' }))),
      starts: [0, 1, 2, 3, 4, 5, 6],
    },
    {
      name: 'H100 four double-memory 1g',
      model: H100,
      layout: layout(...Array.from({ length: 4 }, () => ({ profile: '1g.20gb' }))),
      starts: [0, 2, 4, 6],
    },
    { name: 'H100 the whole GPU', model: H100, layout: layout({ profile: '7g.80gb' }), starts: [0] },
    {
      name: 'H100 +me beside plain 1g',
      model: H100,
      layout: layout({ profile: '1g.10gb+me', start: 6 }, { profile: '3g.40gb' }, { profile: '1g.10gb' }),
      starts: [6, 0, 4],
    },
    { name: 'MIG on without GPU instances', model: H100, layout: layout(), starts: [] },
    { name: 'MIG off', model: A30, layout: { migEnabled: false, gpuInstances: [] }, starts: [] },
  ];
  it.each(cases)('$name', ({ model: m, layout: l, starts }) => {
    expect(placedStarts(validateLayout(m, l))).toEqual(starts);
  });

  it('fills in the default full-size CI, keeps an explicit empty list, and accepts `MIG ` names', () => {
    const v = validateLayout(
      A100,
      layout(
        { profile: '3g.40gb' },
        { profile: '2g.20gb', computeInstances: [] },
        { profile: '1g.10gb+me', computeInstances: [{ profile: 'MIG 1g.10gb' }] },
      ),
    );
    if (!v.ok) throw new Error(v.problems[0]?.message);
    expect(v.placed.map((p) => p.computeInstances)).toEqual([
      [{ profile: '3g.40gb', profileId: 2, computeSlices: 3 }],
      [],
      [{ profile: '1g.10gb', profileId: 0, computeSlices: 1 }],
    ]);
    expect(v.placed.map((p) => [p.profile, p.profileId, p.size, p.startGiven])).toEqual([
      ['3g.40gb', 9, 4, false],
      ['2g.20gb', 14, 2, false],
      ['1g.10gb+me', 20, 1, false],
    ]);
  });

  it('accepts compute instances that share a GPU instance', () => {
    const l = layout(
      { profile: '3g.40gb', computeInstances: [{ profile: '2c.3g.40gb' }, { profile: '1c.3g.40gb' }] },
      {
        profile: '4g.40gb',
        computeInstances: [{ profile: '2c.4g.40gb' }, { profile: '1c.4g.40gb' }, { profile: '1c.4g.40gb' }],
      },
    );
    expect(validateLayout(A100, l).ok).toBe(true);
    const big = layout({
      profile: '7g.80gb',
      computeInstances: [{ profile: '4c.7g.80gb' }, { profile: '2c.7g.80gb' }, { profile: '1c.7g.80gb' }],
    });
    expect(validateLayout(H100, big).ok).toBe(true);
  });
});

describe('problems, in the operator’s words', () => {
  it('a start the profile does not allow', () => {
    const [p, ...rest] = problems(validateLayout(A100, layout({ profile: '2g.20gb', start: 6 })));
    expect(rest).toEqual([]);
    expect(p).toEqual({
      code: 'start-not-allowed',
      message: '2g.20gb cannot start at slot 6; allowed starts: 0, 2, 4',
      gpuInstance: 0,
      slots: [6, 7],
    });
    const [a30] = problems(
      validateLayout(A30, layout({ profile: '1g.6gb' }, { profile: '2g.12gb', start: 1 })),
    );
    expect(a30).toMatchObject({
      code: 'start-not-allowed',
      message: '2g.12gb cannot start at slot 1; allowed starts: 0, 2',
      gpuInstance: 1,
      slots: [1, 2],
    });
    const [outside] = problems(validateLayout(A30, layout({ profile: '1g.6gb', start: 9 })));
    expect(outside).toEqual({
      code: 'start-not-allowed',
      message: '1g.6gb cannot start at slot 9; allowed starts: 0, 1, 2, 3',
      gpuInstance: 0,
    });
  });

  it('overlaps name both GPU instances and the slots they share', () => {
    const v = validateLayout(
      A100,
      layout({ profile: '2g.20gb', start: 4 }, { profile: '3g.40gb', start: 4 }),
    );
    expect(problems(v)).toEqual([
      {
        code: 'overlap',
        message: '3g.40gb at slot 4 overlaps 2g.20gb at slots 4–5',
        gpuInstance: 1,
        slots: [4, 5],
      },
    ]);
    const one = validateLayout(
      H100,
      layout({ profile: '1g.10gb', start: 5 }, { profile: '1g.10gb', start: 5 }),
    );
    expect(problems(one)).toEqual([
      {
        code: 'overlap',
        message: '1g.10gb at slot 5 overlaps 1g.10gb at slot 5',
        gpuInstance: 1,
        slots: [5],
      },
    ]);
    const three = validateLayout(
      A30,
      layout(
        { profile: '4g.24gb', start: 0 },
        { profile: '1g.6gb', start: 3 },
        { profile: '2g.12gb', start: 2 },
      ),
    );
    expect(
      problems(three)
        .filter((p) => p.code === 'overlap')
        .map((p) => [p.message, p.slots]),
    ).toEqual([
      ['1g.6gb at slot 3 overlaps 4g.24gb at slots 0–3', [3]],
      ['2g.12gb at slot 2 overlaps 4g.24gb at slots 0–3', [2, 3]],
      ['2g.12gb at slot 2 overlaps 1g.6gb at slot 3', [3]],
    ]);
  });

  it('an unknown profile lists the model’s profiles and suggests the closest', () => {
    const [p] = problems(validateLayout(A100, layout({ profile: '3g.40gb' }, { profile: '4g.80gb' })));
    expect(p).toEqual({
      code: 'unknown-profile',
      message:
        '"4g.80gb" is not a GPU instance profile of A100-80GB; its profiles are 1g.10gb, 1g.10gb+me, 1g.20gb, 2g.20gb, 3g.40gb, 4g.40gb, 7g.80gb. Did you mean 4g.40gb?',
      gpuInstance: 1,
    });
    const [a30] = problems(validateLayout(A30, layout({ profile: '1g.5gb' })));
    expect(a30?.message).toBe(
      '"1g.5gb" is not a GPU instance profile of A30-24GB; its profiles are 1g.6gb, 1g.6gb+me, 2g.12gb, 2g.12gb+me, 4g.24gb. Did you mean 1g.6gb or 1g.6gb+me?',
    );
    const [odd] = problems(validateLayout(A30, layout({ profile: 'big' })));
    expect(odd?.message).toBe(
      '"big" is not a GPU instance profile of A30-24GB; its profiles are 1g.6gb, 1g.6gb+me, 2g.12gb, 2g.12gb+me, 4g.24gb.',
    );
  });

  it('+me: one media-extension GPU instance at most, whatever its profile', () => {
    const two = problems(validateLayout(H100, layout({ profile: '1g.10gb+me' }, { profile: '1g.10gb+me' })));
    expect(two).toEqual([
      {
        code: 'media-extensions',
        message:
          'Only one GPU instance with media extensions (+me) can exist on a GPU; the layout asks for 2 (1g.10gb+me, 1g.10gb+me)',
        gpuInstance: 1,
      },
    ]);
    const mixed = problems(validateLayout(A30, layout({ profile: '1g.6gb+me' }, { profile: '2g.12gb+me' })));
    expect(mixed.map((p) => p.code)).toEqual(['media-extensions']);
    expect(mixed[0]?.message).toContain('asks for 2 (1g.6gb+me, 2g.12gb+me)');
  });

  it('per-profile counts, total GPU instances, compute slices and memory slots', () => {
    const threeG = problems(
      validateLayout(A100, layout(...Array.from({ length: 3 }, () => ({ profile: '3g.40gb' })))),
    );
    expect(threeG).toEqual([
      {
        code: 'too-many-of-profile',
        message: 'The layout asks for 3 × 3g.40gb; A100-80GB allows at most 2',
        gpuInstance: 2,
      },
      {
        code: 'compute-slices',
        message: 'The layout needs 9 compute slices (3g.40gb 3 + 3g.40gb 3 + 3g.40gb 3); A100-80GB has 7',
      },
      {
        code: 'memory-slots',
        message: 'The layout needs 12 memory slots (3g.40gb 4 + 3g.40gb 4 + 3g.40gb 4); A100-80GB has 8',
      },
    ]);
    const five = problems(
      validateLayout(A30, layout(...Array.from({ length: 5 }, () => ({ profile: '1g.6gb' })))),
    );
    expect(five.map((p) => p.code)).toEqual([
      'too-many-of-profile',
      'too-many-instances',
      'compute-slices',
      'memory-slots',
    ]);
    expect(five[1]).toEqual({
      code: 'too-many-instances',
      message: 'The layout asks for 5 GPU instances; A30-24GB allows at most 4',
      gpuInstance: 4,
    });
    const compute = problems(
      validateLayout(A100, layout({ profile: '4g.40gb' }, { profile: '2g.20gb' }, { profile: '2g.20gb' })),
    );
    expect(compute.map((p) => p.code)).toEqual(['compute-slices']);
    const memory = problems(
      validateLayout(
        H100,
        layout(...Array.from({ length: 4 }, () => ({ profile: '1g.20gb' })), { profile: '1g.10gb' }),
      ),
    );
    expect(memory).toEqual([
      {
        code: 'memory-slots',
        message:
          'The layout needs 9 memory slots (1g.20gb 2 + 1g.20gb 2 + 1g.20gb 2 + 1g.20gb 2 + 1g.10gb 1); H100-80GB-SXM5 has 8',
      },
    ]);
  });

  it('GPU instances without a start that cannot be packed: what is asked versus the free slots', () => {
    const a30 = problems(
      validateLayout(
        A30,
        layout({ profile: '1g.6gb', start: 1 }, { profile: '1g.6gb', start: 2 }, { profile: '2g.12gb' }),
      ),
    );
    expect(a30).toEqual([
      {
        code: 'does-not-fit',
        message:
          '2g.12gb (no start given) does not fit: 2g.12gb needs 2 slots starting at 0 or 2, and the free slots are 0, 3 besides the GPU instances placed by start',
        gpuInstance: 2,
        slots: [0, 3],
      },
    ]);
    const h100 = problems(
      validateLayout(
        H100,
        layout(
          { profile: '1g.10gb', start: 1 },
          { profile: '1g.10gb', start: 5 },
          { profile: '3g.40gb' },
          { profile: '2g.20gb' },
        ),
      ),
    );
    expect(h100).toEqual([
      {
        code: 'does-not-fit',
        message:
          '3g.40gb and 2g.20gb (no start given) do not fit together: 3g.40gb needs 4 slots starting at 0 or 4; 2g.20gb needs 2 slots starting at 0, 2 or 4, and the free slots are 0, 2–4, 6–7 besides the GPU instances placed by start',
        gpuInstance: 2,
        slots: [0, 2, 3, 4, 6, 7],
      },
    ]);
    const fourG = problems(
      validateLayout(A100, layout({ profile: '1g.10gb', start: 3 }, { profile: '4g.40gb' })),
    );
    expect(fourG[0]?.code).toBe('does-not-fit');
    expect(fourG[0]?.message).toContain('4g.40gb needs 4 slots starting at 0');
  });

  it('MIG off means no GPU instances', () => {
    expect(
      problems(validateLayout(A100, { migEnabled: false, gpuInstances: [{ profile: '7g.80gb' }] })),
    ).toEqual([
      {
        code: 'mig-disabled-with-instances',
        message: 'MIG mode is off in this layout, so it can have no GPU instances (it lists 1)',
      },
    ]);
  });

  it('compute instances: profile offered by the GI, counts, slices', () => {
    const unknown = problems(
      validateLayout(H100, layout({ profile: '1g.10gb', computeInstances: [{ profile: '2c.1g.10gb' }] })),
    );
    expect(unknown).toEqual([
      {
        code: 'unknown-ci-profile',
        message: '"2c.1g.10gb" is not a compute instance profile of 1g.10gb; it offers 1g.10gb',
        gpuInstance: 0,
      },
    ]);
    const wrongGi = problems(
      validateLayout(
        A100,
        layout({ profile: '3g.40gb', start: 4, computeInstances: [{ profile: '1c.4g.40gb' }] }),
      ),
    );
    expect(wrongGi[0]?.message).toBe(
      '"1c.4g.40gb" is not a compute instance profile of 3g.40gb; it offers 1c.3g.40gb, 2c.3g.40gb, 3g.40gb',
    );
    const tooMany = problems(
      validateLayout(
        A100,
        layout({
          profile: '3g.40gb',
          start: 4,
          computeInstances: Array.from({ length: 4 }, () => ({ profile: '1c.3g.40gb' })),
        }),
      ),
    );
    expect(tooMany).toEqual([
      {
        code: 'too-many-of-ci-profile',
        message: '3g.40gb at slot 4 asks for 4 × 1c.3g.40gb; at most 3 fit in one 3g.40gb',
        gpuInstance: 0,
      },
      {
        code: 'ci-compute-slices',
        message:
          'The compute instances of 3g.40gb at slot 4 need 4 compute slices (1c.3g.40gb 1 + 1c.3g.40gb 1 + 1c.3g.40gb 1 + 1c.3g.40gb 1); a 3g.40gb has 3',
        gpuInstance: 0,
      },
    ]);
    const slices = problems(
      validateLayout(
        A30,
        layout(
          { profile: '1g.6gb' },
          { profile: '2g.12gb', computeInstances: [{ profile: '2g.12gb' }, { profile: '1c.2g.12gb' }] },
        ),
      ),
    );
    expect(slices).toEqual([
      {
        code: 'ci-compute-slices',
        message:
          'The compute instances of 2g.12gb (GPU instance 2) need 3 compute slices (2g.12gb 2 + 1c.2g.12gb 1); a 2g.12gb has 2',
        gpuInstance: 1,
      },
    ]);
    // `+me` is never part of a CI name (mig.md §1).
    const me = problems(
      validateLayout(H100, layout({ profile: '1g.10gb+me', computeInstances: [{ profile: '1g.10gb+me' }] })),
    );
    expect(me[0]?.code).toBe('unknown-ci-profile');
  });
});

describe('freePlacements: where one more GPU instance can go', () => {
  const starts = (m: GpuModel, l: MigLayout): Record<string, number[]> =>
    Object.fromEntries(freePlacements(m, l).map((f) => [f.profile, f.starts]));

  it('around GPU instances placed by start', () => {
    expect(starts(A100, layout({ profile: '3g.40gb', start: 0 }))).toEqual({
      '1g.10gb': [4, 5, 6],
      '1g.10gb+me': [4, 5, 6],
      '1g.20gb': [4, 6],
      '2g.20gb': [4],
      '3g.40gb': [4],
      '4g.40gb': [],
      '7g.80gb': [],
    });
  });

  it('GPU instances without a start move out of the way', () => {
    expect(starts(A100, layout({ profile: '3g.40gb' }))).toMatchObject({
      '3g.40gb': [0, 4],
      '4g.40gb': [0],
      '2g.20gb': [0, 2, 4],
      '7g.80gb': [],
    });
  });

  it('counts, +me and compute slices still apply', () => {
    const l = layout(
      { profile: '1g.10gb+me', start: 6 },
      { profile: '2g.20gb' },
      { profile: '2g.20gb' },
      { profile: '2g.20gb' },
    );
    expect(starts(H100, l)).toEqual({
      '1g.10gb': [],
      '1g.10gb+me': [],
      '1g.20gb': [],
      '2g.20gb': [],
      '3g.40gb': [],
      '4g.40gb': [],
      '7g.80gb': [],
    });
    expect(starts(A30, layout({ profile: '1g.6gb+me', start: 0 }))).toMatchObject({
      '1g.6gb': [1, 2, 3],
      '1g.6gb+me': [],
      '2g.12gb': [2],
      '2g.12gb+me': [],
    });
  });

  it('an invalid layout answers by occupancy; MIG off offers nothing', () => {
    const broken = layout({ profile: '3g.40gb', start: 0 }, { profile: '3g.40gb', start: 2 });
    // Both 3g count against the profile's two, so none more; the rest avoids the one at slot 0.
    expect(starts(A100, broken)).toMatchObject({ '1g.10gb': [4, 5, 6], '3g.40gb': [], '2g.20gb': [4] });
    expect(
      freePlacements(A30, { migEnabled: false, gpuInstances: [] }).every((f) => f.starts.length === 0),
    ).toBe(true);
  });
});

// ---------------------------------------------------------------------------------------------
// The validator against the simulator

/**
 * What creating the layout does in the simulator: each GI with its explicit placement (`-cgi
 * <name>:<start>`), then the CIs of each GI, larger first, `-cci` bare for the default CI.
 */
function simAccepts(key: string, l: MigLayout): { ok: boolean; transcript: string } {
  let state: HostState = createHostState({ hostname: 'lab-gpu-1', gpus: [{ model: key }], migEnabled: true });
  const log: string[] = [];
  const run = (command: string): boolean => {
    const r = runCommand(state, command);
    log.push(`$ ${command}\n${r.stdout}`);
    state = r.state;
    return r.exitCode === 0;
  };
  const done = (ok: boolean): { ok: boolean; transcript: string } => ({ ok, transcript: log.join('') });
  for (const gi of l.gpuInstances)
    if (!run(`nvidia-smi mig -i 0 -cgi ${gi.profile}:${gi.start ?? 0}`)) return done(false);
  const m = model(key);
  for (const gi of l.gpuInstances) {
    const id = resolveGiId(state, 0, { profile: gi.profile, start: gi.start ?? 0 });
    const slices = m.giProfiles.find((p) => p.name === gi.profile)?.computeSlices ?? 0;
    const size = (name: string): number => Number(/^(\d+)c\./.exec(name)?.[1] ?? slices);
    if (gi.computeInstances === undefined) {
      if (!run(`nvidia-smi mig -i 0 -gi ${id} -cci`)) return done(false);
      continue;
    }
    const cis = [...gi.computeInstances].sort((a, b) => size(b.profile) - size(a.profile));
    for (const ci of cis) if (!run(`nvidia-smi mig -i 0 -gi ${id} -cci ${ci.profile}`)) return done(false);
  }
  return done(true);
}

const candidateLayout = (m: GpuModel): fc.Arbitrary<MigLayout> =>
  fc
    .array(
      fc.record({
        profile: fc.oneof(
          { weight: 12, arbitrary: fc.constantFrom(...m.giProfiles.map((p) => p.name)) },
          { weight: 1, arbitrary: fc.constant('5g.50gb') },
        ),
        // Mostly starts the profile allows, so that many candidates are valid; sometimes any slot.
        start: fc.oneof(
          { weight: 4, arbitrary: fc.nat(6).map((k) => ({ allowed: k })) },
          { weight: 1, arbitrary: fc.integer({ min: 0, max: m.memorySlots - 1 }).map((slot) => ({ slot })) },
        ),
        cis: fc.option(fc.array(fc.nat(9), { maxLength: 3 }), { nil: undefined, freq: 2 }),
      }),
      { maxLength: m.maxGpuInstances + 1 },
    )
    .map((gis) =>
      layout(
        ...gis.map((g) => {
          const p = m.giProfiles.find((x) => x.name === g.profile);
          const offered = p ? ciProfilesOf(p).map((c) => c.name) : [];
          // Mostly CI profiles the GI offers; index 9 (past the list) a foreign one.
          const pick = (k: number): string => offered[k % (offered.length + 1)] ?? `1c.${g.profile}-x`;
          const allowed = p?.placementStarts ?? [0];
          const start = 'slot' in g.start ? g.start.slot : (allowed[g.start.allowed % allowed.length] ?? 0);
          return {
            profile: g.profile,
            start,
            ...(g.cis ? { computeInstances: g.cis.map((k) => ({ profile: pick(k) })) } : {}),
          };
        }),
      ),
    );

describe('property: the validator and the simulator agree', () => {
  it('known disagreement: in a 7g GI the simulator refuses 4c beside 3c, and 3c beside two 2c', () => {
    // The simulator starts a k-slice CI only at a multiple of k [I]; the catalogue counts slices.
    for (const cis of [
      ['4c.7g.80gb', '3c.7g.80gb'],
      ['3c.7g.80gb', '2c.7g.80gb', '2c.7g.80gb'],
    ]) {
      const l = layout({
        profile: '7g.80gb',
        start: 0,
        computeInstances: cis.map((profile) => ({ profile })),
      });
      expect(validateLayout(H100, l).ok).toBe(true);
      expect(simAccepts('H100-80GB-SXM5', l).ok).toBe(false);
      expect(knownCiDisagreement('H100-80GB-SXM5', l)).toBe(true);
    }
  });

  it('3c.4g.* is offered by both: a 3c beside a 1c in a 4g is accepted by the validator and the simulator', () => {
    expect(
      simCiProfiles(simModel('A100-80GB'), simGiProfile(simModel('A100-80GB'), 5)!).some(
        (c) => c.name === '3c.4g.40gb',
      ),
    ).toBe(true);
    const l = layout({
      profile: '4g.40gb',
      start: 0,
      computeInstances: [{ profile: '3c.4g.40gb' }, { profile: '1c.4g.40gb' }],
    });
    expect(validateLayout(A100, l).ok).toBe(true);
    expect(simAccepts('A100-80GB', l).ok).toBe(true);
  });

  it.each(GPU_MODELS.map((m) => m.key))(
    '%s: validateLayout ok iff the simulator creates the layout',
    (key) => {
      const m = model(key);
      // Every catalogued GI profile exists in the simulator with the same ID.
      for (const p of m.giProfiles) expect(simGiProfile(simModel(key), p.id)?.name).toBe(p.name);
      fc.assert(
        fc.property(candidateLayout(m), (l) => {
          const v = validateLayout(m, l);
          const sim = simAccepts(key, l);
          if (v.ok === sim.ok) return;
          if (v.ok && !sim.ok && knownCiDisagreement(key, l)) return;
          throw new Error(
            `validator ${v.ok ? 'accepts' : `refuses (${v.problems.map((p) => p.message).join('; ')})`}, simulator ${
              sim.ok ? 'accepts' : 'refuses'
            }:\n${JSON.stringify(l)}\n${sim.transcript}`,
          );
        }),
        { numRuns: 300, seed: 20260729 + key.length },
      );
    },
  );
});
