// kubeconfig import: text in, one checked cluster per context out (no network, no processes, no
// file reads except through the caller's `readFile`). A kubeconfig is executable configuration:
// @kubernetes/client-node runs exec plugins and auth providers, reads token files at load and
// follows proxy-url, and has no switch to turn any of that off. So the console never hands it an
// operator's kubeconfig: this module parses it, refuses what the console will not do, reads the
// files it names once, and `sanitizedKubeconfig` writes a new one holding only inline data.
import { X509Certificate, createPrivateKey, type KeyObject } from 'node:crypto';
import path from 'node:path';
import { LineCounter, parseDocument, stringify, type Document } from 'yaml';

/** Kubeconfigs are kilobytes; anything this large is the wrong file. */
export const MAX_KUBECONFIG_BYTES = 4 * 1024 * 1024;
/** Aliases a YAML file may expand; more is a "billion laughs" file, not a kubeconfig. */
export const MAX_KUBECONFIG_ALIASES = 100;

/** Certificates, keys and tokens are kilobytes; a larger file is the wrong one. */
export const MAX_REFERENCED_FILE_BYTES = 256 * 1024;

/** A bearer token: printable ASCII, no spaces (a JWT or a service-account token). */
const TOKEN = /^[\x21-\x7e]{1,16384}$/;

/** One certificate, as the console shows it. */
export interface CertificateSummary {
  subject: string;
  issuer: string;
  /** ISO 8601. */
  notBefore: string;
  notAfter: string;
  fingerprint256: string;
}

/**
 * An exec credential plugin the site policy allows. The console keeps it as a description; nothing
 * here runs it.
 */
export interface ExecCredentialSource {
  /** Absolute path of the plugin. */
  command: string;
  args: string[];
  env: { name: string; value: string }[];
  apiVersion: string;
  /** The command line as the allowlist names it (see `execCommandLine`). */
  commandLine: string;
}

export interface ImportedUser {
  /** The kubeconfig's name for the user entry. */
  name: string;
  clientCertificate?: { certPem: string; keyPem: string; certificate: CertificateSummary };
  token?: string;
  exec?: ExecCredentialSource;
}

/** One context of the kubeconfig, with its cluster and user resolved and checked. */
export interface ImportedCluster {
  context: string;
  namespace?: string;
  /** Whether the kubeconfig's current-context names this context. */
  current: boolean;
  cluster: {
    name: string;
    server: string;
    /** PEM bundle of the certificate authorities the API server's certificate must chain to. */
    caPem: string;
    caCertificates: CertificateSummary[];
    tlsServerName?: string;
  };
  user: ImportedUser;
}

/** A refused or broken entry: what, where and what to do. Never carries a secret's value. */
export interface KubeconfigProblem {
  /** `context "prod"`, `cluster "prod"`, `user "admin"`, or `kubeconfig`. */
  entry: string;
  /** The kubeconfig field, e.g. `insecure-skip-tls-verify`. */
  field: string;
  message: string;
  hint: string;
  line?: number;
}

export type KubeconfigImport =
  | {
      ok: true;
      clusters: ImportedCluster[];
      warnings: KubeconfigProblem[];
      /** The files the import read (absolute paths), for the operator to confirm. */
      filesRead: string[];
    }
  | { ok: false; errors: KubeconfigProblem[]; warnings: KubeconfigProblem[] };

export interface ParseKubeconfigOptions {
  /** Name of the file, for messages; relative file references resolve against its directory. */
  fileName?: string;
  /** Reads a file the kubeconfig names; undefined when it cannot be read. Each path is read once. */
  readFile?: (filePath: string) => Buffer | undefined;
  /**
   * The site policy's exec credential plugins, each the exact command line `execCommandLine`
   * writes (absolute path, then the arguments). Empty: every exec plugin is refused.
   */
  execAllowlist: string[];
  /** Only these contexts are imported (and checked); all of them when omitted. */
  contexts?: string[];
  /** The time certificates are checked against. */
  now?: Date;
}

const SAFE_WORD = /^[A-Za-z0-9_@%+=:,./-]+$/;

/**
 * The command line of an exec plugin as the site policy's allowlist names it: the command then
 * each argument, separated by one space, a word with anything but `[A-Za-z0-9_@%+=:,./-]` in
 * single quotes (POSIX shell style), so two different argument lists never read the same.
 */
export function execCommandLine(command: string, args: readonly string[] = []): string {
  return [command, ...args].map((w) => (SAFE_WORD.test(w) ? w : `'${w.replace(/'/g, `'\\''`)}'`)).join(' ');
}

/** Environment variables that change which code a plugin runs; an allowlisted command may not set them. */
const DANGEROUS_ENV =
  /^(LD_\w*|DYLD_\w*|PATH|NODE_OPTIONS|BASH_ENV|ENV|PYTHONPATH|PYTHONSTARTUP|PYTHONHOME|PERL5LIB|PERL5OPT|RUBYOPT|RUBYLIB)$/;

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

const KNOWN_CLUSTER_FIELDS = new Set([
  'server',
  'certificate-authority',
  'certificate-authority-data',
  'insecure-skip-tls-verify',
  'tls-server-name',
  'proxy-url',
  'disable-compression',
  'extensions',
]);
const KNOWN_USER_FIELDS = new Set([
  'client-certificate',
  'client-certificate-data',
  'client-key',
  'client-key-data',
  'token',
  'tokenFile',
  'token-file',
  'exec',
  'auth-provider',
  'username',
  'password',
  'as',
  'as-uid',
  'as-groups',
  'as-user-extra',
  'extensions',
]);

class Checker {
  readonly errors: KubeconfigProblem[] = [];
  readonly warnings: KubeconfigProblem[] = [];
  /** Every file read, in order, so the operator sees what the import took from the disk. */
  readonly filesRead: string[] = [];
  private readonly files = new Map<string, Buffer | undefined>();
  private readonly lines: LineCounter;
  private readonly doc: Document;
  readonly options: ParseKubeconfigOptions;
  constructor(doc: Document, lines: LineCounter, options: ParseKubeconfigOptions) {
    this.doc = doc;
    this.lines = lines;
    this.options = options;
  }

  /** The line of the node at `at` in the YAML document. */
  lineOf(at: (string | number)[]): number | undefined {
    for (let n = at.length; n >= 0; n--) {
      const node = this.doc.getIn(at.slice(0, n), true) as { range?: [number, number, number] } | undefined;
      if (node?.range) return this.lines.linePos(node.range[0]).line;
    }
    return undefined;
  }

  problem(
    kind: 'error' | 'warning',
    entry: string,
    field: string,
    message: string,
    hint: string,
    at: (string | number)[],
  ): void {
    const p: KubeconfigProblem = { entry, field, message, hint };
    const line = this.lineOf(at);
    if (line !== undefined) p.line = line;
    (kind === 'error' ? this.errors : this.warnings).push(p);
  }

  /** A file the kubeconfig names, read at most once however many entries name it. */
  readOnce(
    filePath: string,
    entry: string,
    field: string,
    at: (string | number)[],
    dataField: string,
  ): Buffer | undefined {
    const { readFile, fileName } = this.options;
    if (!readFile) {
      this.problem(
        'error',
        entry,
        field,
        `${entry} names the file ${filePath} in ${field}, and this import does not read files`,
        `Import the kubeconfig from its file so the console can read ${filePath}, or put the contents inline as ${dataField}.`,
        at,
      );
      return undefined;
    }
    let resolved = filePath;
    if (!path.isAbsolute(filePath)) {
      if (!fileName || !path.isAbsolute(fileName)) {
        this.problem(
          'error',
          entry,
          field,
          `${entry} names the relative path ${filePath} in ${field}, and the kubeconfig's own location is not known`,
          `Give an absolute path, or put the contents inline as ${dataField}.`,
          at,
        );
        return undefined;
      }
      resolved = path.resolve(path.dirname(fileName), filePath);
    }
    if (!this.files.has(resolved)) {
      const read = readFile(resolved);
      if (read !== undefined) this.filesRead.push(resolved);
      this.files.set(resolved, read);
    }
    const data = this.files.get(resolved);
    if (data !== undefined && data.byteLength > MAX_REFERENCED_FILE_BYTES) {
      this.problem(
        'error',
        entry,
        field,
        `${entry}: the file ${resolved} named in ${field} is ${data.byteLength} bytes, too large for a certificate, key or token`,
        `Check that ${field} names the right file.`,
        at,
      );
      return undefined;
    }
    if (data === undefined) {
      this.problem(
        'error',
        entry,
        field,
        `${entry}: the file ${resolved} named in ${field} cannot be read`,
        `Check that the file exists and is readable, or put the contents inline as ${dataField}.`,
        at,
      );
    }
    return data;
  }
}

function str(v: unknown): string | undefined {
  return typeof v === 'string' ? v : undefined;
}

/** Strict base64 (the *-data fields); undefined when it is not base64. */
function decodeBase64(value: string): Buffer | undefined {
  const clean = value.replace(/\s+/g, '');
  if (!clean || !/^[A-Za-z0-9+/]*={0,2}$/.test(clean) || clean.length % 4 !== 0) return undefined;
  return Buffer.from(clean, 'base64');
}

function iso(dateText: string): string {
  const d = new Date(dateText);
  return Number.isNaN(d.getTime()) ? dateText : d.toISOString();
}

function summarise(cert: X509Certificate): CertificateSummary {
  return {
    subject: cert.subject.replace(/\n/g, ', '),
    issuer: cert.issuer.replace(/\n/g, ', '),
    notBefore: iso(cert.validFrom),
    notAfter: iso(cert.validTo),
    fingerprint256: cert.fingerprint256,
  };
}

const PEM_CERT = /-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/g;

/** Parses a PEM bundle; a string describing what is wrong when it is not one. */
function parseCertificates(pem: string): X509Certificate[] | string {
  const blocks = pem.match(PEM_CERT) ?? [];
  if (blocks.length === 0) {
    if (/-----BEGIN [A-Z ]*PRIVATE KEY-----/.test(pem)) return 'it holds a private key, not a certificate';
    if (/-----BEGIN /.test(pem)) return 'it holds PEM data but no CERTIFICATE block';
    return 'it is not a PEM certificate (no -----BEGIN CERTIFICATE----- block)';
  }
  const certs: X509Certificate[] = [];
  for (const [i, block] of blocks.entries()) {
    try {
      certs.push(new X509Certificate(block));
    } catch (e) {
      return `certificate ${i + 1} of the bundle does not parse (${(e as Error).message})`;
    }
  }
  return certs;
}

/**
 * The PEM text of a certificate/key field: `<field>-data` (base64 of the PEM) or `<field>` (a file
 * path, read once). Undefined when absent or broken (the problem is recorded).
 */
function pemField(
  c: Checker,
  section: Obj,
  entry: string,
  fileField: string,
  at: (string | number)[],
): string | undefined {
  const dataField = `${fileField}-data`;
  const data = section[dataField];
  const file = section[fileField];
  if (data !== undefined && file !== undefined) {
    c.problem(
      'error',
      entry,
      fileField,
      `${entry} sets both ${fileField} and ${dataField}`,
      `Keep one of them (${dataField} is preferred).`,
      [...at, fileField],
    );
    return undefined;
  }
  if (data !== undefined) {
    const decoded = typeof data === 'string' ? decodeBase64(data) : undefined;
    if (!decoded) {
      c.problem(
        'error',
        entry,
        dataField,
        `${dataField} of ${entry} is not base64`,
        `${dataField} holds the PEM text encoded as base64 (base64 -w0 < file.pem).`,
        [...at, dataField],
      );
      return undefined;
    }
    return decoded.toString('utf8');
  }
  if (file !== undefined) {
    if (typeof file !== 'string' || !file) {
      c.problem(
        'error',
        entry,
        fileField,
        `${fileField} of ${entry} is not a file path`,
        `Give a path, or the contents inline as ${dataField}.`,
        [...at, fileField],
      );
      return undefined;
    }
    return c.readOnce(file, entry, fileField, [...at, fileField], dataField)?.toString('utf8');
  }
  return undefined;
}

interface NamedEntry {
  body: Obj;
  at: (string | number)[];
  /** Why the entry cannot be used; reported only when a chosen context needs it. */
  broken?: { field: string; message: string; hint: string; at?: (string | number)[] };
}

/**
 * Indexes a list section (clusters/users/contexts) by name. A broken entry (no section, a name
 * used twice) is kept with what is wrong, so it blocks only the contexts that use it; an entry
 * with no name can never be used and is only a warning.
 */
function namedEntries(
  c: Checker,
  root: Obj,
  key: 'clusters' | 'users' | 'contexts',
  inner: 'cluster' | 'user' | 'context',
): Map<string, NamedEntry> {
  const out = new Map<string, NamedEntry>();
  const list = root[key];
  if (list === undefined || list === null) return out;
  if (!Array.isArray(list)) {
    c.problem(
      'error',
      'kubeconfig',
      key,
      `${key} is not a list`,
      `${key} is a list of entries, each with a name and a ${inner}.`,
      [key],
    );
    return out;
  }
  list.forEach((item: unknown, i) => {
    const name = isObj(item) ? str(item.name) : undefined;
    if (!isObj(item) || !name) {
      c.problem(
        'warning',
        'kubeconfig',
        `${key}[${i}].name`,
        `entry ${i + 1} of ${key} has no name, so nothing can use it; it is left out`,
        `Give it a name, or remove it.`,
        [key, i],
      );
      return;
    }
    const body = item[inner];
    const at = [key, i, inner];
    const previous = out.get(name);
    if (previous) {
      previous.broken = {
        field: 'name',
        message: `${key} has two entries named "${name}"`,
        hint: 'Rename or remove one of them; the console will not guess which one is meant.',
        at: [key, i, 'name'],
      };
      return;
    }
    if (!isObj(body)) {
      out.set(name, {
        body: {},
        at: [key, i],
        broken: {
          field: inner,
          message: `${inner} "${name}" has no ${inner} section`,
          hint: `Give ${inner} "${name}" its ${inner}: settings, or remove the entry.`,
        },
      });
      return;
    }
    out.set(name, { body, at });
  });
  return out;
}

/** Reports a broken entry as an error; true when the entry is usable. */
function usable(c: Checker, entry: string, e: NamedEntry): boolean {
  if (!e.broken) return true;
  c.problem('error', entry, e.broken.field, e.broken.message, e.broken.hint, e.broken.at ?? e.at);
  return false;
}

function checkCluster(
  c: Checker,
  name: string,
  body: Obj,
  at: (string | number)[],
  now: Date,
): ImportedCluster['cluster'] | undefined {
  const entry = `cluster "${name}"`;
  const before = c.errors.length;
  for (const key of Object.keys(body)) {
    if (!KNOWN_CLUSTER_FIELDS.has(key)) {
      c.problem(
        'warning',
        entry,
        key,
        `${entry} has the field ${key}, which the console does not know; it is left out`,
        'Check the kubeconfig was written for this Kubernetes version.',
        [...at, key],
      );
    }
  }
  const server = str(body.server);
  let serverUrl: string | undefined;
  if (!server) {
    c.problem(
      'error',
      entry,
      'server',
      `${entry} has no server`,
      'Give the API server URL, e.g. server: https://10.0.0.1:6443.',
      [...at, 'server'],
    );
  } else {
    let url: URL | undefined;
    try {
      url = new URL(server);
    } catch {
      c.problem(
        'error',
        entry,
        'server',
        `the server of ${entry} (${server}) is not a URL`,
        'Give the API server URL, e.g. server: https://10.0.0.1:6443.',
        [...at, 'server'],
      );
    }
    if (url && url.protocol !== 'https:') {
      c.problem(
        'error',
        entry,
        'server',
        `the server of ${entry} is ${url.protocol.replace(/:$/, '')}://, and the console only talks to a cluster over HTTPS`,
        'Give the https:// URL of the API server.',
        [...at, 'server'],
      );
    } else if (url && (url.username || url.password)) {
      c.problem(
        'error',
        entry,
        'server',
        `the server URL of ${entry} carries a user name or password`,
        'Remove the credentials from the URL; give the user credentials in the users section.',
        [...at, 'server'],
      );
    } else if (url && (url.search || url.hash)) {
      c.problem(
        'error',
        entry,
        'server',
        `the server URL of ${entry} has a query or fragment`,
        'Give the API server URL only (https://host:port, or with a path prefix).',
        [...at, 'server'],
      );
    } else if (url) {
      serverUrl = server.replace(/\/+$/, '');
    }
  }
  if (body['insecure-skip-tls-verify'] === true || body['insecure-skip-tls-verify'] === 'true') {
    c.problem(
      'error',
      entry,
      'insecure-skip-tls-verify',
      `insecure-skip-tls-verify is set for ${entry}: the console never talks to a cluster without verifying its certificate`,
      `Remove insecure-skip-tls-verify and give ${entry} certificate-authority-data (the cluster CA, base64 PEM).`,
      [...at, 'insecure-skip-tls-verify'],
    );
  }
  if (body['proxy-url'] !== undefined) {
    c.problem(
      'error',
      entry,
      'proxy-url',
      `${entry} sets proxy-url: the console makes no connections through proxies (an enclave has no outbound proxy, and a proxy is a path out of it)`,
      'Remove proxy-url and give the API server address the console workstation reaches directly.',
      [...at, 'proxy-url'],
    );
  }
  let tlsServerName: string | undefined;
  if (body['tls-server-name'] !== undefined) {
    tlsServerName = str(body['tls-server-name']);
    if (!tlsServerName || !/^[A-Za-z0-9.-]+$/.test(tlsServerName)) {
      c.problem(
        'error',
        entry,
        'tls-server-name',
        `tls-server-name of ${entry} is not a host name`,
        'Give the name the API server certificate is issued for, or remove tls-server-name.',
        [...at, 'tls-server-name'],
      );
    } else {
      c.problem(
        'warning',
        entry,
        'tls-server-name',
        `${entry} verifies the server certificate for ${tlsServerName}, not for the host of its URL`,
        'Expected behind a load balancer or an IP address; check it names the real API server.',
        [...at, 'tls-server-name'],
      );
    }
  }
  const caPem = pemField(c, body, entry, 'certificate-authority', at);
  let caCertificates: CertificateSummary[] = [];
  if (caPem === undefined) {
    if (body['certificate-authority'] === undefined && body['certificate-authority-data'] === undefined) {
      c.problem(
        'error',
        entry,
        'certificate-authority-data',
        `${entry} names no certificate authority: the console verifies every cluster against the CA its kubeconfig gives (public roots mean nothing in an enclave)`,
        `Give ${entry} certificate-authority-data (base64 of the cluster CA's PEM, e.g. /etc/kubernetes/pki/ca.crt).`,
        at,
      );
    }
  } else {
    const parsed = parseCertificates(caPem);
    if (typeof parsed === 'string') {
      c.problem(
        'error',
        entry,
        'certificate-authority',
        `the certificate authority of ${entry} is not usable: ${parsed}`,
        `Give the cluster CA certificate in PEM form (base64 of it in certificate-authority-data).`,
        [
          ...at,
          body['certificate-authority-data'] !== undefined
            ? 'certificate-authority-data'
            : 'certificate-authority',
        ],
      );
    } else {
      caCertificates = parsed.map(summarise);
      for (const cert of parsed) {
        if (!cert.ca) {
          c.problem(
            'warning',
            entry,
            'certificate-authority',
            `the certificate ${cert.subject.replace(/\n/g, ', ')} given as the CA of ${entry} is not a CA certificate (it may be the API server's own certificate)`,
            "Give the cluster CA (kubeadm: /etc/kubernetes/pki/ca.crt); verification against a server's own certificate fails.",
            [
              ...at,
              body['certificate-authority-data'] !== undefined
                ? 'certificate-authority-data'
                : 'certificate-authority',
            ],
          );
        }
      }
      const current = parsed.filter((cert) => !expiredOrEarly(cert, now));
      for (const cert of parsed) {
        const why = expiredOrEarly(cert, now);
        if (why) {
          c.problem(
            current.length ? 'warning' : 'error',
            entry,
            'certificate-authority',
            `the CA certificate ${cert.subject.replace(/\n/g, ', ')} of ${entry} ${why}`,
            'Give the current cluster CA (the cluster was probably re-keyed); get a fresh kubeconfig.',
            [...at, 'certificate-authority-data'],
          );
        }
      }
    }
  }
  if (c.errors.length > before || !serverUrl || caPem === undefined) return undefined;
  const out: ImportedCluster['cluster'] = {
    name,
    server: serverUrl,
    caPem: normalisePem(caPem),
    caCertificates,
  };
  if (tlsServerName) out.tlsServerName = tlsServerName;
  return out;
}

function normalisePem(pem: string): string {
  return (pem.match(PEM_CERT) ?? []).join('\n') + '\n';
}

/** Why the certificate is not valid at `now`, with its dates; undefined when it is. */
function expiredOrEarly(cert: X509Certificate, now: Date): string | undefined {
  const from = new Date(cert.validFrom);
  const to = new Date(cert.validTo);
  if (now.getTime() > to.getTime()) {
    return `expired on ${to.toISOString()} (valid from ${from.toISOString()}; checked at ${now.toISOString()})`;
  }
  if (now.getTime() < from.getTime()) {
    return `is not valid yet: valid from ${from.toISOString()} to ${to.toISOString()} (checked at ${now.toISOString()}; check the clock)`;
  }
  return undefined;
}

function checkUser(
  c: Checker,
  name: string,
  body: Obj,
  at: (string | number)[],
  now: Date,
): ImportedUser | undefined {
  const entry = `user "${name}"`;
  const before = c.errors.length;
  const user: ImportedUser = { name };
  for (const key of Object.keys(body)) {
    if (!KNOWN_USER_FIELDS.has(key)) {
      c.problem(
        'warning',
        entry,
        key,
        `${entry} has the field ${key}, which the console does not know; it is left out`,
        'Check the kubeconfig was written for this Kubernetes version.',
        [...at, key],
      );
    }
  }
  if (body['auth-provider'] !== undefined) {
    const provider = isObj(body['auth-provider']) ? str(body['auth-provider'].name) : undefined;
    const why =
      provider === 'oidc'
        ? 'the oidc provider contacts an identity provider and keeps refresh tokens; sign in through the console instead'
        : provider === 'gcp' || provider === 'azure'
          ? `the ${provider} provider runs a shell command and was removed in Kubernetes 1.26`
          : 'auth providers run commands or contact outside services';
    c.problem(
      'error',
      entry,
      'auth-provider',
      `${entry} uses the auth-provider ${provider ?? '(unnamed)'}: the console refuses auth providers (${why})`,
      'Use a client certificate or a token, or an exec plugin the site policy allows.',
      [...at, 'auth-provider'],
    );
  }
  if (body.username !== undefined || body.password !== undefined) {
    c.problem(
      'error',
      entry,
      body.username !== undefined ? 'username' : 'password',
      `${entry} uses a user name and password: basic authentication was removed from Kubernetes (1.19)`,
      'Use a client certificate or a token instead.',
      [...at, body.username !== undefined ? 'username' : 'password'],
    );
  }
  for (const key of ['as', 'as-uid', 'as-groups', 'as-user-extra']) {
    if (body[key] !== undefined) {
      c.problem(
        'error',
        entry,
        key,
        `${entry} impersonates another identity (${key}), which the console does not do`,
        `Remove ${key}, or import credentials for the identity itself.`,
        [...at, key],
      );
    }
  }
  // Client certificate.
  const hasCert = body['client-certificate'] !== undefined || body['client-certificate-data'] !== undefined;
  const hasKey = body['client-key'] !== undefined || body['client-key-data'] !== undefined;
  if (hasCert !== hasKey) {
    const missing = hasCert ? 'client-key-data' : 'client-certificate-data';
    c.problem(
      'error',
      entry,
      missing,
      `${entry} has a client ${hasCert ? 'certificate but no key' : 'key but no certificate'}`,
      `Give ${missing} as well, or remove the other half.`,
      at,
    );
  }
  const certPem = hasCert ? pemField(c, body, entry, 'client-certificate', at) : undefined;
  const keyPem = hasKey ? pemField(c, body, entry, 'client-key', at) : undefined;
  if (certPem !== undefined && keyPem !== undefined) {
    const certField =
      body['client-certificate-data'] !== undefined ? 'client-certificate-data' : 'client-certificate';
    const keyField = body['client-key-data'] !== undefined ? 'client-key-data' : 'client-key';
    const parsed = parseCertificates(certPem);
    let key: KeyObject | undefined;
    try {
      key = createPrivateKey(keyPem);
    } catch (e) {
      const encrypted = /ENCRYPTED/.test(keyPem);
      c.problem(
        'error',
        entry,
        keyField,
        `the client key of ${entry} is not ${encrypted ? 'usable: it is encrypted with a passphrase' : `a private key (${(e as Error).message})`}`,
        encrypted
          ? 'Give the key unencrypted; the console stores it encrypted itself.'
          : 'Give the PEM private key that belongs to the client certificate.',
        [...at, keyField],
      );
    }
    if (typeof parsed === 'string') {
      c.problem(
        'error',
        entry,
        certField,
        `the client certificate of ${entry} is not usable: ${parsed}`,
        'Give the PEM client certificate issued for this user.',
        [...at, certField],
      );
    } else {
      const leaf = parsed[0] as X509Certificate;
      const why = expiredOrEarly(leaf, now);
      if (why) {
        c.problem(
          'error',
          entry,
          certField,
          `the client certificate of ${entry} (${leaf.subject.replace(/\n/g, ', ')}) ${why}`,
          'Get a new client certificate for this user from the cluster administrator (kubeadm certs renew, or a new CSR).',
          [...at, certField],
        );
      }
      if (key && !leaf.checkPrivateKey(key)) {
        c.problem(
          'error',
          entry,
          keyField,
          `the client key of ${entry} does not belong to its client certificate (${leaf.subject.replace(/\n/g, ', ')})`,
          'Give the private key the certificate was issued for; the two were probably taken from different users.',
          [...at, keyField],
        );
      }
      if (!why && key) {
        user.clientCertificate = {
          certPem: certPem.trim() + '\n',
          keyPem: keyPem.trim() + '\n',
          certificate: summarise(leaf),
        };
      }
    }
  }
  // Bearer token.
  const tokenFileKey =
    body.tokenFile !== undefined ? 'tokenFile' : body['token-file'] !== undefined ? 'token-file' : undefined;
  if (body.token !== undefined && tokenFileKey) {
    c.problem('error', entry, 'token', `${entry} sets both token and ${tokenFileKey}`, 'Keep one of them.', [
      ...at,
      'token',
    ]);
  } else if (body.token !== undefined) {
    const token = str(body.token)?.trim();
    if (!token || !TOKEN.test(token)) {
      c.problem(
        'error',
        entry,
        'token',
        `the token of ${entry} is ${token ? 'not a bearer token (one word of printable ASCII)' : 'empty'}`,
        'Give the bearer token itself.',
        [...at, 'token'],
      );
    } else user.token = token;
  } else if (tokenFileKey) {
    const file = str(body[tokenFileKey]);
    const data = file ? c.readOnce(file, entry, tokenFileKey, [...at, tokenFileKey], 'token') : undefined;
    if (!file) {
      c.problem(
        'error',
        entry,
        tokenFileKey,
        `${tokenFileKey} of ${entry} is not a file path`,
        'Give a path, or the token inline.',
        [...at, tokenFileKey],
      );
    } else if (data !== undefined) {
      const token = data.toString('utf8').trim();
      if (!token || !TOKEN.test(token)) {
        c.problem(
          'error',
          entry,
          tokenFileKey,
          `the token file ${file} of ${entry} ${token ? 'does not hold a bearer token (one word of printable ASCII)' : 'is empty'}`,
          'The file must hold the bearer token only.',
          [...at, tokenFileKey],
        );
      } else user.token = token;
    }
  }
  // Exec credential plugin.
  if (body.exec !== undefined) {
    const exec = isObj(body.exec) ? body.exec : undefined;
    const command = exec ? str(exec.command) : undefined;
    const rawArgs = exec?.args ?? [];
    const args =
      Array.isArray(rawArgs) && rawArgs.every((a) => typeof a === 'string')
        ? (rawArgs as string[])
        : undefined;
    if (!exec || !command || !args) {
      c.problem(
        'error',
        entry,
        'exec',
        `the exec plugin of ${entry} has no command, or its args are not a list of strings`,
        'Fix the exec section (command, args, apiVersion) or remove it.',
        [...at, 'exec'],
      );
    } else {
      const line = execCommandLine(command, args);
      if (!c.options.execAllowlist.includes(line)) {
        c.problem(
          'error',
          entry,
          'exec',
          `${entry} runs the exec credential plugin ${line}, which the site policy does not allow: a kubeconfig's exec plugin runs with the operator's privileges`,
          `If this plugin is vetted, an administrator adds exactly "${line}" to the site policy's allowed exec plugins; otherwise use a client certificate or a token.`,
          [...at, 'exec', 'command'],
        );
      } else if (!path.isAbsolute(command)) {
        c.problem(
          'error',
          entry,
          'exec.command',
          `the exec plugin of ${entry} names ${command} without a path, so which program runs depends on PATH`,
          'Give the absolute path of the plugin, in the kubeconfig and in the site policy.',
          [...at, 'exec', 'command'],
        );
      } else {
        const env: { name: string; value: string }[] = [];
        const rawEnv = exec.env ?? [];
        const envOk =
          Array.isArray(rawEnv) &&
          rawEnv.every((e: unknown) => isObj(e) && typeof e.name === 'string' && typeof e.value === 'string');
        if (!envOk) {
          c.problem(
            'error',
            entry,
            'exec.env',
            `exec.env of ${entry} is not a list of name/value pairs`,
            'Fix exec.env or remove it.',
            [...at, 'exec', 'env'],
          );
        } else {
          for (const e of rawEnv as { name: string; value: string }[]) {
            if (DANGEROUS_ENV.test(e.name)) {
              c.problem(
                'error',
                entry,
                'exec.env',
                `the exec plugin of ${entry} sets ${e.name}, which changes what code runs`,
                `Remove ${e.name} from exec.env.`,
                [...at, 'exec', 'env'],
              );
            } else env.push({ name: e.name, value: e.value });
          }
        }
        const apiVersion = str(exec.apiVersion);
        if (!apiVersion || !/^client\.authentication\.k8s\.io\/v1(beta1)?$/.test(apiVersion)) {
          c.problem(
            'error',
            entry,
            'exec.apiVersion',
            `the exec plugin of ${entry} has apiVersion ${apiVersion ?? '(none)'}`,
            'Use client.authentication.k8s.io/v1 (or v1beta1).',
            [...at, 'exec', 'apiVersion'],
          );
        } else if (exec.interactiveMode === 'Always') {
          c.problem(
            'error',
            entry,
            'exec.interactiveMode',
            `the exec plugin of ${entry} needs a terminal (interactiveMode: Always), which the console cannot give it`,
            'Use a plugin mode that needs no prompt.',
            [...at, 'exec', 'interactiveMode'],
          );
        } else {
          user.exec = { command, args: [...args], env, apiVersion, commandLine: line };
        }
      }
    }
  }
  if (c.errors.length > before) return undefined;
  if (!user.clientCertificate && !user.token && !user.exec) {
    c.problem(
      'warning',
      entry,
      'user',
      `${entry} has no credentials; the console will need a token from its own sign-in to use it`,
      'Give a client certificate or a token if this cluster does not trust the console sign-in.',
      at,
    );
  }
  return user;
}

type Loaded =
  { ok: true; doc: Document; lines: LineCounter; root: Obj } | { ok: false; problem: KubeconfigProblem };

/** Decodes and parses the YAML, down to a root with at least one context. */
function loadKubeconfig(input: string | Uint8Array, fileName: string | undefined): Loaded {
  const fail = (field: string, message: string, hint: string, line?: number): Loaded => {
    const problem: KubeconfigProblem = {
      entry: 'kubeconfig',
      field,
      message: fileName ? `${fileName}${line ? ` line ${line}` : ''}: ${message}` : message,
      hint,
    };
    if (line !== undefined) problem.line = line;
    return { ok: false, problem };
  };
  const size = typeof input === 'string' ? input.length : input.byteLength;
  if (size > MAX_KUBECONFIG_BYTES) {
    return fail(
      '(file)',
      `the file is ${size} bytes, more than a kubeconfig can be`,
      'Check that this is the kubeconfig.',
    );
  }
  let text: string;
  try {
    text = typeof input === 'string' ? input : new TextDecoder('utf-8', { fatal: true }).decode(input);
  } catch {
    return fail('(file)', 'the file is not UTF-8 text', 'Pass the kubeconfig file itself.');
  }
  const lines = new LineCounter();
  const doc = parseDocument(text, { uniqueKeys: true, prettyErrors: false, lineCounter: lines });
  const yamlError = doc.errors[0];
  if (yamlError) {
    const line = yamlError.linePos?.[0].line ?? lines.linePos(yamlError.pos[0]).line;
    return fail(
      '(yaml)',
      `not valid YAML: ${yamlError.message.split('\n')[0]}`,
      'Fix the YAML at that line (kubectl config view shows whether kubectl can read it), then import again.',
      line,
    );
  }
  let root: unknown;
  try {
    root = doc.toJS({ maxAliasCount: MAX_KUBECONFIG_ALIASES });
  } catch (e) {
    return fail(
      '(yaml)',
      `the YAML expands its aliases too many times (${(e as Error).message})`,
      'Check where the file came from.',
    );
  }
  if (!isObj(root)) {
    return fail(
      '(root)',
      'the file is not a kubeconfig (no mapping at the top)',
      'Pass a kubeconfig (kind: Config).',
    );
  }
  if (root.kind !== undefined && root.kind !== 'Config') {
    return fail('kind', `kind is ${String(root.kind)}, not Config`, 'Pass a kubeconfig (kind: Config).');
  }
  if (!Array.isArray(root.contexts) || root.contexts.length === 0) {
    return fail(
      'contexts',
      'the kubeconfig has no contexts',
      'A kubeconfig names at least one context (a cluster with a user); kubectl config set-context adds one.',
    );
  }
  return { ok: true, doc, lines, root };
}

/** A context as the operator chooses among them: names only, nothing checked or read. */
export interface KubeconfigContextChoice {
  name: string;
  cluster?: string;
  user?: string;
  namespace?: string;
  /** The server URL of its cluster, as written. */
  server?: string;
  current: boolean;
}

/**
 * The contexts of a kubeconfig, for the operator to choose which to import (then
 * `parseKubeconfig` with `contexts`). Reads no files and checks nothing beyond the YAML.
 */
export function listKubeconfigContexts(
  input: string | Uint8Array,
  options: { fileName?: string } = {},
): { ok: true; contexts: KubeconfigContextChoice[] } | { ok: false; errors: KubeconfigProblem[] } {
  const loaded = loadKubeconfig(input, options.fileName);
  if (!loaded.ok) return { ok: false, errors: [loaded.problem] };
  const { root } = loaded;
  const servers = new Map<string, string>();
  for (const item of Array.isArray(root.clusters) ? (root.clusters as unknown[]) : []) {
    const name = isObj(item) ? str(item.name) : undefined;
    const server = isObj(item) && isObj(item.cluster) ? str(item.cluster.server) : undefined;
    if (name && server && !servers.has(name)) servers.set(name, server);
  }
  const current = str(root['current-context']);
  const contexts: KubeconfigContextChoice[] = [];
  for (const item of root.contexts as unknown[]) {
    const name = isObj(item) ? str(item.name) : undefined;
    if (!name || !isObj(item)) continue;
    const body = isObj(item.context) ? item.context : {};
    const choice: KubeconfigContextChoice = { name, current: name === current };
    const cluster = str(body.cluster);
    const user = str(body.user);
    const namespace = str(body.namespace);
    if (cluster) choice.cluster = cluster;
    if (user) choice.user = user;
    if (namespace) choice.namespace = namespace;
    const server = cluster ? servers.get(cluster) : undefined;
    if (server) choice.server = server;
    contexts.push(choice);
  }
  return { ok: true, contexts };
}

/** Parses and checks a kubeconfig; see the module comment. Never throws for bad input. */
export function parseKubeconfig(
  input: string | Uint8Array,
  options: ParseKubeconfigOptions,
): KubeconfigImport {
  const loaded = loadKubeconfig(input, options.fileName);
  if (!loaded.ok) return { ok: false, errors: [loaded.problem], warnings: [] };
  const { doc, lines, root } = loaded;
  const c = new Checker(doc, lines, options);
  const now = options.now ?? new Date();
  const clusters = namedEntries(c, root, 'clusters', 'cluster');
  const users = namedEntries(c, root, 'users', 'user');
  const contexts = namedEntries(c, root, 'contexts', 'context');
  const currentContext = str(root['current-context']);
  if (currentContext && !contexts.has(currentContext)) {
    c.problem(
      'warning',
      'kubeconfig',
      'current-context',
      `current-context names "${currentContext}", which is not a context of this kubeconfig`,
      'Choose the contexts to import.',
      ['current-context'],
    );
  }
  let wanted = [...contexts.keys()];
  if (options.contexts) {
    for (const name of options.contexts) {
      if (!contexts.has(name)) {
        c.problem(
          'error',
          `context "${name}"`,
          'contexts',
          `the kubeconfig has no context "${name}"`,
          `Choose among: ${[...contexts.keys()].join(', ') || '(none)'}.`,
          ['contexts'],
        );
      }
    }
    wanted = wanted.filter((n) => options.contexts?.includes(n));
  }
  const checkedClusters = new Map<string, ImportedCluster['cluster'] | undefined>();
  const checkedUsers = new Map<string, ImportedUser | undefined>();
  const out: ImportedCluster[] = [];
  for (const name of wanted) {
    const ctx = contexts.get(name) as NamedEntry;
    const entry = `context "${name}"`;
    if (!usable(c, entry, ctx)) continue;
    const clusterName = str(ctx.body.cluster);
    const userName = str(ctx.body.user);
    // A context names a cluster and a user; each is checked once however many contexts use it.
    const resolve = <T>(
      kind: 'cluster' | 'user',
      refName: string | undefined,
      defined: Map<string, NamedEntry>,
      checked: Map<string, T | undefined>,
      check: (name: string, e: NamedEntry) => T,
    ): T | undefined => {
      if (!refName || !defined.has(refName)) {
        c.problem(
          'error',
          entry,
          kind,
          refName
            ? `${entry} names ${kind} "${refName}", which the kubeconfig does not define`
            : `${entry} names no ${kind}`,
          `Add the ${kind} to the ${kind}s list, or fix the name in the context.`,
          [...ctx.at, kind],
        );
        return undefined;
      }
      if (!checked.has(refName)) {
        const e = defined.get(refName) as NamedEntry;
        checked.set(refName, usable(c, `${kind} "${refName}"`, e) ? check(refName, e) : undefined);
      }
      return checked.get(refName);
    };
    const cluster = resolve('cluster', clusterName, clusters, checkedClusters, (n, e) =>
      checkCluster(c, n, e.body, e.at, now),
    );
    const user = resolve('user', userName, users, checkedUsers, (n, e) => checkUser(c, n, e.body, e.at, now));
    if (cluster && user) {
      const imported: ImportedCluster = { context: name, current: name === currentContext, cluster, user };
      const ns = str(ctx.body.namespace);
      if (ns) imported.namespace = ns;
      out.push(imported);
    }
  }
  if (c.errors.length) {
    if (options.fileName)
      for (const e of c.errors)
        e.message = `${options.fileName}${e.line ? ` line ${e.line}` : ''}: ${e.message}`;
    return { ok: false, errors: c.errors, warnings: c.warnings };
  }
  return { ok: true, clusters: out, warnings: c.warnings, filesRead: c.filesRead };
}

/** The kubeconfig (as an object) that carries one imported context and nothing else. */
export function sanitizedKubeconfigObject(imported: ImportedCluster): Record<string, unknown> {
  const cluster: Obj = {
    server: imported.cluster.server,
    'certificate-authority-data': Buffer.from(imported.cluster.caPem, 'utf8').toString('base64'),
  };
  if (imported.cluster.tlsServerName) cluster['tls-server-name'] = imported.cluster.tlsServerName;
  const user: Obj = {};
  const u = imported.user;
  if (u.clientCertificate) {
    user['client-certificate-data'] = Buffer.from(u.clientCertificate.certPem, 'utf8').toString('base64');
    user['client-key-data'] = Buffer.from(u.clientCertificate.keyPem, 'utf8').toString('base64');
  }
  if (u.token) user.token = u.token;
  if (u.exec) {
    const exec: Obj = { apiVersion: u.exec.apiVersion, command: u.exec.command, args: [...u.exec.args] };
    if (u.exec.env.length) exec.env = u.exec.env.map((e) => ({ name: e.name, value: e.value }));
    exec.interactiveMode = 'Never';
    user.exec = exec;
  }
  const context: Obj = { cluster: imported.cluster.name, user: u.name };
  if (imported.namespace) context.namespace = imported.namespace;
  return {
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name: imported.cluster.name, cluster }],
    users: [{ name: u.name, user }],
    contexts: [{ name: imported.context, context }],
    'current-context': imported.context,
    preferences: {},
  };
}

/**
 * The kubeconfig YAML for one imported context: inline data only, no file paths, no proxy, no
 * auth provider, an exec plugin only when the site policy allowed it. Fit for
 * @kubernetes/client-node's `KubeConfig.loadFromString`. It holds secrets: keep it in memory.
 */
export function sanitizedKubeconfig(imported: ImportedCluster): string {
  return stringify(sanitizedKubeconfigObject(imported), { lineWidth: 0 });
}
