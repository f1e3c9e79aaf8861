import { useEffect, useId, useMemo, useRef, useState } from 'react';
import { giProfileByName } from '../../../shared/mig/catalog';
import { describeLayout } from '../../../shared/mig/named-layouts';
import { layoutOf } from '../../../shared/mig/observed';
import { describeSlotSet, freePlacements, validateLayout } from '../../../shared/mig/validate';
import { Icon } from '../../ui/Icon';
import {
  blocksOfLayout,
  ciChoices,
  explicitLayout,
  giName,
  layoutsFor,
  layoutUsage,
  slotsText,
  type ApplyRow,
  type GpuMigState,
  type GpuModel,
  type MigLayout,
  type NamedLayout,
} from './model';
import { PlanPanel } from './PlanPanel';
import { SlotMap } from './SlotMap';
import { Labelled } from './Labelled';

const CURRENT = '*current';
const EMPTY = '*empty';

type Gi = MigLayout['gpuInstances'][number];

/**
 * Edits the MIG layout of one GPU: start from what it has now or from a named layout, place GPU
 * instances (a free cell of the slot map offers the profiles that fit there; the form below places
 * any profile at any of its starts, even a conflicting one), choose compute instances per GPU
 * instance, remove instances. The catalogue's validator runs on every change: problems are listed
 * in words and their slots highlighted on the map. "Plan this layout" asks the core for the plan.
 */
export function LayoutEditor({
  host,
  gpu,
  model,
  layouts,
  onApplied,
  onClose,
}: {
  host: string;
  gpu: GpuMigState;
  model: GpuModel;
  layouts: readonly NamedLayout[];
  onApplied: (results: readonly ApplyRow[]) => void;
  onClose: () => void;
}) {
  const headingId = useId();
  const headingRef = useRef<HTMLHeadingElement>(null);
  const current = useMemo(() => explicitLayout(model, gpu, layoutOf(gpu)), [model, gpu]);
  const named = useMemo(() => layoutsFor(layouts, gpu), [layouts, gpu]);
  const [source, setSource] = useState(CURRENT);
  const [draft, setDraft] = useState<MigLayout>(current);
  const [selectedSlot, setSelectedSlot] = useState<number | null>(null);
  const [selectedGi, setSelectedGi] = useState<number | null>(null);
  const [planned, setPlanned] = useState<MigLayout | null>(null);
  const firstProfile = model.giProfiles[0]?.name ?? '';
  const [addProfile, setAddProfile] = useState(firstProfile);
  const [addStart, setAddStart] = useState<number>(
    giProfileByName(model, firstProfile)?.placementStarts[0] ?? 0,
  );

  useEffect(() => {
    headingRef.current?.focus();
  }, []);

  // A GI just placed takes the focus, so a keyboard user goes on from it (the cell they chose is gone).
  const rootRef = useRef<HTMLElement>(null);
  const [focusGi, setFocusGi] = useState<number | null>(null);
  useEffect(() => {
    if (focusGi === null) return;
    rootRef.current?.querySelector<HTMLElement>(`[data-gi-index="${focusGi}"]`)?.focus();
    setFocusGi(null);
  }, [focusGi]);

  const validation = useMemo(() => validateLayout(model, draft), [model, draft]);
  const problems = validation.ok ? [] : validation.problems;
  const problemGis = new Set(problems.flatMap((p) => (p.gpuInstance === undefined ? [] : [p.gpuInstance])));
  const highlight = [...new Set(problems.flatMap((p) => p.slots ?? []))];
  const free = useMemo(() => freePlacements(model, draft), [model, draft]);
  const usage = layoutUsage(model, draft);
  const fitsAtSlot =
    selectedSlot === null ? [] : free.filter((f) => f.starts.includes(selectedSlot)).map((f) => f.profile);
  const addable = giProfileByName(model, addProfile);
  const freeStarts = new Set(free.find((f) => f.profile === addProfile)?.starts ?? []);

  const change = (next: MigLayout) => {
    setDraft(next);
    setPlanned(null);
  };
  const setGis = (gis: Gi[]) => change({ ...draft, gpuInstances: gis });
  const place = (profile: string, start: number) => {
    const p = giProfileByName(model, profile);
    setGis([...draft.gpuInstances, { profile, start, computeInstances: p ? [{ profile: p.baseName }] : [] }]);
    setSelectedSlot(null);
    setSelectedGi(draft.gpuInstances.length);
    setFocusGi(draft.gpuInstances.length);
  };
  const removeGi = (index: number) => {
    setGis(draft.gpuInstances.filter((_, i) => i !== index));
    setSelectedGi(null);
  };
  const setCis = (index: number, cis: { profile: string }[]) =>
    setGis(draft.gpuInstances.map((gi, i) => (i === index ? { ...gi, computeInstances: cis } : gi)));

  const chooseSource = (value: string) => {
    setSource(value);
    setSelectedSlot(null);
    setSelectedGi(null);
    if (value === CURRENT) change(current);
    else if (value === EMPTY) change({ migEnabled: true, gpuInstances: [] });
    else {
      const found = named.find((n) => n.name === value);
      if (found) change(explicitLayout(model, gpu, found.layout));
    }
  };

  const sorted = draft.gpuInstances
    .map((gi, index) => ({ gi, index }))
    .sort((a, b) => (a.gi.start ?? 0) - (b.gi.start ?? 0) || a.index - b.index);

  return (
    <section ref={rootRef} className="panel layout-editor" aria-labelledby={headingId}>
      <div className="panel-header">
        <h3 id={headingId} ref={headingRef} tabIndex={-1}>
          Layout editor: GPU {gpu.index} <span className="muted">· {model.key}</span>
        </h3>
        <button type="button" className="button button-quiet" onClick={onClose}>
          Close editor
        </button>
      </div>

      <div className="editor-controls">
        <Labelled className="editor-source" label="Start from">
          {(id) => (
            <select id={id} value={source} onChange={(e) => chooseSource(e.target.value)}>
              <option value={CURRENT}>Current layout ({describeLayout(layoutOf(gpu))})</option>
              <option value={EMPTY}>Empty (MIG on, no GPU instances)</option>
              {named.map((n) => (
                <option key={n.name} value={n.name}>
                  {n.name}: {describeLayout(n.layout)}
                </option>
              ))}
            </select>
          )}
        </Labelled>
        <label className="choice editor-mig">
          <input
            type="checkbox"
            checked={draft.migEnabled}
            onChange={(e) => change({ ...draft, migEnabled: e.target.checked })}
          />
          <span>MIG mode enabled</span>
        </label>
        <button
          type="button"
          className="button"
          onClick={() => setGis([])}
          disabled={draft.gpuInstances.length === 0}
        >
          Remove all GPU instances
        </button>
      </div>

      <p className="muted small">
        Select a free slot to see what fits there, or add any profile at any start with the form below. Slots{' '}
        {model.memorySlots}, compute slices {model.computeSlots}.
      </p>

      <SlotMap
        label={`Slot map of GPU ${gpu.index} being edited`}
        slots={model.memorySlots}
        blocks={blocksOfLayout(model, draft, problemGis)}
        highlight={highlight}
        selectedSlot={selectedSlot}
        selectedBlock={selectedGi}
        onFreeSlot={(s) => {
          setSelectedSlot((now) => (now === s ? null : s));
          setSelectedGi(null);
        }}
        onBlock={(b) => {
          setSelectedGi((now) => (now === b.index ? null : (b.index ?? null)));
          setSelectedSlot(null);
        }}
      />

      {validation.ok ? (
        <p className="editor-valid" role="status">
          <Icon name="check" size={14} />
          Valid layout: {describeLayout(draft)}
          {draft.migEnabled &&
            ` — ${usage.memory} of ${model.memorySlots} memory slots, ${usage.compute} of ${model.computeSlots} compute slices`}
        </p>
      ) : (
        <div className="banner banner-danger" role="alert" aria-label="Layout problems">
          <Icon name="alert" />
          <div className="banner-body">
            <p className="banner-title">This layout cannot be applied</p>
            <ul className="plan-problems">
              {problems.map((p) => (
                <li key={`${p.code}:${p.message}`}>
                  {p.message}
                  {p.slots && p.slots.length > 0 && (
                    <span className="muted">
                      {' '}
                      ({p.slots.length === 1 ? 'slot' : 'slots'} {describeSlotSet(p.slots)} highlighted)
                    </span>
                  )}
                </li>
              ))}
            </ul>
          </div>
        </div>
      )}

      {selectedSlot !== null && (
        <div className="fits-here" role="group" aria-label={`Profiles that fit at slot ${selectedSlot}`}>
          <span className="muted">At slot {selectedSlot}:</span>
          {fitsAtSlot.length === 0 ? (
            <span className="muted">nothing fits beside the GPU instances placed.</span>
          ) : (
            fitsAtSlot.map((profile) => (
              <button
                key={profile}
                type="button"
                className="button"
                onClick={() => place(profile, selectedSlot)}
              >
                <Icon name="plus" size={14} />
                Place {profile} at slot {selectedSlot}
              </button>
            ))
          )}
        </div>
      )}

      <form
        className="add-gi"
        aria-label="Add a GPU instance"
        onSubmit={(e) => {
          e.preventDefault();
          if (addable) place(addProfile, addStart);
        }}
      >
        <Labelled className="editor-profile" label="Profile">
          {(id) => (
            <select
              id={id}
              value={addProfile}
              onChange={(e) => {
                const p = giProfileByName(model, e.target.value);
                setAddProfile(e.target.value);
                const fits = free.find((f) => f.profile === e.target.value)?.starts[0];
                setAddStart(fits ?? p?.placementStarts[0] ?? 0);
              }}
            >
              {model.giProfiles.map((p) => {
                const n = free.find((f) => f.profile === p.name)?.starts.length ?? 0;
                return (
                  <option key={p.name} value={p.name}>
                    {p.name} ({p.memorySlices} slot{p.memorySlices === 1 ? '' : 's'}, {p.computeSlices}c) —{' '}
                    {n === 0 ? 'none free' : `${n} free`}
                  </option>
                );
              })}
            </select>
          )}
        </Labelled>
        <Labelled label="Start">
          {(id) => (
            <select id={id} value={addStart} onChange={(e) => setAddStart(Number(e.target.value))}>
              {(addable?.placementStarts ?? []).map((s) => (
                <option key={s} value={s}>
                  {slotsText(s, addable?.memorySlices ?? 1)}
                  {freeStarts.has(s) ? ' — free' : ' — conflicts'}
                </option>
              ))}
            </select>
          )}
        </Labelled>
        <button type="submit" className="button" disabled={!addable || !draft.migEnabled}>
          <Icon name="plus" size={14} />
          Add GPU instance
        </button>
      </form>

      {sorted.length > 0 && (
        <div className="table-card">
          <table className="table gi-table" aria-label={`GPU instances of GPU ${gpu.index} being edited`}>
            <thead>
              <tr>
                <th scope="col">GPU instance</th>
                <th scope="col">Compute instances</th>
                <th scope="col">Add a compute instance</th>
                <th scope="col">
                  <span className="visually-hidden">Remove</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {sorted.map(({ gi, index }) => (
                <GiRow
                  key={`${index}-${gi.profile}-${gi.start}`}
                  model={model}
                  gi={gi}
                  selected={selectedGi === index}
                  problem={problemGis.has(index)}
                  onCis={(cis) => setCis(index, cis)}
                  onRemove={() => removeGi(index)}
                />
              ))}
            </tbody>
          </table>
        </div>
      )}

      <div className="form-actions">
        <button
          type="button"
          className="button button-primary"
          disabled={!validation.ok}
          onClick={() => setPlanned(draft)}
        >
          Plan this layout
        </button>
      </div>

      {planned && (
        <PlanPanel
          host={host}
          gpus={[gpu.index]}
          choice={{ layout: planned }}
          title={`Plan for GPU ${gpu.index}: ${describeLayout(planned)}`}
          states={[gpu]}
          onApplied={onApplied}
          onClose={() => setPlanned(null)}
        />
      )}
    </section>
  );
}

function GiRow({
  model,
  gi,
  selected,
  problem,
  onCis,
  onRemove,
}: {
  model: GpuModel;
  gi: Gi;
  selected: boolean;
  problem: boolean;
  onCis: (cis: { profile: string }[]) => void;
  onRemove: () => void;
}) {
  const size = giProfileByName(model, gi.profile)?.memorySlices ?? 1;
  const name = giName(gi.profile, gi.start ?? 0, size);
  const choices = ciChoices(model, gi.profile);
  const [chosen, setCi] = useState(choices[0] ?? '');
  const ci = choices.includes(chosen) ? chosen : (choices[0] ?? '');
  const cis = gi.computeInstances ?? [];
  return (
    <tr className={`${selected ? 'gi-row-selected' : ''}${problem ? ' gi-row-problem' : ''}`}>
      <td>
        <strong>{gi.profile}</strong> <span className="muted">{slotsText(gi.start ?? 0, size)}</span>
      </td>
      <td>
        <span className="badge-list">
          {cis.length === 0 && <span className="muted">none</span>}
          {cis.map((c, i) => (
            <span key={`${c.profile}-${i}`} className="ci-chip ci-chip-removable">
              {c.profile}
              <button
                type="button"
                className="ci-remove"
                aria-label={`Remove compute instance ${c.profile} from ${name}`}
                onClick={() => onCis(cis.filter((_, k) => k !== i))}
              >
                <Icon name="close" size={12} />
              </button>
            </span>
          ))}
        </span>
      </td>
      <td>
        <span className="ci-add">
          <select
            aria-label={`Compute instance profile for ${name}`}
            value={ci}
            onChange={(e) => setCi(e.target.value)}
          >
            {choices.map((c) => (
              <option key={c} value={c}>
                {c}
              </option>
            ))}
          </select>
          <button
            type="button"
            className="button"
            aria-label={`Add compute instance ${ci} to ${name}`}
            onClick={() => onCis([...cis, { profile: ci }])}
            disabled={!ci}
          >
            <Icon name="plus" size={14} />
            Add
          </button>
        </span>
      </td>
      <td className="cell-numeric">
        <button type="button" className="button" aria-label={`Remove ${name}`} onClick={onRemove}>
          Remove
        </button>
      </td>
    </tr>
  );
}
