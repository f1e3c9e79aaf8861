import { z } from 'zod';
import { EVERY_ROLE } from '../roles';
import { Empty } from './common';
import { procedure } from './define';

/** The site policy: decided by a security officer, consulted by every capability before it acts. */
export const SitePolicy = z.object({
  /** SSH password login for hosts that cannot take a key. Off: keys or an ssh-agent only. */
  allowPasswordLogin: z.boolean(),
  /**
   * kubeconfig exec credential plugins the console may run, each an exact command line (absolute
   * path then arguments, as `enclave clusters import` prints a refused one). Empty: none.
   */
  kubeconfigExecAllowlist: z.array(z.string()),
});
export type SitePolicy = z.infer<typeof SitePolicy>;

export const policyProcedures = [
  procedure({
    id: 'policy.get',
    summary: 'The site policy.',
    input: Empty,
    output: SitePolicy,
    roles: EVERY_ROLE,
    audited: false,
    mutates: false,
  }),
  procedure({
    id: 'policy.set',
    summary:
      'Change the site policy (password login for hosts, kubeconfig exec plugins). Hosts added with a password stop connecting when it is turned off.',
    input: z.strictObject({
      allowPasswordLogin: z.boolean().optional(),
      kubeconfigExecAllowlist: z.array(z.string().min(1).max(4096)).max(64).optional(),
    }),
    output: z.object({ policy: SitePolicy, previous: SitePolicy }),
    roles: ['security-officer', 'admin'],
    audited: true,
    mutates: true,
    target: () => 'site policy',
    auditResult: (output) => output,
    action: { title: 'Change the site policy…', palette: true, page: 'settings' },
  }),
] as const;
