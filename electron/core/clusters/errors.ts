// What went wrong talking to a cluster, in the operator's words. @kubernetes/client-node 1.x
// reports TLS and socket failures as node-fetch FetchErrors carrying Node's error code, and HTTP
// failures as ApiException with the status code and the raw body (a Kubernetes Status object).
// A cluster's 401/403 is not the console's own UNAUTHENTICATED/FORBIDDEN (those end or limit the
// operator's console session), so every one of these is FAILED with a `reason` for programs.
import { ConsoleError } from '../../../shared/errors';

export type ClusterFailure =
  | 'unknown-ca'
  | 'certificate-expired'
  | 'certificate-not-yet-valid'
  | 'name-mismatch'
  | 'tls'
  | 'unauthorized'
  | 'forbidden'
  | 'unreachable'
  | 'http'
  | 'other';

export class ClusterConnectionError extends ConsoleError {
  readonly reason: ClusterFailure;
  readonly status: number | undefined;
  constructor(reason: ClusterFailure, message: string, hint: string, status?: number) {
    super('FAILED', message, { hint });
    this.name = 'ClusterConnectionError';
    this.reason = reason;
    this.status = status;
  }
}

/** The context being reached, for messages. */
export interface ClusterTarget {
  context: string;
  server: string;
}

const UNKNOWN_CA = new Set([
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'CERT_SIGNATURE_FAILURE',
  'CERT_UNTRUSTED',
]);
const UNREACHABLE = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ETIMEDOUT',
  'UND_ERR_CONNECT_TIMEOUT',
]);

/** The errors in `error`'s cause chain, outermost first. */
function chain(error: unknown): Record<string, unknown>[] {
  const out: Record<string, unknown>[] = [];
  let e: unknown = error;
  while (typeof e === 'object' && e !== null && out.length < 8) {
    out.push(e as Record<string, unknown>);
    e = (e as { cause?: unknown }).cause;
  }
  return out;
}

/** The `message` of a Kubernetes Status body, shortened; never the whole body. */
function statusMessage(body: unknown): string | undefined {
  let parsed: unknown = body;
  if (typeof body === 'string') {
    try {
      parsed = JSON.parse(body);
    } catch {
      return undefined;
    }
  }
  const message = (parsed as { message?: unknown } | null)?.message;
  return typeof message === 'string' && message ? message.slice(0, 300) : undefined;
}

/** Turns a failed call to a cluster into a ConsoleError that says what happened and what to do. */
export function describeClusterError(error: unknown, target: ClusterTarget): ClusterConnectionError {
  if (error instanceof ClusterConnectionError) return error;
  const where = `context "${target.context}" (${target.server})`;
  const errors = chain(error);
  const status = errors.map((e) => e.code).find((c): c is number => typeof c === 'number');
  if (status !== undefined) {
    const said = statusMessage(errors.find((e) => typeof e.code === 'number')?.body);
    const detail = said ? `: ${said}` : '';
    if (status === 401) {
      return new ClusterConnectionError(
        'unauthorized',
        `the API server of ${where} did not accept the credentials (401 Unauthorized)${detail}`,
        'The token or client certificate is not valid for this cluster (expired, revoked, or for another cluster); import fresh credentials.',
        status,
      );
    }
    if (status === 403) {
      return new ClusterConnectionError(
        'forbidden',
        `the API server of ${where} refused the request (403 Forbidden)${detail}`,
        'The credentials are valid but RBAC does not allow this; ask the cluster administrator for the role it needs.',
        status,
      );
    }
    return new ClusterConnectionError(
      'http',
      `the API server of ${where} answered ${status}${detail}`,
      'See the message from the API server.',
      status,
    );
  }
  const code = errors.map((e) => e.code).find((c): c is string => typeof c === 'string');
  const text = errors.map((e) => (typeof e.message === 'string' ? e.message : '')).join(' ');
  if (code && UNKNOWN_CA.has(code)) {
    return new ClusterConnectionError(
      'unknown-ca',
      `the API server of ${where} presented a certificate that the kubeconfig's certificate authority did not issue (${code})`,
      "Check that the kubeconfig's certificate-authority-data is this cluster's CA and that the address reaches this cluster, not another machine.",
    );
  }
  if (code === 'CERT_HAS_EXPIRED') {
    return new ClusterConnectionError(
      'certificate-expired',
      `the API server certificate of ${where} has expired`,
      'The cluster administrator renews it (kubeadm certs renew apiserver); check the console clock too.',
    );
  }
  if (code === 'CERT_NOT_YET_VALID') {
    return new ClusterConnectionError(
      'certificate-not-yet-valid',
      `the API server certificate of ${where} is not valid yet`,
      "Check the clocks of the console workstation and of the cluster's control plane.",
    );
  }
  if (code === 'ERR_TLS_CERT_ALTNAME_INVALID') {
    return new ClusterConnectionError(
      'name-mismatch',
      `the API server certificate of ${where} is not issued for the host in the server URL`,
      'Use the address the certificate names, or set tls-server-name in the kubeconfig to the name it is issued for.',
    );
  }
  if (code && UNREACHABLE.has(code)) {
    return new ClusterConnectionError(
      'unreachable',
      `the API server of ${where} cannot be reached (${code})`,
      'Check the address and port, and that the console workstation reaches the control plane network.',
    );
  }
  if (
    code &&
    (code.startsWith('ERR_SSL') || code.startsWith('ERR_TLS') || /certificate|TLS|SSL/i.test(text))
  ) {
    return new ClusterConnectionError(
      'tls',
      `the TLS connection to ${where} failed (${code})`,
      'Check that the server is the Kubernetes API server and speaks HTTPS on this port.',
    );
  }
  return new ClusterConnectionError(
    'other',
    `the call to ${where} failed${code ? ` (${code})` : ''}: ${text.slice(0, 300) || String(error)}`,
    'See the message; check the address and the cluster.',
  );
}
