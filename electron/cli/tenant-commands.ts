// `enclave clusters …` and `enclave tenants …` (design.md §8): kubeconfig import with the safety
// checks, and tenants rendered, planned, applied, checked for drift and decommissioned. Changes
// print their plan and ask unless --yes; `tenants drift --json` has a `changes` array.
import path from 'node:path';
import type { ObjectChange } from '../../shared/api';
import { confirm, readText, str, withCore, type Command, type CommandContext } from './command';
import { EXIT, UsageError } from './exit-codes';
import { signIn } from './session';
import { formatFields, formatTable } from './table';

function fileArgument(ctx: CommandContext, what: string): string {
  const [file, ...extra] = ctx.positionals;
  if (!file || extra.length) throw new UsageError(`name one ${what} file`);
  return file;
}

/** The spec file's text and the --cluster option. */
function tenantTarget(ctx: CommandContext): { spec: string; cluster?: string } {
  const file = fileArgument(ctx, 'tenant spec');
  const cluster = str(ctx.options.cluster);
  return { spec: readText(file, 'tenant spec'), ...(cluster ? { cluster } : {}) };
}

const short = (v: unknown): string => {
  if (v === undefined) return '(none)';
  const text = typeof v === 'string' ? v : JSON.stringify(v);
  return text.length > 70 ? `${text.slice(0, 67)}...` : text;
};

function describeChanges(changes: readonly ObjectChange[], showFields: boolean): string[] {
  const lines: string[] = [];
  for (const c of changes) {
    const where = c.object.namespace ? `${c.object.namespace}/` : '';
    lines.push(`${c.action.padEnd(9)} ${c.object.kind} ${where}${c.object.name}`);
    if (!showFields || c.action === 'create' || c.action === 'extra') continue;
    for (const f of c.fields) lines.push(`            ${f.path}: ${short(f.before)} -> ${short(f.after)}`);
  }
  return lines;
}

export const TENANT_COMMANDS: Command[] = [
  {
    words: ['clusters', 'import'],
    usage: 'clusters import KUBECONFIG [--context NAME]… [--name N] [--oidc-group-prefix P] [--replace]',
    summary:
      'Import kubeconfig contexts (default: the current one): checked, reached once, credentials stored encrypted.',
    options: ['context', 'name', 'oidc-group-prefix', 'replace'],
    async run(ctx) {
      const file = path.resolve(fileArgument(ctx, 'kubeconfig'));
      const kubeconfig = readText(file, 'kubeconfig');
      const contexts = ctx.options.context;
      const name = str(ctx.options.name);
      const prefix = str(ctx.options['oidc-group-prefix']);
      return withCore(ctx, async (cli) => {
        await signIn(cli);
        const out = await cli.client.call('clusters.import', {
          kubeconfig,
          fileName: file,
          ...(Array.isArray(contexts) ? { contexts } : {}),
          ...(name ? { name } : {}),
          ...(prefix !== undefined ? { oidcGroupPrefix: prefix } : {}),
          replace: ctx.options.replace === true,
        });
        if (ctx.json) return ctx.print(JSON.stringify(out, null, 2));
        ctx.print(
          formatTable(
            ['CLUSTER', 'CONTEXT', 'API SERVER', 'VERSION'],
            out.imported.map((c) => [c.name, c.context, c.server, c.version]),
          ),
        );
        for (const f of out.filesRead) ctx.print(`read and stored: ${f}`);
        for (const w of out.warnings) ctx.print(`warning: ${w.message} (${w.hint})`);
      });
    },
  },
  {
    words: ['clusters', 'list'],
    usage: 'clusters list',
    summary: 'Imported clusters.',
    options: [],
    async run(ctx) {
      return withCore(ctx, async (cli) => {
        await signIn(cli);
        const rows = await cli.client.call('clusters.list', {});
        if (ctx.json) return ctx.print(JSON.stringify(rows, null, 2));
        ctx.print(
          formatTable(
            ['CLUSTER', 'CONTEXT', 'API SERVER', 'OIDC GROUP PREFIX', 'IMPORTED'],
            rows.map((c) => [c.name, c.context, c.server, c.oidcGroupPrefix, c.addedAt]),
          ),
        );
      });
    },
  },
  {
    words: ['clusters', 'show'],
    usage: 'clusters show NAME',
    summary: 'Read a cluster now: version, GPU Operator, nodes with GPU and MIG capacity.',
    options: [],
    async run(ctx) {
      const name = fileArgument(ctx, 'cluster');
      return withCore(ctx, async (cli) => {
        await signIn(cli);
        const view = await cli.client.call('clusters.view', { cluster: name });
        if (ctx.json) return ctx.print(JSON.stringify(view, null, 2));
        ctx.print(
          formatFields([
            ['Cluster', `${view.name} (${view.server}, context ${view.context})`],
            ['Version', view.version],
            [
              'GPU Operator',
              `${view.gpuOperator.present ? 'present' : 'absent'}: ${view.gpuOperator.evidence}`,
            ],
            [
              'Allocatable',
              Object.entries(view.totals)
                .map(([k, v]) => `${k}=${v}`)
                .join(' ') || '(no GPUs)',
            ],
          ]),
        );
        ctx.print(
          formatTable(
            ['NODE', 'READY', 'GPU', 'MIG STRATEGY', 'MIG CONFIG', 'ALLOCATABLE'],
            view.nodes.map((n) => [
              n.name,
              n.ready ? 'yes' : 'no',
              n.gpuProduct ? `${n.gpuCount ?? '?'}x ${n.gpuProduct}` : '-',
              n.migStrategy ?? '-',
              n.migConfig ? `${n.migConfig} (${n.migConfigState ?? '?'})` : '-',
              Object.entries(n.allocatable)
                .map(([k, v]) => `${k.replace('nvidia.com/', '')}=${v}`)
                .join(' '),
            ]),
          ),
        );
      });
    },
  },
  {
    words: ['tenants', 'list'],
    usage: 'tenants list',
    summary: 'Tenants with health and drift from the last apply and drift check.',
    options: [],
    async run(ctx) {
      return withCore(ctx, async (cli) => {
        await signIn(cli);
        const rows = await cli.client.call('tenants.list', {});
        if (ctx.json) return ctx.print(JSON.stringify(rows, null, 2));
        ctx.print(
          formatTable(
            ['TENANT', 'CLUSTER', 'HEALTH', 'DRIFTED', 'LAST APPLIED'],
            rows.map((t) => [
              t.name,
              t.cluster,
              t.health,
              t.driftedObjects === null ? '-' : String(t.driftedObjects),
              t.lastAppliedAt ?? '-',
            ]),
          ),
        );
      });
    },
  },
  {
    words: ['tenants', 'render'],
    usage: 'tenants render FILE [--cluster C]',
    summary: 'The Kubernetes objects a tenant spec becomes, as YAML (--json: objects); nothing connects.',
    options: ['cluster'],
    async run(ctx) {
      const target = tenantTarget(ctx);
      return withCore(ctx, async (cli) => {
        await signIn(cli);
        const out = await cli.client.call('tenants.render', target);
        ctx.print(ctx.json ? JSON.stringify(out, null, 2) : out.manifest.trimEnd());
      });
    },
  },
  {
    words: ['tenants', 'plan'],
    usage: 'tenants plan FILE [--cluster C]',
    summary: 'Plan a tenant: a server-side-apply dry run per object, the field diff and GPU capacity.',
    options: ['cluster'],
    async run(ctx) {
      const target = tenantTarget(ctx);
      return withCore(ctx, async (cli) => {
        await signIn(cli);
        const plan = await cli.client.call('tenants.plan', target);
        if (ctx.json) ctx.print(JSON.stringify(plan, null, 2));
        else printPlan(ctx, plan);
        return plan.capacity.overcommitted.length > 0 ? EXIT.refused : EXIT.done;
      });
    },
  },
  {
    words: ['tenants', 'apply'],
    usage: 'tenants apply FILE [--cluster C] [--yes]',
    summary: 'Apply a tenant after showing its plan: server-side apply per object, then read back.',
    options: ['cluster', 'yes'],
    async run(ctx) {
      const target = tenantTarget(ctx);
      return withCore(ctx, async (cli) => {
        await signIn(cli);
        const plan = await cli.client.call('tenants.plan', target);
        if (!ctx.json) printPlan(ctx, plan);
        if (plan.capacity.overcommitted.length > 0) {
          if (ctx.json) ctx.print(JSON.stringify(plan, null, 2));
          process.stderr.write(
            `enclave: tenant ${plan.tenant} would over-commit cluster ${plan.cluster}; nothing was applied\n`,
          );
          return EXIT.refused;
        }
        if (plan.objects.every((o) => o.action === 'unchanged') && !ctx.json) {
          ctx.print('nothing to change');
        }
        if (!(await confirm(ctx, `Apply tenant ${plan.tenant} to cluster ${plan.cluster}?`)))
          return EXIT.done;
        const out = await cli.client.call(
          'tenants.apply',
          { ...target, planDigest: plan.planDigest },
          {
            onEvent: (e) => {
              if (!ctx.json && e.phase === 'applied') {
                process.stderr.write(`applied ${e.done}/${e.total} ${e.object.kind} ${e.object.name}\n`);
              }
            },
          },
        );
        if (ctx.json) return ctx.print(JSON.stringify(out, null, 2));
        ctx.print(
          out.verified
            ? `tenant ${out.tenant} applied to ${out.cluster} and read back: every field holds`
            : `tenant ${out.tenant} applied, but the read-back found:\n${out.problems.join('\n')}`,
        );
        return out.verified ? EXIT.done : EXIT.failed;
      });
    },
  },
  {
    words: ['tenants', 'drift'],
    usage: 'tenants drift (FILE | --name T) [--cluster C]',
    summary: 'What changed on the cluster since the tenant was last applied (--json has a changes array).',
    options: ['cluster', 'name'],
    async run(ctx) {
      const name = str(ctx.options.name);
      const cluster = str(ctx.options.cluster);
      const input = name ? { name, ...(cluster ? { cluster } : {}) } : tenantTarget(ctx);
      return withCore(ctx, async (cli) => {
        await signIn(cli);
        const out = await cli.client.call('tenants.drift', input);
        if (ctx.json) {
          ctx.print(JSON.stringify(out, null, 2));
        } else {
          ctx.print(
            out.changes.length === 0
              ? `tenant ${out.tenant} on ${out.cluster}: no drift since ${out.lastAppliedAt}`
              : [
                  `tenant ${out.tenant} on ${out.cluster} drifted since ${out.lastAppliedAt}:`,
                  ...describeChanges(out.changes, true),
                ].join('\n'),
          );
          if (out.specDiffers)
            ctx.print('the spec file differs from what was last applied: plan it to see how');
        }
        return out.changes.length === 0 ? EXIT.done : EXIT.failed;
      });
    },
  },
  {
    words: ['tenants', 'decommission'],
    usage: 'tenants decommission NAME [--cluster C] [--timeout SECONDS] [--yes]',
    summary: "Delete a tenant's namespace and everything in it, and wait for the cluster to finish.",
    options: ['cluster', 'timeout', 'yes'],
    async run(ctx) {
      const name = fileArgument(ctx, 'tenant');
      const cluster = str(ctx.options.cluster);
      const timeout = str(ctx.options.timeout);
      if (timeout !== undefined && !/^[1-9][0-9]*$/.test(timeout))
        throw new UsageError('--timeout takes seconds');
      return withCore(ctx, async (cli) => {
        await signIn(cli);
        if (!(await confirm(ctx, `Delete tenant ${name}'s namespace and everything in it?`)))
          return EXIT.done;
        const out = await cli.client.call(
          'tenants.decommission',
          { name, ...(cluster ? { cluster } : {}), ...(timeout ? { timeoutSeconds: Number(timeout) } : {}) },
          { onEvent: (e) => !ctx.json && process.stderr.write(`${e.phase}: ${e.message}\n`) },
        );
        if (ctx.json) return ctx.print(JSON.stringify(out, null, 2));
        ctx.print(
          out.outcome === 'gone'
            ? `tenant ${name} decommissioned from ${out.cluster} in ${out.waitedSeconds} s`
            : `namespace ${name} is still terminating after ${out.waitedSeconds} s: ${out.remaining.join('; ') || 'no reason given'}`,
        );
        return out.outcome === 'gone' ? EXIT.done : EXIT.failed;
      });
    },
  },
];

function printPlan(
  ctx: CommandContext,
  plan: {
    tenant: string;
    cluster: string;
    objects: ObjectChange[];
    capacity: {
      rows: {
        resource: string;
        offered: number;
        reservedByOthers: number;
        requested: number;
        free: number;
      }[];
      overcommitted: string[];
    };
  },
): void {
  ctx.print(`plan for tenant ${plan.tenant} on cluster ${plan.cluster}:`);
  ctx.print(describeChanges(plan.objects, true).join('\n'));
  const rows = plan.capacity.rows.filter((r) => r.requested > 0 || r.reservedByOthers > 0);
  if (rows.length) {
    ctx.print(
      formatTable(
        ['GPU RESOURCE', 'OFFERED', 'OTHER TENANTS', 'THIS TENANT', 'FREE AFTER'],
        rows.map((r) => [
          r.resource,
          String(r.offered),
          String(r.reservedByOthers),
          String(r.requested),
          String(r.free),
        ]),
      ),
    );
  }
  for (const line of plan.capacity.overcommitted) ctx.print(`over-committed: ${line}`);
}
