// Pure helpers for the Bundles page: progress wording, plan summaries.
import type { VerifyProgress } from '../../../shared/api';
import { formatBytes } from '../../ui/format';

export function percentOf(p: Pick<VerifyProgress, 'bytes' | 'totalBytes'>): number {
  if (p.totalBytes <= 0) return 100;
  return Math.min(100, Math.floor((p.bytes / p.totalBytes) * 100));
}

/** "12.0 MiB of 40.0 MiB · 180.2 MiB/s · 1 s left" */
export function progressText(p: VerifyProgress): string {
  const parts = [`${formatBytes(p.bytes)} of ${formatBytes(p.totalBytes)}`];
  if (p.rate > 0) parts.push(`${formatBytes(p.rate)}/s`);
  if (p.etaSeconds !== null && p.bytes < p.totalBytes) parts.push(`${formatEta(p.etaSeconds)} left`);
  return parts.join(' · ');
}

export function formatEta(seconds: number): string {
  const s = Math.max(0, Math.ceil(seconds));
  if (s < 60) return `${s} s`;
  const m = Math.floor(s / 60);
  return m < 60 ? `${m} min ${s % 60} s` : `${Math.floor(m / 60)} h ${m % 60} min`;
}

export const PHASE_WORD: Record<VerifyProgress['phase'], string> = {
  verifying: 'Verifying',
  copying: 'Copying to staging and verifying again',
  installing: 'Installing',
};

/** Which targets a kind needs before it can be planned. */
export type TargetNeed = 'none' | 'hosts' | 'cluster' | 'registry';
export function targetNeed(kind: string): TargetNeed {
  if (kind === 'host-packages') return 'hosts';
  if (kind === 'k8s-manifests') return 'cluster';
  if (kind === 'oci-images') return 'registry';
  return 'none';
}
