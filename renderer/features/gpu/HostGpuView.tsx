import { useEffect, useId, useMemo, useRef, useState } from 'react';
import type { LayoutChoice } from '../../../shared/api';
import type { OutputOf } from '../../../shared/client';
import { describeLayout } from '../../../shared/mig/named-layouts';
import { useProcedure } from '../../app/calls';
import { Badge } from '../../ui/Badge';
import { Icon } from '../../ui/Icon';
import { Loadable } from '../../ui/Loadable';
import { Timestamp } from '../../ui/Timestamp';
import { plural } from '../../ui/format';
import { LayoutEditor } from './LayoutEditor';
import {
  blocksOfState,
  stateModel,
  usedSlots,
  type ApplyRow,
  type GpuMigState,
  type NamedLayout,
} from './model';
import { PlanPanel } from './PlanPanel';
import { SlotMap } from './SlotMap';
import { Labelled } from './Labelled';

type HostState = OutputOf<'gpu.state'>;
type Drift = HostState['drift'][number];

type Work =
  | { kind: 'edit'; gpu: number }
  | { kind: 'plan'; choice: LayoutChoice; gpus: number[]; title: string; id: number };

/** States read back by an apply, over the read they replace (dropped when the host is read again). */
interface ReadBack {
  base: HostState;
  gpus: Map<number, GpuMigState>;
  /** GPUs whose apply ended as the layout asked: their drift is resolved. */
  settled: Set<number>;
}

/**
 * One host's GPUs as read now (gpu.state over SSH): a slot map per GPU, drift from the recorded
 * layout with "Re-apply recorded layout", a named layout for several GPUs at once, and the layout
 * editor for one GPU. Applying re-draws the maps from the state the applier read back.
 */
export function HostGpuView({
  host,
  layouts,
  onRead,
  readAgain,
}: {
  host: string;
  layouts: readonly NamedLayout[];
  onRead: (host: string, gpus: readonly GpuMigState[]) => void;
  /** A change asks for the host to be read again (a fleet apply ended). */
  readAgain: number;
}) {
  const state = useProcedure('gpu.state', { host });
  const [readBack, setReadBack] = useState<ReadBack | null>(null);
  const [work, setWork] = useState<Work | null>(null);
  const workRef = useRef<HTMLDivElement>(null);
  const planIds = useRef(0);
  const regionId = useId();

  const data = state.data;
  const live = readBack && readBack.base === data ? readBack : null;
  const gpus = useMemo(() => (data ? data.gpus.map((g) => live?.gpus.get(g.index) ?? g) : []), [data, live]);
  const drift = (data?.drift ?? []).filter((d) => !live?.settled.has(d.gpu));

  const seenReadAgain = useRef(readAgain);
  const reload = state.reload;
  useEffect(() => {
    if (seenReadAgain.current === readAgain) return;
    seenReadAgain.current = readAgain;
    reload();
  }, [readAgain, reload]);

  useEffect(() => {
    if (data) onRead(host, gpus);
  }, [data, gpus, host, onRead]);

  useEffect(() => {
    if (!work) return;
    workRef.current?.scrollIntoView({ block: 'start' });
    if (work.kind === 'plan') workRef.current?.querySelector<HTMLElement>('h3')?.focus();
  }, [work]);

  const applied = (results: readonly ApplyRow[]) => {
    if (!data) return;
    const next = new Map(live?.gpus ?? []);
    const settled = new Set(live?.settled ?? []);
    for (const r of results) {
      if (r.finalState) next.set(r.gpu, r.finalState);
      if (r.outcome === 'applied' || r.outcome === 'unchanged') settled.add(r.gpu);
    }
    setReadBack({ base: data, gpus: next, settled });
  };

  const plan = (choice: LayoutChoice, indices: number[], title: string) => {
    planIds.current += 1;
    setWork({ kind: 'plan', choice, gpus: indices, title, id: planIds.current });
  };

  const editing = work?.kind === 'edit' ? gpus.find((g) => g.index === work.gpu) : undefined;
  const editingModel = editing ? stateModel(editing) : undefined;

  return (
    <section className="host-gpus" aria-labelledby={regionId}>
      <div className="section-header">
        <h2 id={regionId}>GPUs of {host}</h2>
        <div className="section-actions">
          {data && (
            <span className="muted small">
              Read <Timestamp value={data.readAt} />
            </span>
          )}
          <button
            type="button"
            className="button"
            onClick={state.reload}
            disabled={state.loading}
            aria-busy={state.loading}
          >
            {state.loading ? (
              <span className="spinner" aria-hidden="true" />
            ) : (
              <Icon name="refresh" size={14} />
            )}
            Read again
          </button>
        </div>
      </div>
      <Loadable state={state} what={`the GPUs of ${host} (nvidia-smi over SSH)`}>
        {() => (
          <>
            {drift.length > 0 && (
              <DriftBanner
                drift={drift}
                onReapply={() =>
                  plan(
                    { recorded: true },
                    drift.map((d) => d.gpu),
                    `Re-apply the recorded layout on ${plural(drift.length, 'GPU')}`,
                  )
                }
              />
            )}
            {gpus.length === 0 ? (
              <p className="muted">nvidia-smi on {host} lists no GPUs.</p>
            ) : (
              <NamedLayoutForm
                gpus={gpus}
                layouts={layouts}
                onPlan={(name, indices) =>
                  plan({ name }, indices, `Plan: ${name} on GPU ${indices.join(', ')}`)
                }
              />
            )}
            <div ref={workRef} className="work-area">
              {work?.kind === 'edit' && editing && editingModel && (
                <LayoutEditor
                  key={`edit-${work.gpu}`}
                  host={host}
                  gpu={editing}
                  model={editingModel}
                  layouts={layouts}
                  onApplied={applied}
                  onClose={() => setWork(null)}
                />
              )}
              {work?.kind === 'plan' && (
                <PlanPanel
                  key={`plan-${work.id}`}
                  host={host}
                  gpus={work.gpus}
                  choice={work.choice}
                  title={work.title}
                  states={gpus}
                  onApplied={applied}
                  onClose={() => setWork(null)}
                />
              )}
            </div>
            <ul className="gpu-cards" aria-label={`GPU slot maps of ${host}`}>
              {gpus.map((g) => (
                <GpuCard
                  key={g.uuid}
                  gpu={g}
                  drift={drift.find((d) => d.gpu === g.index)}
                  editing={work?.kind === 'edit' && work.gpu === g.index}
                  onEdit={() => setWork({ kind: 'edit', gpu: g.index })}
                />
              ))}
            </ul>
          </>
        )}
      </Loadable>
    </section>
  );
}

function DriftBanner({ drift, onReapply }: { drift: readonly Drift[]; onReapply: () => void }) {
  return (
    <div className="banner banner-warn" role="status" aria-label="Drift">
      <Icon name="alert" />
      <div className="banner-body">
        <p className="banner-title">
          {plural(drift.length, 'GPU')} no longer {drift.length === 1 ? 'has' : 'have'} the layout applied
        </p>
        <ul className="drift-list">
          {drift.map((d) => (
            <li key={d.gpu}>
              GPU {d.gpu}: {d.layoutName ? `${d.layoutName}, ` : ''}
              {d.summary} <span className="muted">(applied by {d.appliedBy}, </span>
              <Timestamp value={d.appliedAt} />
              <span className="muted">)</span>
            </li>
          ))}
        </ul>
        <p className="banner-hint">Hopper and later GPUs lose their MIG layout on a reboot.</p>
      </div>
      <button type="button" className="button" onClick={onReapply}>
        Re-apply recorded layout
      </button>
    </div>
  );
}

function NamedLayoutForm({
  gpus,
  layouts,
  onPlan,
}: {
  gpus: readonly GpuMigState[];
  layouts: readonly NamedLayout[];
  onPlan: (name: string, gpus: number[]) => void;
}) {
  const [name, setName] = useState('');
  const [chosen, setChosen] = useState<ReadonlySet<number>>(() => new Set(gpus.map((g) => g.index)));
  const selected = layouts.find((l) => l.name === name);
  const indices = gpus.map((g) => g.index).filter((i) => chosen.has(i));
  return (
    <form
      className="named-layout"
      aria-label="Apply a named layout"
      onSubmit={(e) => {
        e.preventDefault();
        if (selected && indices.length > 0) onPlan(selected.name, indices);
      }}
    >
      <Labelled label="Named layout">
        {(id) => (
          <select id={id} value={name} onChange={(e) => setName(e.target.value)}>
            <option value="">Choose a layout…</option>
            {layouts.map((l) => (
              <option key={l.name} value={l.name}>
                {l.name}
                {l.source === 'builtin' ? '' : ` (${l.source})`}
              </option>
            ))}
          </select>
        )}
      </Labelled>
      <fieldset className="gpu-picks">
        <legend>GPUs</legend>
        {gpus.map((g) => (
          <label key={g.index} className="choice">
            <input
              type="checkbox"
              checked={chosen.has(g.index)}
              onChange={(e) => {
                const next = new Set(chosen);
                if (e.target.checked) next.add(g.index);
                else next.delete(g.index);
                setChosen(next);
              }}
            />
            <span>GPU {g.index}</span>
          </label>
        ))}
      </fieldset>
      <button type="submit" className="button" disabled={!selected || indices.length === 0}>
        Plan named layout
      </button>
      {selected && <p className="muted small named-description">{selected.description}</p>}
    </form>
  );
}

function GpuCard({
  gpu,
  drift,
  editing,
  onEdit,
}: {
  gpu: GpuMigState;
  drift: Drift | undefined;
  editing: boolean;
  onEdit: () => void;
}) {
  const model = stateModel(gpu);
  const used = usedSlots(gpu);
  return (
    <li className={`gpu-card${editing ? ' gpu-card-editing' : ''}`} aria-label={`GPU ${gpu.index}`}>
      <header className="gpu-card-header">
        <div>
          <h3>GPU {gpu.index}</h3>
          <span className="muted small">{model?.key ?? gpu.name}</span>
        </div>
        <span className="badge-list">
          <Badge tone={gpu.migCurrent ? 'accent' : 'neutral'}>MIG {gpu.migCurrent ? 'on' : 'off'}</Badge>
          {gpu.migPending !== gpu.migCurrent && (
            <Badge tone="warn">MIG {gpu.migPending ? 'on' : 'off'} after reset</Badge>
          )}
          {gpu.processes.length > 0 && (
            <Badge tone="warn">{plural(gpu.processes.length, 'process', 'processes')}</Badge>
          )}
          {drift && <Badge tone="warn">drift</Badge>}
        </span>
      </header>
      {!model ? (
        <p className="muted">Not a MIG GPU the console's catalogue knows ({gpu.name}).</p>
      ) : gpu.migCurrent ? (
        <SlotMap
          label={`Slot map of GPU ${gpu.index}`}
          slots={model.memorySlots}
          blocks={blocksOfState(gpu)}
        />
      ) : (
        <p className="muted gpu-whole">MIG mode is off: the whole GPU is one device.</p>
      )}
      <footer className="gpu-card-footer">
        <span className="muted small">
          {model && gpu.migCurrent
            ? `${used} of ${model.memorySlots} memory slots allocated · ${describeLayout({ migEnabled: true, gpuInstances: gpu.gpuInstances.map((gi) => ({ profile: gi.profile })) })}`
            : ''}
          {drift && <span className="text-warn"> · drift: {drift.summary}</span>}
        </span>
        {model && (
          <button
            type="button"
            className="button"
            aria-label={`Edit layout of GPU ${gpu.index}`}
            aria-pressed={editing}
            onClick={onEdit}
          >
            Edit layout
          </button>
        )}
      </footer>
    </li>
  );
}
