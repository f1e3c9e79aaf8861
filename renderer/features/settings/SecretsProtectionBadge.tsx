import type { SystemInfo } from '../../../shared/api';
import { Badge } from '../../ui/Badge';

/** How secrets at rest are keyed; the fallback is not worse, but the operator should know which applies. */
export function SecretsProtectionBadge({ protection }: { protection: SystemInfo['secretsProtection'] }) {
  return protection === 'os-keyring' ? (
    <Badge tone="ok">OS keyring</Badge>
  ) : (
    <span title="No OS keyring is available, so the key that encrypts secrets is derived from the operator's credentials.">
      <Badge tone="accent">Derived from operator credentials</Badge>
    </span>
  );
}
