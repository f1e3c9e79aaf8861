// Help texts of the simulated nvidia-smi (`-h`, `mig -h`, `conf-compute -h`).
//
// The wording of `nvidia-smi -h` and `nvidia-smi mig -h` is NOT NVIDIA's: mig.md only gives the option
// names and meanings (§5.1 table, `-mig`/`--multi-instance-gpu`, `-r`/`--gpu-reset`), so these texts are
// written in nvidia-smi's layout (`[-x | --long]: text` for `mig`, an option column for the top level)
// and list exactly the options this simulator accepts. Consoles must not parse them.
// `conf-compute -h` is mig.md §9.2's R535/R550 text [V] verbatim; it lists options the simulator does
// not implement (only -f and -d are), because that is what the real driver prints.

/** `nvidia-smi -h` / `--help` (wording not NVIDIA's). */
export function topLevelHelp(driverVersion: string): string {
  return `NVIDIA System Management Interface -- v${driverVersion}

Reports the state of NVIDIA GPUs and their MIG partitions and changes it.
(Simulated nvidia-smi of the Enclave lab: only the options below are implemented.)

nvidia-smi [OPTION1 [ARG1]] [OPTION2 [ARG2]] ...

    -h,   --help                Print this usage information and exit.

  SUMMARY OPTIONS:

    (no option)                 Print the status table of every GPU, its MIG
                                devices and the processes using them.
    -i,   --id=                 Restrict to the GPU(s) given by index, PCI bus
                                ID or UUID, comma separated.

  LIST OPTIONS:

    -L,   --list-gpus           List the GPUs and their MIG devices with UUIDs.

  QUERY OPTIONS:

    -q,   --query               Print the GPU attributes, MIG mode and MIG
                                devices as text.
    -x,   --xml-format          With -q: print XML instead of text.
    --query-gpu=                Print the listed GPU fields, comma separated
                                (index, uuid, name, pci.bus_id, memory.total,
                                memory.used, memory.free, mig.mode.current,
                                mig.mode.pending, ...).
    --query-compute-apps=       Print the listed fields of the processes using
                                the GPUs (pid, process_name, gpu_uuid,
                                gpu_bus_id, used_memory).
    --format=                   Output format of --query-gpu and
                                --query-compute-apps: csv, optionally with
                                noheader and/or nounits.

  DEVICE MODIFICATION OPTIONS:

    -mig, --multi-instance-gpu= Enable (1 or ENABLED) or disable (0 or
                                DISABLED) MIG mode. Requires root.
    -r,   --gpu-reset           Reset the GPU(s); applies a pending MIG mode
                                change. Requires root.

  SUBCOMMANDS:

    nvidia-smi mig              Manage MIG GPU and compute instances.
                                Run "nvidia-smi mig -h" for its options.
    nvidia-smi conf-compute     Confidential Compute information.
                                Run "nvidia-smi conf-compute -h" for its options.

Please see the nvidia-smi(1) manual page for more detailed information.
`;
}

/** `nvidia-smi mig -h` (wording not NVIDIA's; option names and meanings from mig.md §5.1). */
export const MIG_HELP = `    mig -- Multi Instance GPU management.

    Usage: nvidia-smi mig [options]

    Options include:
    [-h | --help]: Display help information.
    [-i | --id]: GPU(s) by enumeration index, PCI bus ID or UUID.
                 Provide comma separated values for more than one device.
    [-gi | --gpu-instance-id]: GPU instance ID(s), comma separated.
    [-ci | --compute-instance-id]: Compute instance ID(s), comma separated.
    [-lgip | --list-gpu-instance-profiles]: List the GPU instance profiles
                 with their Free/Total counts. Option -i restricts it to
                 the given GPU(s).
    [-lgipp | --list-gpu-instance-possible-placements]: List the possible
                 placements of each GPU instance profile as {Start,...}:Size.
    [-cgi | --create-gpu-instance]: Create GPU instances from profile IDs,
                 short names (3g.40gb) or full names ("MIG 3g.40gb"), comma
                 separated; <profile>:<start> asks for a placement.
    [-C | --default-compute-instance]: With -cgi: also create the default
                 compute instance in each new GPU instance.
    [-dgi | --destroy-gpu-instance]: Destroy GPU instances (all, or those
                 selected by -i and -gi). Fails while compute instances exist.
    [-lgi | --list-gpu-instances]: List the GPU instances (-i, -gi).
    [-lcip | --list-compute-instance-profiles]: List the compute instance
                 profiles of the GPU instances (-i, -gi); * marks the default.
    [-cci | --create-compute-instance]: Create compute instances from
                 profile IDs or names, comma separated; without a list, the
                 default profile (-i, -gi).
    [-dci | --destroy-compute-instance]: Destroy compute instances (all, or
                 those selected by -i, -gi and -ci).
    [-lci | --list-compute-instances]: List the compute instances (-i, -gi).
`;

/** `nvidia-smi conf-compute -h`: mig.md §9.2, R535/R550 [V], verbatim. */
export const CONF_COMPUTE_HELP = `    conf-compute -- Display Confidential Compute information.

    Usage: nvidia-smi conf-compute [options]

    Options include:
    [-h | --help]: Display help information
    [-i | --id]: Enumeration index, PCI bus ID or UUID.
                 Provide comma separated values for more than one device.
    [-gc | --get-cpu-caps]: Display Confidential Compute CPU Capability
    [-gg | --get-gpus-caps]: Display Confidential Compute GPUs Capability
    [-d | --get-devtools-mode]: Display Confidential Compute DevTools Mode
    [-e | --get-environment]: Display Confidential Compute Environment
    [-f | --get-cc-feature]: Display Confidential Compute CC feature status
    [-gm | --get-mem-size-info]: Display Confidential Compute GPU Protected/Unprotected Memory Sizes
    [-sm | --set-unprotected-mem-size]: Set Confidential Compute GPU Unprotected Memory Size in KiB
    [-srs | --set-gpus-ready-state]: Set Confidential Compute GPUs Ready State
    [-grs | --get-gpus-ready-state]: Display Confidential Compute GPUs Ready State
`;
