import type { z } from 'zod';
import type { GpuRow, HostRow } from '../../../shared/api';
import type { Tone } from '../../ui/Badge';

export type Host = z.infer<typeof HostRow>;
export type Gpu = z.infer<typeof GpuRow>;

export const MIG_TONE: Record<Gpu['migMode'], Tone> = {
  enabled: 'accent',
  disabled: 'neutral',
  unsupported: 'warn',
};

/** What this window learned about a host in this session: the last discovery or command. */
export interface HostContact {
  kind: 'discover' | 'run';
  at: string;
  /** Null when the host answered. */
  error: string | null;
}

export interface HostStatus {
  tone: 'ok' | 'danger' | 'neutral' | 'warn';
  text: string;
}

export function hostStatus(host: Host, contact: HostContact | undefined): HostStatus {
  if (contact?.error) {
    return {
      tone: 'danger',
      text: `${contact.kind === 'discover' ? 'discovery failed' : 'unreachable'}: ${contact.error}`,
    };
  }
  if (contact) return { tone: 'ok', text: 'reachable' };
  if (!host.fingerprint) return { tone: 'warn', text: 'host key not pinned' };
  if (!host.discoveredAt) return { tone: 'neutral', text: 'never discovered' };
  return { tone: 'neutral', text: 'not checked this session' };
}

export interface GpuSummary {
  /** Models with their counts, most numerous first. */
  models: { model: string; count: number }[];
  total: number;
  migEnabled: number;
}

export function groupGpus(gpus: readonly Gpu[]): Map<string, Gpu[]> {
  const byHost = new Map<string, Gpu[]>();
  for (const gpu of gpus) {
    const list = byHost.get(gpu.host) ?? [];
    list.push(gpu);
    byHost.set(gpu.host, list);
  }
  for (const list of byHost.values()) list.sort((a, b) => a.index - b.index);
  return byHost;
}

export function summarize(gpus: readonly Gpu[]): GpuSummary {
  const counts = new Map<string, number>();
  for (const gpu of gpus) counts.set(gpu.model, (counts.get(gpu.model) ?? 0) + 1);
  return {
    models: [...counts]
      .map(([model, count]) => ({ model, count }))
      .sort((a, b) => b.count - a.count || a.model.localeCompare(b.model)),
    total: gpus.length,
    migEnabled: gpus.filter((g) => g.migMode === 'enabled').length,
  };
}

/** "NVIDIA A100-SXM4-40GB" reads as "A100-SXM4-40GB" where space is short. */
export function shortModel(model: string): string {
  return model.replace(/^NVIDIA\s+/, '');
}

export function formatMiB(mib: number): string {
  return mib >= 1024 ? `${(mib / 1024).toFixed(mib % 1024 === 0 ? 0 : 1)} GiB` : `${mib} MiB`;
}

export function labelPairs(labels: Record<string, string>): string[] {
  return Object.entries(labels).map(([k, v]) => `${k}=${v}`);
}

export interface HostFilters {
  text: string;
  /** "key=value", or '' for any. */
  label: string;
  mig: 'any' | 'on' | 'off';
}

export const NO_FILTERS: HostFilters = { text: '', label: '', mig: 'any' };

export function matchesFilters(host: Host, gpus: readonly Gpu[], filters: HostFilters): boolean {
  const text = filters.text.trim().toLowerCase();
  if (text) {
    const haystack = [host.name, host.address, host.facts?.hostname ?? '', ...labelPairs(host.labels)]
      .join(' ')
      .toLowerCase();
    if (!text.split(/\s+/).every((word) => haystack.includes(word))) return false;
  }
  if (filters.label && !labelPairs(host.labels).includes(filters.label)) return false;
  if (filters.mig !== 'any') {
    const on = gpus.some((g) => g.migMode === 'enabled');
    if ((filters.mig === 'on') !== on) return false;
  }
  return true;
}

/** The fingerprint a CONFLICT from hosts.add names ("… it presented SHA256:…"). */
export function presentedFingerprint(message: string): string | null {
  return /presented (SHA256:[A-Za-z0-9+/]{43})/.exec(message)?.[1] ?? null;
}
