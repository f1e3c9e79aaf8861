import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';

/**
 * Hashes a file as it is on the medium, not as the page cache remembers it:
 * `dd iflag=direct` (O_DIRECT, with the alignment dd handles). Filesystems
 * without direct I/O (tmpfs) get the file's cached pages dropped first
 * (`dd iflag=nocache count=0`, posix_fadvise DONTNEED) and a normal read.
 */
export type ReadBackMethod = 'direct-io' | 'cache-dropped';

export async function readBackSha256(file: string): Promise<{ sha256: string; method: ReadBackMethod }> {
  try {
    return {
      sha256: await hashStream(['if=' + file, 'iflag=direct', 'bs=4M', 'status=none']),
      method: 'direct-io',
    };
  } catch {
    spawnSync('dd', [`if=${file}`, 'iflag=nocache', 'count=0', 'status=none']);
    const hash = createHash('sha256');
    for await (const chunk of createReadStream(file, { highWaterMark: 1 << 20 }))
      hash.update(chunk as Buffer);
    return { sha256: hash.digest('hex'), method: 'cache-dropped' };
  }
}

function hashStream(ddArgs: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const dd = spawn('dd', ddArgs, { stdio: ['ignore', 'pipe', 'pipe'] });
    const hash = createHash('sha256');
    let stderr = '';
    dd.stdout.on('data', (chunk: Buffer) => hash.update(chunk));
    dd.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    dd.on('error', reject);
    dd.on('close', (code) =>
      code === 0 ? resolve(hash.digest('hex')) : reject(new Error(stderr.trim() || `dd exited ${code}`)),
    );
  });
}
