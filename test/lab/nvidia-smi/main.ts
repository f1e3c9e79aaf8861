// CLI entry of the simulated nvidia-smi installed on each lab host: loads the host's state from
// $ENCLAVE_LAB_GPU_STATE, runs the pure command handler, saves the state if it changed, prints
// and exits with nvidia-smi's exit code.
import { isDeepStrictEqual } from 'node:util';
import { runNvidiaSmi } from './commands';
import { readState, withStateLock, writeStateAtomically } from './state-file';

function main(): number {
  const file = process.env.ENCLAVE_LAB_GPU_STATE;
  if (!file) {
    // A real host without a driver says this (exit 9 = driver not loaded); here: no state file set.
    process.stdout.write(
      "NVIDIA-SMI has failed because it couldn't communicate with the NVIDIA driver. Make sure that the latest NVIDIA driver is installed and running.\n\n",
    );
    return 9;
  }
  const result = withStateLock(file, () => {
    const before = readState(file);
    const r = runNvidiaSmi(before, process.argv.slice(2), { now: new Date() });
    if (!isDeepStrictEqual(before, r.state)) writeStateAtomically(file, r.state);
    return r;
  });
  process.stdout.write(result.stdout);
  process.stderr.write(result.stderr);
  return result.exitCode;
}

process.exitCode = main();
