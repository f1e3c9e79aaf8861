import { createHostState, type HostProfile } from '../nvidia-smi/state';
import { writeStateAtomically } from '../nvidia-smi/state-file';
import type { LabHost } from './index';

/**
 * The default GPU mix of lab hosts (issue 4): A100-40GB, A100-80GB, H100-80GB
 * and H200-141GB hosts in turn, eight GPUs each, with older and newer driver
 * branches alternating so both table widths and both GPU-instance id schemes
 * appear in every lab of four or more hosts.
 */
const MIX: Omit<HostProfile, 'hostname'>[] = [
  {
    gpus: [{ model: 'A100-40GB', count: 8 }],
    driverVersion: '535.183.01',
    cudaVersion: '12.2',
    migEnabled: true,
  },
  {
    gpus: [{ model: 'A100-80GB', count: 8 }],
    driverVersion: '550.90.07',
    cudaVersion: '12.4',
    migEnabled: false,
  },
  {
    gpus: [{ model: 'H100-80GB-SXM5', count: 8 }],
    driverVersion: '570.86.15',
    cudaVersion: '12.8',
    migEnabled: true,
    giIdScheme: 'swappedHalves',
  },
  {
    gpus: [{ model: 'H200-141GB', count: 8 }],
    driverVersion: '575.51.03',
    cudaVersion: '12.9',
    migEnabled: false,
  },
];

export function defaultProfile(host: Pick<LabHost, 'name'>, index: number): HostProfile {
  // Seeded with the host's name, unique in the lab even where hosts share a hostname (loopback mode as non-root).
  return { hostname: host.name, ...(MIX[index % MIX.length] as Omit<HostProfile, 'hostname'>) };
}

/** Writes each host's initial GPU state (labUp's seedHost hook). */
export function seedDefaultGpus(host: LabHost, index: number): void {
  writeStateAtomically(host.gpuStateFile, createHostState(defaultProfile(host, index)));
}
