import { useEffect, useId, useMemo, useRef, useState, type ReactNode } from 'react';
import type { ClusterRow } from '../../../shared/api';
import type { z } from 'zod';
import { TENANT_ROLES, type TenantRole, type TenantSpecIssue } from '../../../shared/tenants';
import { useProcedure } from '../../app/calls';
import { Banner } from '../../ui/Banner';
import { Field } from '../../ui/Field';
import { Icon } from '../../ui/Icon';
import { Steps } from '../../ui/Steps';
import { plural } from '../../ui/format';
import { ListEditor, PairEditor } from './editors';
import {
  cidrProblem,
  draftToYaml,
  emptyDraft,
  formHolds,
  issueAt,
  rowId,
  specIssues,
  stepOfIssue,
  STEPS,
  yamlCluster,
  yamlToDraft,
  type TenantDraft,
} from './model';
import { TenantPlan } from './TenantPlan';

type Cluster = z.infer<typeof ClusterRow>;
type Mode = 'form' | 'yaml';

const ROLE_HELP: Record<TenantRole, string> = {
  'tenant-admin': 'workloads, secrets, service accounts and role bindings in the tenant',
  developer: 'workloads, config, secrets and volumes; quotas and network policies read-only',
  viewer: 'read-only (the built-in view role)',
};

/**
 * Creates or edits a tenant: a step per part of the spec (identity, access, quotas, placement,
 * residency, registries) or the YAML itself, checked live with the same parser the core uses, then
 * planned on the chosen cluster and applied from the plan (TenantPlan).
 */
export function TenantWizard({
  initial,
  clusters,
  onClose,
  onApplied,
}: {
  /** Editing: the tenant's spec as last applied and its cluster. */
  initial?: { name: string; cluster: string; spec: string };
  clusters: readonly Cluster[];
  onClose: () => void;
  onApplied: () => void;
}) {
  const headingId = useId();
  const stepHeading = useRef<HTMLHeadingElement>(null);
  const [draft, setDraft] = useState<TenantDraft>(() => (initial ? yamlToDraft(initial.spec) : emptyDraft()));
  // An applied spec the form cannot hold in full is edited as YAML, so nothing is dropped.
  const [mode, setMode] = useState<Mode>(() => (initial && !formHolds(initial.spec) ? 'yaml' : 'form'));
  const [yamlText, setYamlText] = useState(initial?.spec ?? '');
  const [yamlError, setYamlError] = useState<string | undefined>();
  const [step, setStep] = useState(0);
  const [checked, setChecked] = useState<ReadonlySet<number>>(new Set());
  const [cluster, setCluster] = useState(
    initial?.cluster ?? (clusters.length === 1 ? (clusters[0]?.name ?? '') : ''),
  );
  const [planned, setPlanned] = useState<{ spec: string; cluster: string; run: number } | null>(null);
  const focusStep = useRef(false);
  // A contact, group or MIG row added from the keyboard takes the focus.
  const [added, setAdded] = useState<number | null>(null);

  const spec = mode === 'yaml' ? yamlText : draftToYaml(draft, cluster);
  const issues = useMemo(() => specIssues(spec), [spec]);
  // In the YAML tab a `cluster:` there decides; the selector follows it.
  const namedInYaml = mode === 'yaml' ? yamlCluster(yamlText) : '';
  const target = namedInYaml || cluster;
  const clusterRow = clusters.find((c) => c.name === target);
  const editing = Boolean(initial);

  // Suggestions from the cluster chosen: its GPU products and MIG profiles.
  const view = useProcedure('clusters.view', { cluster: cluster || 'none' }, { enabled: Boolean(cluster) });
  const products = useMemo(
    () => [...new Set((view.data?.nodes ?? []).flatMap((n) => (n.gpuProduct ? [n.gpuProduct] : [])))].sort(),
    [view.data],
  );
  const profiles = useMemo(
    () =>
      Object.keys(view.data?.totals ?? {})
        .filter((r) => r.startsWith('nvidia.com/mig-'))
        .map((r) => r.slice('nvidia.com/mig-'.length))
        .sort(),
    [view.data],
  );
  const listIds = { products: `${headingId}-products`, profiles: `${headingId}-profiles` };

  useEffect(() => {
    if (focusStep.current) stepHeading.current?.focus();
    focusStep.current = false;
  }, [step, mode]);

  const stepIssues = (i: number) => issues.filter((issue) => stepOfIssue(issue) === i);
  const shown = (i: number) => checked.has(i);
  const at = (field: string) => (shown(step) ? issueAt(issues, field) : undefined);
  const cidrProblems = draft.residency.egressCidrs.map((c) => cidrProblem(c.value));
  const formProblems = mode === 'form' && cidrProblems.some(Boolean);

  const go = (to: number) => {
    focusStep.current = true;
    setStep(to);
  };
  const next = () => {
    setChecked((now) => new Set(now).add(step));
    if (stepIssues(step).length === 0 && !(step === 4 && formProblems)) go(step + 1);
  };

  const switchMode = (to: Mode) => {
    if (to === mode) return;
    if (to === 'yaml') {
      setYamlText(draftToYaml(draft, cluster));
      setYamlError(undefined);
      setMode('yaml');
      return;
    }
    try {
      setDraft(yamlToDraft(yamlText));
      const named = yamlCluster(yamlText);
      if (named) setCluster(named);
      setYamlError(undefined);
      setMode('form');
    } catch (error) {
      setYamlError(`The YAML cannot be read, so the form cannot show it: ${(error as Error).message}`);
    }
  };

  const update = (patch: (d: TenantDraft) => TenantDraft) => setDraft((d) => patch(d));
  const setQuota = (field: keyof Omit<TenantDraft['quotas'], 'mig'>) => (value: string) =>
    update((d) => ({ ...d, quotas: { ...d.quotas, [field]: value } }));

  const plan = () => {
    setChecked(new Set(STEPS.map((_, i) => i)));
    if (issues.length > 0 || formProblems || !target) return;
    setPlanned((p) => ({ spec, cluster: target, run: (p?.run ?? 0) + 1 }));
  };

  const canPlan = issues.length === 0 && !formProblems && Boolean(target);
  const stale = planned !== null && (planned.spec !== spec || planned.cluster !== target);
  const title = editing ? `Edit tenant ${initial?.name}` : 'New tenant';

  const text = (
    label: string,
    field: string,
    value: string,
    onChange: (v: string) => void,
    hint?: ReactNode,
  ) => (
    <Field label={label} hint={hint} error={at(field)}>
      {(control) => (
        <input
          {...control}
          value={value}
          onChange={(e) => onChange(e.target.value)}
          spellCheck={false}
          autoComplete="off"
        />
      )}
    </Field>
  );

  const current = STEPS[step] ?? STEPS[0];

  return (
    <section className="panel tenant-wizard" aria-labelledby={headingId}>
      <div className="panel-header">
        <h2 id={headingId}>{title}</h2>
        <div className="wizard-tools">
          <div className="segmented" role="group" aria-label="Edit the spec as">
            <button type="button" aria-pressed={mode === 'form'} onClick={() => switchMode('form')}>
              Form
            </button>
            <button type="button" aria-pressed={mode === 'yaml'} onClick={() => switchMode('yaml')}>
              YAML
            </button>
          </div>
          <button type="button" className="button button-quiet" onClick={onClose}>
            Close wizard
          </button>
        </div>
      </div>

      <div className="wizard-cluster">
        <Field
          label="Cluster"
          hint={
            clusterRow ? (
              <>
                Groups are bound with its OIDC prefix <code>{clusterRow.oidcGroupPrefix || '(none)'}</code>.
              </>
            ) : clusters.length === 0 ? (
              'Import a cluster on the Clusters page first.'
            ) : undefined
          }
          error={
            checked.size > 0 && !target
              ? 'choose the cluster to provision on'
              : namedInYaml && !clusterRow
                ? `the YAML names cluster ${namedInYaml}, which is not imported`
                : undefined
          }
        >
          {(control) => (
            <select
              {...control}
              value={target}
              onChange={(e) => setCluster(e.target.value)}
              disabled={editing || Boolean(namedInYaml)}
            >
              <option value="">Choose a cluster…</option>
              {clusters.map((c) => (
                <option key={c.name} value={c.name}>
                  {c.name} ({c.server})
                </option>
              ))}
            </select>
          )}
        </Field>
      </div>

      <datalist id={listIds.products}>
        {products.map((p) => (
          <option key={p} value={p} />
        ))}
      </datalist>
      <datalist id={listIds.profiles}>
        {profiles.map((p) => (
          <option key={p} value={p} />
        ))}
      </datalist>

      {yamlError && (
        <Banner tone="danger" title="Still in YAML">
          <p className="sentence">{yamlError}</p>
        </Banner>
      )}

      {mode === 'form' ? (
        <>
          <Steps steps={STEPS.map((s) => s.title)} current={step} />
          <form
            className="form wizard-step"
            aria-label={`Step ${step + 1}: ${current.title}`}
            noValidate
            onSubmit={(e) => {
              e.preventDefault();
              if (step < STEPS.length - 1) next();
              else plan();
            }}
          >
            <h3 ref={stepHeading} tabIndex={-1} className="wizard-step-title">
              {current.title}
            </h3>

            {step === 0 && (
              <>
                <div className="form-row">
                  {text(
                    'Tenant name',
                    'name',
                    draft.name,
                    (v) => update((d) => ({ ...d, name: v })),
                    'A DNS label; also its namespace, e.g. tenant-a',
                  )}
                  {text('Organisation', 'organisation', draft.organisation, (v) =>
                    update((d) => ({ ...d, organisation: v })),
                  )}
                </div>
                <fieldset className="choices">
                  <legend>Contacts</legend>
                  {shown(0) && issueAt(issues, 'contacts') && (
                    <p className="field-error sentence">{issueAt(issues, 'contacts')}</p>
                  )}
                  <ul className="list-rows">
                    {draft.contacts.map((c, i) => {
                      const set = (patch: Partial<typeof c>) =>
                        update((d) => ({
                          ...d,
                          contacts: d.contacts.map((x) => (x.id === c.id ? { ...x, ...patch } : x)),
                        }));
                      const problem = [at(`contacts[${i}].name`), at(`contacts[${i}].email`)]
                        .filter(Boolean)
                        .join('; ');
                      return (
                        <li key={c.id} className="contact-row">
                          <input
                            aria-label={`Contact ${i + 1} name`}
                            autoFocus={c.id === added}
                            aria-invalid={Boolean(at(`contacts[${i}].name`))}
                            placeholder="name"
                            value={c.name}
                            onChange={(e) => set({ name: e.target.value })}
                          />
                          <input
                            aria-label={`Contact ${i + 1} email`}
                            aria-invalid={Boolean(at(`contacts[${i}].email`))}
                            type="email"
                            placeholder="email"
                            value={c.email}
                            onChange={(e) => set({ email: e.target.value })}
                            spellCheck={false}
                          />
                          <button
                            type="button"
                            className="button-icon"
                            aria-label={`Remove contact ${i + 1}`}
                            onClick={() =>
                              update((d) => ({ ...d, contacts: d.contacts.filter((x) => x.id !== c.id) }))
                            }
                          >
                            <Icon name="close" size={14} />
                          </button>
                          {problem && <p className="field-error sentence list-row-error">{problem}</p>}
                        </li>
                      );
                    })}
                  </ul>
                  <div>
                    <button
                      type="button"
                      className="button button-quiet"
                      onClick={() => {
                        const id = rowId();
                        setAdded(id);
                        update((d) => ({ ...d, contacts: [...d.contacts, { id, name: '', email: '' }] }));
                      }}
                    >
                      <Icon name="plus" size={14} />
                      Add contact
                    </button>
                  </div>
                </fieldset>
              </>
            )}

            {step === 1 && (
              <fieldset className="choices">
                <legend>Groups and their roles</legend>
                <p className="field-hint">
                  Identity-provider group claims, without the cluster&apos;s prefix
                  {clusterRow?.oidcGroupPrefix ? (
                    <>
                      {' '}
                      (bound as <code>{clusterRow.oidcGroupPrefix}GROUP</code> on {clusterRow.name})
                    </>
                  ) : null}
                  . Tenant admins: {ROLE_HELP['tenant-admin']}; developers: {ROLE_HELP.developer}; viewers:{' '}
                  {ROLE_HELP.viewer}.
                </p>
                <ul className="list-rows">
                  {draft.groups.map((g, i) => {
                    const set = (patch: Partial<typeof g>) =>
                      update((d) => ({
                        ...d,
                        groups: d.groups.map((x) => (x.id === g.id ? { ...x, ...patch } : x)),
                      }));
                    const problem = [at(`groups[${i}].group`), at(`groups[${i}].role`)]
                      .filter(Boolean)
                      .join('; ');
                    return (
                      <li key={g.id} className="group-row">
                        <input
                          aria-label={`Group ${i + 1}`}
                          autoFocus={g.id === added}
                          aria-invalid={Boolean(problem)}
                          placeholder="e.g. tenant-a/admins"
                          value={g.group}
                          onChange={(e) => set({ group: e.target.value })}
                          spellCheck={false}
                        />
                        <select
                          aria-label={`Role of group ${i + 1}`}
                          value={g.role}
                          onChange={(e) => set({ role: e.target.value as TenantRole })}
                        >
                          {TENANT_ROLES.map((r) => (
                            <option key={r} value={r}>
                              {r}
                            </option>
                          ))}
                        </select>
                        <button
                          type="button"
                          className="button-icon"
                          aria-label={`Remove group ${i + 1}`}
                          onClick={() =>
                            update((d) => ({ ...d, groups: d.groups.filter((x) => x.id !== g.id) }))
                          }
                        >
                          <Icon name="close" size={14} />
                        </button>
                        {problem && <p className="field-error sentence list-row-error">{problem}</p>}
                      </li>
                    );
                  })}
                </ul>
                <div>
                  <button
                    type="button"
                    className="button button-quiet"
                    onClick={() => {
                      const id = rowId();
                      setAdded(id);
                      update((d) => ({ ...d, groups: [...d.groups, { id, group: '', role: 'developer' }] }));
                    }}
                  >
                    <Icon name="plus" size={14} />
                    Add group
                  </button>
                </div>
              </fieldset>
            )}

            {step === 2 && (
              <>
                <div className="form-row quota-row">
                  {text('CPU', 'quotas.cpu', draft.quotas.cpu, setQuota('cpu'), 'Requests, e.g. 64 or 500m')}
                  {text(
                    'CPU limit',
                    'quotas.cpuLimit',
                    draft.quotas.cpuLimit,
                    setQuota('cpuLimit'),
                    'Optional; defaults to CPU',
                  )}
                  {text('Memory', 'quotas.memory', draft.quotas.memory, setQuota('memory'), 'e.g. 512Gi')}
                  {text(
                    'Memory limit',
                    'quotas.memoryLimit',
                    draft.quotas.memoryLimit,
                    setQuota('memoryLimit'),
                    'Optional; defaults to memory',
                  )}
                  {text('Storage', 'quotas.storage', draft.quotas.storage, setQuota('storage'), 'e.g. 10Ti')}
                  {text('Pods', 'quotas.pods', draft.quotas.pods, setQuota('pods'), 'Most pods at once')}
                  {text('Whole GPUs', 'quotas.gpus', draft.quotas.gpus, setQuota('gpus'), 'nvidia.com/gpu')}
                </div>
                <fieldset className="choices">
                  <legend>MIG slices per profile</legend>
                  <p className="field-hint">
                    For clusters whose device plugin uses the mixed strategy:{' '}
                    <code>nvidia.com/mig-PROFILE</code>.
                    {profiles.length > 0 && (
                      <>
                        {' '}
                        {cluster} offers {profiles.join(', ')}.
                      </>
                    )}
                  </p>
                  {draft.quotas.mig.length > 0 && (
                    <ul className="list-rows">
                      {draft.quotas.mig.map((m, i) => {
                        const set = (patch: Partial<typeof m>) =>
                          update((d) => ({
                            ...d,
                            quotas: {
                              ...d.quotas,
                              mig: d.quotas.mig.map((x) => (x.id === m.id ? { ...x, ...patch } : x)),
                            },
                          }));
                        const problem = shown(2)
                          ? issues
                              .filter(
                                (x) =>
                                  x.field === `quotas.mig.${m.profile.trim()}` || x.field === 'quotas.mig',
                              )
                              .map((x) => x.message)
                              .join('; ')
                          : '';
                        return (
                          <li key={m.id} className="mig-row">
                            <input
                              aria-label={`MIG profile ${i + 1}`}
                              autoFocus={m.id === added}
                              aria-invalid={Boolean(problem)}
                              placeholder="e.g. 1g.10gb"
                              list={listIds.profiles}
                              value={m.profile}
                              onChange={(e) => set({ profile: e.target.value })}
                              spellCheck={false}
                            />
                            <input
                              aria-label={`MIG slices ${i + 1}`}
                              aria-invalid={Boolean(problem)}
                              inputMode="numeric"
                              placeholder="slices"
                              value={m.count}
                              onChange={(e) => set({ count: e.target.value })}
                            />
                            <button
                              type="button"
                              className="button-icon"
                              aria-label={`Remove MIG profile ${i + 1}`}
                              onClick={() =>
                                update((d) => ({
                                  ...d,
                                  quotas: { ...d.quotas, mig: d.quotas.mig.filter((x) => x.id !== m.id) },
                                }))
                              }
                            >
                              <Icon name="close" size={14} />
                            </button>
                            {problem && <p className="field-error sentence list-row-error">{problem}</p>}
                          </li>
                        );
                      })}
                    </ul>
                  )}
                  <div>
                    <button
                      type="button"
                      className="button button-quiet"
                      onClick={() => {
                        const id = rowId();
                        setAdded(id);
                        update((d) => ({
                          ...d,
                          quotas: { ...d.quotas, mig: [...d.quotas.mig, { id, profile: '', count: '' }] },
                        }));
                      }}
                    >
                      <Icon name="plus" size={14} />
                      Add MIG profile
                    </button>
                  </div>
                </fieldset>
              </>
            )}

            {step === 3 && (
              <>
                <ListEditor
                  legend="GPU products"
                  noun="GPU product"
                  items={draft.placement.gpuProducts}
                  onChange={(items) =>
                    update((d) => ({ ...d, placement: { ...d.placement, gpuProducts: items } }))
                  }
                  placeholder="e.g. NVIDIA-H100-80GB-HBM3"
                  suggestions={listIds.products}
                  hint={
                    <>
                      As the node label <code>nvidia.com/gpu.product</code> spells them; none means any.
                      {products.length > 0 && (
                        <>
                          {' '}
                          On {cluster}: {products.join(', ')}.
                        </>
                      )}
                    </>
                  }
                  problem={(i) => at(`placement.gpuProducts[${i}]`)}
                />
                <ListEditor
                  legend="Node pools"
                  noun="node pool"
                  items={draft.placement.nodePools}
                  onChange={(items) =>
                    update((d) => ({ ...d, placement: { ...d.placement, nodePools: items } }))
                  }
                  placeholder="e.g. tenant-a"
                  problem={(i) => at(`placement.nodePools[${i}]`)}
                />
                {text(
                  'Runtime class',
                  'placement.runtimeClass',
                  draft.placement.runtimeClass,
                  (v) => update((d) => ({ ...d, placement: { ...d.placement, runtimeClass: v } })),
                  'Optional; every tenant pod must use it, e.g. kata',
                )}
              </>
            )}

            {step === 4 && (
              <>
                {text(
                  'Residency zone',
                  'residency.zone',
                  draft.residency.zone,
                  (v) => update((d) => ({ ...d, residency: { ...d.residency, zone: v } })),
                  'Optional; recorded on the namespace, e.g. eu-fr',
                )}
                <ListEditor
                  legend="Egress CIDRs"
                  noun="CIDR"
                  items={draft.residency.egressCidrs}
                  onChange={(items) =>
                    update((d) => ({ ...d, residency: { ...d.residency, egressCidrs: items } }))
                  }
                  placeholder="e.g. 10.40.0.0/16"
                  hint="The only networks outside the cluster the tenant's pods may reach; none means DNS and the tenant itself only."
                  problem={(i, value) => cidrProblem(value) ?? at(`residency.egressCidrs[${i}]`)}
                />
                <div className="form-row">
                  {text(
                    'DNS namespace',
                    'residency.dns.namespace',
                    draft.residency.dnsNamespace,
                    (v) => update((d) => ({ ...d, residency: { ...d.residency, dnsNamespace: v } })),
                    "Optional; the cluster's setting, else kube-system",
                  )}
                </div>
                <PairEditor
                  legend="DNS pod labels"
                  noun="DNS pod label"
                  pairs={draft.residency.dnsPodLabels}
                  onChange={(pairs) =>
                    update((d) => ({ ...d, residency: { ...d.residency, dnsPodLabels: pairs } }))
                  }
                  problem={(key) => at(`residency.dns.podLabels.${key}`)}
                />
              </>
            )}

            {step === 5 && (
              <ListEditor
                legend="Registries"
                noun="registry"
                items={draft.registries}
                onChange={(items) => update((d) => ({ ...d, registries: items }))}
                placeholder="e.g. registry.enclave.example:5000/tenant-a"
                hint="In-enclave registries images may come from, as host[:port][/path]."
                problem={(i) => at(`registries[${i}]`)}
              />
            )}

            {step === 6 && (
              <>
                <SpecIssues issues={issues} onGo={(i) => go(i)} />
                <div>
                  <p className="spec-caption">Tenant spec</p>
                  <pre className="code-block spec-preview" aria-label="Tenant spec YAML" tabIndex={0}>
                    {spec}
                  </pre>
                </div>
              </>
            )}

            <div className="wizard-footer">
              <button type="button" className="button" onClick={() => go(step - 1)} disabled={step === 0}>
                Back
              </button>
              {step < STEPS.length - 1 ? (
                <button type="submit" className="button button-primary">
                  Next
                </button>
              ) : (
                <button type="submit" className="button button-primary" disabled={!canPlan}>
                  <Icon name="play" size={14} />
                  Plan on {target || 'the cluster'}
                </button>
              )}
            </div>
          </form>
        </>
      ) : (
        <form
          className="form"
          aria-label="Tenant spec YAML"
          noValidate
          onSubmit={(e) => {
            e.preventDefault();
            plan();
          }}
        >
          <Field
            label="Tenant spec (YAML)"
            hint="As docs/tenant-spec.md describes it; checked as you type with the parser the core uses."
          >
            {(control) => (
              <textarea
                {...control}
                className="spec-yaml mono"
                rows={22}
                value={yamlText}
                onChange={(e) => setYamlText(e.target.value)}
                spellCheck={false}
                autoComplete="off"
              />
            )}
          </Field>
          <SpecIssues issues={issues} withLines />
          <div className="wizard-footer">
            <span />
            <button type="submit" className="button button-primary" disabled={!canPlan}>
              <Icon name="play" size={14} />
              Plan on {target || 'the cluster'}
            </button>
          </div>
        </form>
      )}

      {planned && (
        <TenantPlan
          key={planned.run}
          spec={planned.spec}
          cluster={planned.cluster}
          stale={stale}
          onApplied={onApplied}
        />
      )}
    </section>
  );
}

/** Everything the parser says is wrong, each with the step (or YAML line) where to fix it. */
function SpecIssues({
  issues,
  withLines = false,
  onGo,
}: {
  issues: readonly TenantSpecIssue[];
  withLines?: boolean;
  onGo?: (step: number) => void;
}) {
  if (issues.length === 0) {
    return (
      <p className="spec-valid" role="status">
        <Icon name="check" size={14} /> The spec is valid.
      </p>
    );
  }
  return (
    <section className="spec-issues" role="alert" aria-label="Spec problems">
      <p className="problems-heading">
        <Icon name="alert" size={14} /> {plural(issues.length, 'problem')} to fix before planning
      </p>
      <ul>
        {issues.map((issue) => (
          <li key={`${issue.field}:${issue.line ?? ''}:${issue.message}`}>
            {withLines && issue.line !== undefined && <span className="muted">line {issue.line}: </span>}
            <code>{issue.field}</code>: {issue.message}
            {onGo && (
              <>
                {' '}
                <button type="button" className="link-button" onClick={() => onGo(stepOfIssue(issue))}>
                  Go to {STEPS[stepOfIssue(issue)]?.title}
                </button>
              </>
            )}
          </li>
        ))}
      </ul>
    </section>
  );
}
