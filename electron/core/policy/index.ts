// The site's policy: settings a security officer decides once for the whole workstation, which
// the capabilities consult before acting (design.md §2 policy/). Kept in the meta table; every
// change goes through policy.set, so it is in the ledger with who changed what.
import type { SitePolicy } from '../../../shared/api';
import type { Db } from '../store';

const KEYS: { [K in keyof SitePolicy]: string } = {
  allowPasswordLogin: 'policy.allow-password-login',
  kubeconfigExecAllowlist: 'policy.kubeconfig-exec-allowlist',
};

/** Everything off unless a security officer turned it on. */
const DEFAULTS: SitePolicy = { allowPasswordLogin: false, kubeconfigExecAllowlist: [] };

export function sitePolicy(db: Db): SitePolicy {
  const get = db.prepare('SELECT value FROM meta WHERE key = ?').pluck();
  const read = (key: keyof SitePolicy): string | undefined => get.get(KEYS[key]) as string | undefined;
  const login = read('allowPasswordLogin');
  const exec = read('kubeconfigExecAllowlist');
  return {
    allowPasswordLogin: login === undefined ? DEFAULTS.allowPasswordLogin : login === 'true',
    kubeconfigExecAllowlist:
      exec === undefined ? DEFAULTS.kubeconfigExecAllowlist : (JSON.parse(exec) as string[]),
  };
}

/** Applies the given settings; returns the policy before and after. */
export function setSitePolicy(
  db: Db,
  change: Partial<SitePolicy>,
): { previous: SitePolicy; policy: SitePolicy } {
  return db.transaction(() => {
    const previous = sitePolicy(db);
    const put = db.prepare(
      'INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value',
    );
    if (change.allowPasswordLogin !== undefined) {
      put.run(KEYS.allowPasswordLogin, change.allowPasswordLogin ? 'true' : 'false');
    }
    if (change.kubeconfigExecAllowlist !== undefined) {
      put.run(KEYS.kubeconfigExecAllowlist, JSON.stringify([...new Set(change.kubeconfigExecAllowlist)]));
    }
    return { previous, policy: sitePolicy(db) };
  })();
}
