import type { SystemInfo } from '../../../shared/api';
import { Badge } from '../../ui/Badge';
import { CommandLine } from '../../ui/CommandLine';
import { CopyValue } from '../../ui/CopyValue';

/**
 * The public half of the workstation's ledger key, in the two forms auditors use:
 * the C2SP verifier key (for `enclave audit verify-export --key` and any signed-note
 * verifier) and the OpenSSH key (for `ssh-keygen -Y verify` of MANIFEST.sig).
 */
export function LedgerKeyCard({ ledgerKey }: { ledgerKey: SystemInfo['ledgerKey'] }) {
  const keyId = ledgerKey?.verifierKey.split('+')[1];
  return (
    <section className="panel ledger-key" aria-labelledby="ledger-key-heading">
      <div className="panel-header">
        <h2 id="ledger-key-heading">Ledger key</h2>
        {ledgerKey && <Badge tone="accent">Ed25519{keyId ? ` · key ID ${keyId}` : ''}</Badge>}
      </div>
      {!ledgerKey ? (
        <p className="notice">
          No ledger key yet: it is created when the workstation is set up, and signs every checkpoint from
          then on.
        </p>
      ) : (
        <>
          <p className="muted">
            This workstation signs the audit ledger&apos;s checkpoints and exports with this key; its private
            half never leaves the workstation. Auditors pin the public half: give it to them through a channel
            other than the export medium, and they check each export against it rather than against the copy
            inside the export.
          </p>
          <div className="ledger-key-values">
            <CopyValue
              label="Verifier key"
              value={ledgerKey.verifierKey}
              hint="C2SP signed-note verifier key: what enclave audit verify-export and verify-proof take as --key."
            />
            <CopyValue
              label="OpenSSH public key"
              value={ledgerKey.openssh}
              hint="The same key for ssh-keygen -Y verify, which checks an export's MANIFEST.sig without the console."
            />
          </div>
          <CommandLine text={`enclave audit verify-export FOLDER --key ${ledgerKey.verifierKey}`} />
        </>
      )}
    </section>
  );
}
