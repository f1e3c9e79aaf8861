// `enclave policy show|set`: the site policy, changed by a security officer or an admin (audited).
import type { SitePolicy } from '../../shared/api';
import { str, withCore, type Command } from './command';
import { UsageError } from './exit-codes';
import { signIn } from './session';
import { formatFields } from './table';

function onOff(value: string | undefined, option: string): boolean | undefined {
  if (value === undefined) return undefined;
  if (/^(on|yes|true)$/i.test(value)) return true;
  if (/^(off|no|false)$/i.test(value)) return false;
  throw new UsageError(`--${option} takes on or off`);
}

const describe = (p: SitePolicy): [string, string][] => [
  ['Password login for hosts', p.allowPasswordLogin ? 'allowed' : 'not allowed (keys or ssh-agent only)'],
  [
    'kubeconfig exec plugins',
    p.kubeconfigExecAllowlist.length ? p.kubeconfigExecAllowlist.join('\n') : 'none allowed',
  ],
];

export const POLICY_COMMANDS: Command[] = [
  {
    words: ['policy', 'show'],
    usage: 'policy show',
    summary: 'Show the site policy.',
    options: [],
    async run(ctx) {
      return withCore(ctx, async (cli) => {
        await signIn(cli);
        const policy = await cli.client.call('policy.get', {});
        ctx.print(ctx.json ? JSON.stringify(policy, null, 2) : formatFields(describe(policy)));
      });
    },
  },
  {
    words: ['policy', 'set'],
    usage:
      'policy set [--allow-password-login on|off] [--allow-kubeconfig-exec "COMMAND LINE"]… [--no-kubeconfig-exec]',
    summary:
      'Security officers and administrators: change the site policy (audited). --allow-kubeconfig-exec replaces the list of allowed kubeconfig exec plugins.',
    options: ['allow-password-login', 'allow-kubeconfig-exec', 'no-kubeconfig-exec'],
    async run(ctx) {
      const allowPasswordLogin = onOff(str(ctx.options['allow-password-login']), 'allow-password-login');
      const allowed = ctx.options['allow-kubeconfig-exec'];
      const exec = ctx.options['no-kubeconfig-exec']
        ? []
        : allowed === undefined
          ? undefined
          : (Array.isArray(allowed) ? allowed : [allowed]).map(String);
      if (allowPasswordLogin === undefined && exec === undefined) {
        throw new UsageError(`usage: enclave ${this.usage}`);
      }
      return withCore(ctx, async (cli) => {
        await signIn(cli);
        const { policy, previous } = await cli.client.call('policy.set', {
          ...(allowPasswordLogin === undefined ? {} : { allowPasswordLogin }),
          ...(exec === undefined ? {} : { kubeconfigExecAllowlist: exec }),
        });
        if (ctx.json) return ctx.print(JSON.stringify({ policy, previous }, null, 2));
        ctx.print(formatFields(describe(policy)));
      });
    },
  },
];
