import type { z } from 'zod';
import type { DiscoveredHost } from '../../../shared/api';
import { ConsoleError } from '../../../shared/errors';
import { LIST_GPUS_COMMAND, ParseError, parseListGpus, parseQueryGpu, QUERY_GPU_COMMAND } from '../gpu';
import { FACTS_SSH_COMMAND, parseHostFacts, type HostFacts } from './facts';
import type { SshSession } from './ssh';

/**
 * What discovery reads from one host: its facts, and its GPUs from nvidia-smi.
 * Every output is parsed strictly; one that does not parse fails the host's
 * discovery with the command and line named, and nothing of it is stored.
 */
export interface HostDiscovery {
  facts: HostFacts;
  gpus: z.infer<typeof DiscoveredHost>['gpus'];
}

async function run(session: SshSession, host: string, command: string, timeoutMs: number): Promise<string> {
  const result = await session.exec(command, { timeoutMs });
  if (result.exitCode === 127) {
    throw new ConsoleError('FAILED', `${host}: \`${command.split(' ')[0]}\` is not installed`, {
      hint: 'is the NVIDIA driver installed on this host?',
    });
  }
  if (result.exitCode !== 0) {
    const said = (result.stderr || result.stdout).trim().split('\n')[0] ?? '';
    throw new ConsoleError(
      'FAILED',
      `${host}: \`${command}\` failed (exit ${result.exitCode ?? result.signal}): ${said}`,
    );
  }
  return result.stdout;
}

export async function discoverHost(
  session: SshSession,
  host: string,
  timeoutMs = 30_000,
): Promise<HostDiscovery> {
  try {
    const facts = parseHostFacts(await run(session, host, FACTS_SSH_COMMAND, timeoutMs));
    const queried = parseQueryGpu(await run(session, host, QUERY_GPU_COMMAND, timeoutMs));
    const listed = parseListGpus(await run(session, host, LIST_GPUS_COMMAND, timeoutMs));
    // A cut output can still parse (it ends at a line end): both views must name the same GPUs.
    const same =
      listed.length === queried.length &&
      listed.every((g, i) => g.uuid === queried[i]?.uuid && g.index === queried[i]?.index);
    if (!same) {
      throw new ConsoleError('FAILED', `${host}: nvidia-smi -L and --query-gpu list different GPUs`, {
        hint: 'an output was cut short or the GPUs changed during discovery; discover again',
      });
    }
    return {
      facts,
      gpus: queried.map((g, i) => ({
        index: g.index,
        uuid: g.uuid,
        model: g.name,
        busId: g.busId,
        memoryMiB: g.memoryMiB,
        driverVersion: g.driverVersion,
        migMode: g.migCurrent,
        migPending: g.migPending,
        migDevices: listed[i]?.migDevices.length ?? 0,
      })),
    };
  } catch (error) {
    if (error instanceof ParseError) {
      throw new ConsoleError('FAILED', error.onHost(host).message, {
        hint: 'nothing from this host was stored; check its driver and locale (the console reads nvidia-smi in English)',
      });
    }
    throw error;
  }
}
