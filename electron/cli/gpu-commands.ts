// `enclave gpu …`: MIG layouts on the command line (design.md §8). Changes print their plan and ask
// before applying unless --yes; `gpu plan --json` has a `steps` array for scripts.
import { existsSync, writeFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import type { GpuApplyRow, GpuPlanRow, LayoutChoice } from '../../shared/api';
import { MigLayoutSchema } from '../../shared/api';
import { describeLayout } from '../../shared/mig/named-layouts';
import type { ConsoleClient } from '../../shared/client';
import { confirm, parseLabels, readText, str, withCore, type Command, type CommandContext } from './command';
import { EXIT, UsageError } from './exit-codes';
import { signIn } from './session';
import { formatTable } from './table';

type PlanRow = GpuPlanRow;
type ApplyRow = GpuApplyRow;

/** --layout NAME, or a file holding a layout ({migEnabled, gpuInstances}) as JSON or YAML. */
function layoutChoice(ctx: CommandContext): LayoutChoice {
  const value = str(ctx.options.layout);
  if (ctx.options.recorded === true) {
    if (value) throw new UsageError('give --layout or --recorded, not both');
    return { recorded: true };
  }
  if (!value) throw new UsageError('--layout NAME|FILE is required (see enclave gpu layouts)');
  if (!existsSync(value)) return { name: value };
  let parsed: unknown;
  try {
    parsed = parseYaml(readText(value, '--layout'));
  } catch (error) {
    throw new UsageError(`--layout ${value}: not JSON or YAML (${(error as Error).message})`);
  }
  const layout = MigLayoutSchema.safeParse(parsed);
  if (!layout.success) {
    throw new UsageError(
      `--layout ${value}: not a MIG layout: ${layout.error.issues.map((i) => `${i.path.join('.') || 'file'}: ${i.message}`).join('; ')}` +
        ' (expected {migEnabled: true, gpuInstances: [{profile: 3g.40gb, start: 0}, …]})',
    );
  }
  return { layout: layout.data };
}

function gpuOption(ctx: CommandContext): number[] | undefined {
  const raw = str(ctx.options.gpu);
  if (raw === undefined) return undefined;
  return [raw].flatMap((v) =>
    v.split(',').map((n) => {
      const i = Number(n);
      if (!Number.isInteger(i) || i < 0)
        throw new UsageError(`--gpu ${v}: give GPU indices, e.g. --gpu 0 or --gpu 0,1`);
      return i;
    }),
  );
}

/** What gpu plan and gpu apply share: the host, its GPUs, the layout and --force. */
function planInput(ctx: CommandContext) {
  return {
    host: host(ctx),
    gpus: gpuOption(ctx),
    layout: layoutChoice(ctx),
    force: ctx.options.force === true,
  };
}

function host(ctx: CommandContext): string {
  const h = str(ctx.options.host) ?? ctx.positionals[0];
  if (!h) throw new UsageError('--host NAME is required');
  return h;
}

function printPlan(ctx: CommandContext, hostName: string, rows: readonly PlanRow[]): void {
  for (const r of rows) {
    const head = `${hostName} GPU ${r.gpu} (${r.model ?? 'unknown model'})`;
    if (!r.ok) {
      ctx.print(`${head}: cannot be planned`);
      for (const p of r.problems) ctx.print(`  ✗ ${p.message}`);
      continue;
    }
    if (r.steps.length === 0) {
      ctx.print(`${head}: already ${r.desired ? describeLayout(r.desired) : 'as asked'} — no changes`);
      continue;
    }
    ctx.print(`${head}: ${r.steps.length} steps to ${r.desired ? describeLayout(r.desired) : 'the layout'}`);
    if (r.kept.length > 0)
      ctx.print(`  keeps ${r.kept.map((k) => `${k.profile} at slot ${k.start}`).join(', ')}`);
    r.descriptions.forEach((d, i) => ctx.print(`  ${String(i + 1).padStart(2)}. ${d}`));
    for (const w of r.warnings) ctx.print(`  ! ${w}`);
  }
}

function printResults(ctx: CommandContext, hostName: string, results: readonly ApplyRow[]): void {
  ctx.print(
    formatTable(
      ['HOST', 'GPU', 'OUTCOME', 'STEPS', 'NOTE'],
      results.map((r) => [
        hostName,
        String(r.gpu),
        r.outcome,
        `${r.steps.filter((s) => s.ok).length}/${r.steps.length}${r.rollback.length ? ` (+${r.rollback.length} rolled back)` : ''}`,
        r.error ?? '',
      ]),
    ),
  );
}

/** Plans on the core, and when every GPU can be planned asks whether to go on. */
async function planThenConfirm(
  ctx: CommandContext,
  client: ConsoleClient,
  input: { host: string; gpus?: number[] | undefined; layout: LayoutChoice; force: boolean },
): Promise<{ decision: 'apply' | 'nothing' | 'refused' | 'declined'; planDigest: string }> {
  const planned = await client.call('gpu.plan', input);
  const planDigest = planned.planDigest;
  if (!ctx.json) printPlan(ctx, input.host, planned.gpus);
  if (planned.gpus.some((r) => !r.ok)) return { decision: 'refused', planDigest };
  if (planned.gpus.every((r) => r.steps.length === 0)) return { decision: 'nothing', planDigest };
  return { decision: (await confirm(ctx, 'Apply this plan?')) ? 'apply' : 'declined', planDigest };
}

export const GPU_COMMANDS: Command[] = [
  {
    words: ['gpu', 'layouts'],
    usage: 'gpu layouts',
    summary: 'MIG layouts by name: built in, imported from nvidia-mig-parted, or the site’s.',
    options: [],
    async run(ctx) {
      return withCore(ctx, async (cli) => {
        await signIn(cli);
        const layouts = await cli.client.call('gpu.layouts', {});
        if (ctx.json) return ctx.print(JSON.stringify(layouts, null, 2));
        ctx.print(
          formatTable(
            ['NAME', 'SOURCE', 'DESCRIPTION'],
            layouts.map((l) => [l.name, l.source, l.description]),
          ),
        );
      });
    },
  },
  {
    words: ['gpu', 'state'],
    usage: 'gpu state --host H',
    summary: "A host's GPUs and MIG layout read now, and drift from what was applied.",
    options: ['host'],
    async run(ctx) {
      const name = host(ctx);
      return withCore(ctx, async (cli) => {
        await signIn(cli);
        const state = await cli.client.call('gpu.state', { host: name });
        if (ctx.json) return ctx.print(JSON.stringify(state, null, 2));
        ctx.print(
          formatTable(
            ['GPU', 'MODEL', 'MIG', 'GPU INSTANCES', 'PROCESSES'],
            state.gpus.map((g) => [
              String(g.index),
              g.model ?? g.name,
              g.migCurrent === g.migPending
                ? g.migCurrent
                  ? 'on'
                  : 'off'
                : `${g.migCurrent ? 'on' : 'off'} (pending ${g.migPending ? 'on' : 'off'})`,
              g.gpuInstances
                .map((gi) => `${gi.profile}@${gi.start}[${gi.computeInstances.length}]`)
                .join(' ') || '-',
              String(g.processes.length),
            ]),
          ),
        );
        for (const d of state.drift)
          ctx.print(
            `drift on GPU ${d.gpu}: ${d.summary} — re-apply with: enclave gpu apply --host ${name} --gpu ${d.gpu} --recorded`,
          );
      });
    },
  },
  {
    words: ['gpu', 'plan'],
    usage: 'gpu plan --host H [--gpu N] (--layout NAME|FILE | --recorded) [--force]',
    summary:
      'Plan a MIG layout from the GPUs’ state read now; nothing is changed (--json has a steps array).',
    options: ['host', 'gpu', 'layout', 'recorded', 'force'],
    async run(ctx) {
      const input = planInput(ctx);
      return withCore(ctx, async (cli) => {
        await signIn(cli);
        const planned = await cli.client.call('gpu.plan', input);
        if (ctx.json) {
          const steps = planned.gpus.flatMap((r) => r.steps);
          ctx.print(JSON.stringify({ ...planned, steps }, null, 2));
        } else printPlan(ctx, input.host, planned.gpus);
        return planned.gpus.every((r) => r.ok) ? EXIT.done : EXIT.refused;
      });
    },
  },
  {
    words: ['gpu', 'apply'],
    usage:
      'gpu apply --host H [--gpu N] (--layout NAME|FILE | --recorded) [--force] [--read-back confirmations|every-step] [--yes]',
    summary:
      'Apply a MIG layout: shows the plan, asks, runs each step with read-back, rolls back on failure.',
    options: ['host', 'gpu', 'layout', 'recorded', 'force', 'read-back', 'yes'],
    async run(ctx) {
      const readBack = str(ctx.options['read-back']) ?? 'confirmations';
      if (readBack !== 'confirmations' && readBack !== 'every-step')
        throw new UsageError('--read-back takes confirmations or every-step');
      const input = planInput(ctx);
      return withCore(ctx, async (cli) => {
        await signIn(cli);
        // The core applies exactly the plan shown here, or refuses if the GPUs changed meanwhile.
        const { decision, planDigest } = await planThenConfirm(ctx, cli.client, input);
        if (decision === 'refused') return EXIT.refused;
        if (decision === 'declined') return EXIT.failed;
        if (decision === 'nothing' && !ctx.json) return EXIT.done;
        const out = await cli.client.call(
          'gpu.apply',
          { ...input, readBack, planDigest },
          {
            onEvent: (e) => {
              if (!ctx.json && process.stderr.isTTY && e.done < e.total)
                process.stderr.write(
                  `GPU ${e.gpu} ${e.phase === 'rollback' ? 'rolling back' : ''} ${e.done + 1}/${e.total}: ${e.description}\n`,
                );
            },
          },
        );
        if (ctx.json) ctx.print(JSON.stringify(out, null, 2));
        else printResults(ctx, input.host, out.results);
        return out.results.every((r) => r.outcome === 'applied' || r.outcome === 'unchanged')
          ? EXIT.done
          : EXIT.failed;
      });
    },
  },
  {
    words: ['gpu', 'fleet-apply'],
    usage:
      'gpu fleet-apply (--layout NAME --label K=V… [--model M]… [--canary HOST] [--batch N] [--max-failures N] [--force] | --resume RUN) [--yes]',
    summary:
      'Apply a named layout across hosts by label: a canary first, then batches; stops past the failure limit; resumable.',
    options: ['layout', 'label', 'model', 'canary', 'batch', 'max-failures', 'force', 'resume', 'yes'],
    async run(ctx) {
      const resume = str(ctx.options.resume);
      const layout = str(ctx.options.layout);
      const labels = parseLabels(ctx.options.label);
      if (!resume && (!layout || Object.keys(labels).length === 0))
        throw new UsageError(
          'gpu fleet-apply needs --layout NAME and at least one --label K=V (or --resume RUN)',
        );
      const models =
        Array.isArray(ctx.options.model) && ctx.options.model.length > 0 ? ctx.options.model : undefined;
      const number = (name: string, fallback: number) => {
        const v = Number(str(ctx.options[name]) ?? fallback);
        if (!Number.isInteger(v) || v < 0) throw new UsageError(`--${name} takes a whole number`);
        return v;
      };
      return withCore(ctx, async (cli) => {
        await signIn(cli);
        if (!resume) {
          // Every host planned from its state now, to review before anything starts.
          const preview = await cli.client.call('gpu.fleetPlan', {
            layout: layout as string,
            labels,
            ...(models ? { models } : {}),
            force: ctx.options.force === true,
          });
          if (!ctx.json) {
            ctx.print(`${layout} on ${preview.hosts.length} hosts:`);
            ctx.print(
              formatTable(
                ['HOST', 'GPUS', 'STEPS', 'PROBLEMS'],
                preview.hosts.map((h) => [
                  h.host,
                  String(h.gpus.length),
                  String(h.gpus.reduce((n, g) => n + g.steps.length, 0)),
                  h.error ??
                    h.gpus.flatMap((g) => g.problems.map((p) => `GPU ${g.gpu}: ${p.message}`)).join('; '),
                ]),
              ),
            );
          }
          if (!(await confirm(ctx, 'Start the fleet apply?'))) return EXIT.failed;
        }
        const input = resume
          ? { resume }
          : {
              layout: layout as string,
              labels,
              ...(models ? { models } : {}),
              ...(str(ctx.options.canary) ? { canary: str(ctx.options.canary) } : {}),
              batchSize: Math.max(1, number('batch', 4)),
              maxFailures: number('max-failures', 0),
              force: ctx.options.force === true,
            };
        const run = await cli.client.call('gpu.fleetApply', input, {
          onEvent: (e) => {
            if (!ctx.json && process.stderr.isTTY && e.gpu === undefined)
              process.stderr.write(`${e.host}: ${e.status}\n`);
          },
        });
        if (ctx.json) ctx.print(JSON.stringify(run, null, 2));
        else {
          ctx.print(`fleet run ${run.id}: ${run.status}${run.note ? ` — ${run.note}` : ''}`);
          ctx.print(
            formatTable(
              ['#', 'HOST', 'STATUS', 'NOTE'],
              run.hosts.map((h) => [
                h.position === 0 ? 'canary' : String(h.position),
                h.host,
                h.status,
                h.error ?? '',
              ]),
            ),
          );
          if (run.status !== 'done') ctx.print(`resume with: enclave gpu fleet-apply --resume ${run.id}`);
        }
        return run.status === 'done' ? EXIT.done : EXIT.failed;
      });
    },
  },
  {
    words: ['gpu', 'fleet-runs'],
    usage: 'gpu fleet-runs [--limit N]',
    summary: 'Recent fleet applies and where each host stands.',
    options: ['limit'],
    async run(ctx) {
      const limit = Number(str(ctx.options.limit) ?? '20');
      return withCore(ctx, async (cli) => {
        await signIn(cli);
        const runs = await cli.client.call('gpu.fleetRuns', { limit });
        if (ctx.json) return ctx.print(JSON.stringify(runs, null, 2));
        ctx.print(
          formatTable(
            ['RUN', 'LAYOUT', 'STATUS', 'HOSTS', 'STARTED', 'NOTE'],
            runs.map((r) => [
              r.id,
              r.layoutName,
              r.status,
              `${r.hosts.filter((h) => h.status === 'done').length}/${r.hosts.length} done`,
              r.startedAt,
              r.note ?? '',
            ]),
          ),
        );
      });
    },
  },
  {
    words: ['gpu', 'import-mig-parted'],
    usage: 'gpu import-mig-parted FILE',
    summary: 'Import an nvidia-mig-parted config: each config becomes a named layout.',
    options: [],
    async run(ctx) {
      const file = ctx.positionals[0];
      if (!file) throw new UsageError(`usage: enclave ${this.usage}`);
      const yaml = readText(file, 'the config');
      return withCore(ctx, async (cli) => {
        await signIn(cli);
        const out = await cli.client.call('gpu.importMigParted', { yaml });
        if (ctx.json) return ctx.print(JSON.stringify(out, null, 2));
        ctx.print(`Imported ${out.imported.length} layouts from ${file}: ${out.imported.join(', ')}`);
        if (out.replaced.length > 0) ctx.print(`Replaced: ${out.replaced.join(', ')}`);
      });
    },
  },
  {
    words: ['gpu', 'export-mig-parted'],
    usage: 'gpu export-mig-parted [--layout NAME[,NAME…]] [--host H] [--out FILE]',
    summary: 'Named layouts, or what a host’s GPUs have now, as an nvidia-mig-parted config.',
    options: ['layout', 'host', 'out'],
    async run(ctx) {
      const names = str(ctx.options.layout)
        ?.split(',')
        .map((n) => n.trim())
        .filter(Boolean);
      const hostName = str(ctx.options.host);
      if (names && hostName) throw new UsageError('give --layout or --host, not both');
      return withCore(ctx, async (cli) => {
        await signIn(cli);
        const out = await cli.client.call(
          'gpu.exportMigParted',
          hostName ? { host: hostName } : names ? { names } : {},
        );
        for (const w of out.warnings) process.stderr.write(`warning: ${w}\n`);
        const file = str(ctx.options.out);
        if (file) writeFileSync(file, out.yaml);
        else if (ctx.json) ctx.print(JSON.stringify(out, null, 2));
        else process.stdout.write(out.yaml);
      });
    },
  },
  {
    words: ['gpu', 'operator-plan'],
    usage: 'gpu operator-plan --cluster C --node N --layout NAME',
    summary:
      "Plan a MIG layout on a Kubernetes node through the GPU Operator: the node's GPU resources now and after.",
    options: ['cluster', 'node', 'layout'],
    async run(ctx) {
      const input = operatorTarget(ctx);
      return withCore(ctx, async (cli) => {
        await signIn(cli);
        const plan = await cli.client.call('gpu.operatorPlan', input);
        if (ctx.json) return ctx.print(JSON.stringify(plan, null, 2));
        printOperatorPlan(ctx, plan);
      });
    },
  },
  {
    words: ['gpu', 'operator-apply'],
    usage: 'gpu operator-apply --cluster C --node N --layout NAME [--timeout SECONDS] [--yes]',
    summary:
      'Apply a MIG layout through the GPU Operator: label the node, wait for its MIG manager, verify; rolls back on failure.',
    options: ['cluster', 'node', 'layout', 'timeout', 'yes'],
    async run(ctx) {
      const input = operatorTarget(ctx);
      const timeout = str(ctx.options.timeout);
      if (timeout !== undefined && !/^[1-9][0-9]*$/.test(timeout))
        throw new UsageError('--timeout takes seconds');
      return withCore(ctx, async (cli) => {
        await signIn(cli);
        const plan = await cli.client.call('gpu.operatorPlan', input);
        if (!ctx.json) printOperatorPlan(ctx, plan);
        if (!(await confirm(ctx, `Label node ${input.node} with ${input.layout}?`))) return EXIT.failed;
        const out = await cli.client.call(
          'gpu.operatorApply',
          { ...input, planDigest: plan.planDigest, ...(timeout ? { timeoutSeconds: Number(timeout) } : {}) },
          { onEvent: (e) => !ctx.json && process.stderr.write(`${e.phase}: ${e.message}\n`) },
        );
        if (ctx.json) ctx.print(JSON.stringify(out, null, 2));
        else {
          ctx.print(`node ${input.node}: ${out.outcome}${out.verified ? ', resources verified' : ''}`);
          for (const p of out.problems) ctx.print(`  ✗ ${p}`);
        }
        return out.outcome === 'applied' || out.outcome === 'unchanged' ? EXIT.done : EXIT.failed;
      });
    },
  },
];

function operatorTarget(ctx: CommandContext): { cluster: string; node: string; layout: string } {
  const cluster = str(ctx.options.cluster);
  const node = str(ctx.options.node);
  const layout = str(ctx.options.layout);
  if (!cluster || !node || !layout) throw new UsageError('give --cluster C --node N --layout NAME');
  return { cluster, node, layout };
}

function printOperatorPlan(
  ctx: CommandContext,
  plan: {
    node: string;
    model: string;
    gpus: number;
    currentConfig: string | null;
    layout: string;
    changes: { resource: string; before: number; after: number }[];
  },
): void {
  ctx.print(
    `node ${plan.node} (${plan.gpus}× ${plan.model}): ${plan.currentConfig ?? '(no config)'} → ${plan.layout}`,
  );
  if (plan.changes.length === 0) ctx.print('  no change in the resources it offers');
  for (const c of plan.changes) ctx.print(`  ${c.resource}: ${c.before} → ${c.after}`);
}
