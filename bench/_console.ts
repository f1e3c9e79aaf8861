import { readFileSync } from 'node:fs';
import { ConsoleClient } from '../shared/client';
import { inProcessChannel, newConnection, openConsole, type ConsoleCore } from '../electron/core';
import type { LabState } from '../test/lab/site';

export interface ConsoleSide {
  core: ConsoleCore;
  admin: ConsoleClient;
  names: string[];
}

/** A console core in `dataDir` with its first administrator signed in. */
export async function openBenchConsole(
  dataDir: string,
): Promise<{ core: ConsoleCore; admin: ConsoleClient }> {
  const core = await openConsole({ dataDir, log: { error: () => undefined } });
  const admin = new ConsoleClient(inProcessChannel(core.dispatcher, newConnection('test')));
  await admin.call('setup.createFirstAdmin', {
    name: 'admin',
    displayName: 'Benchmark Admin',
    passphrase: 'correct horse battery staple',
  });
  return { core, admin };
}

/** A console core in `dataDir` with an administrator signed in and every lab host added (keys pinned). */
export async function openConsoleSide(lab: LabState, dataDir: string): Promise<ConsoleSide> {
  const { core, admin } = await openBenchConsole(dataDir);
  const privateKey = readFileSync(lab.operatorKey, 'utf8');
  for (const h of lab.hosts) {
    await admin.call('hosts.add', {
      name: h.name,
      address: h.address,
      port: h.port,
      user: h.user,
      privateKey,
      fingerprint: h.fingerprint,
      labels: h.labels,
    });
  }
  return { core, admin, names: lab.hosts.map((h) => h.name) };
}
