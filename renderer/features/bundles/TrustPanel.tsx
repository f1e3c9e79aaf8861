import { useId, useState, type FormEvent } from 'react';
import { OpensshPublicKey, SignerName, type TrustView } from '../../../shared/api';
import type { ConsoleError } from '../../../shared/errors';
import { mayCall, toConsoleError } from '../../app/calls';
import { useClient } from '../../app/connection';
import { useSession } from '../../app/session';
import { Badge } from '../../ui/Badge';
import { ErrorBanner } from '../../ui/ErrorBanner';
import { Field, schemaProblem } from '../../ui/Field';
import { Timestamp } from '../../ui/Timestamp';

/**
 * The site trust store: trusted signer keys and, per bundle kind, how many must have signed.
 * Everyone sees it; administrators change it (each change audited; a second person's approval
 * will be needed once identity lands).
 */
export function TrustPanel({ trust, onChanged }: { trust: TrustView; onChanged: () => void }) {
  const client = useClient();
  const { session } = useSession();
  const mayEdit = mayCall('bundles.trustAddSigner', session.operator.roles);
  const headingId = useId();
  const [error, setError] = useState<ConsoleError | null>(null);
  const [name, setName] = useState('');
  const [key, setKey] = useState('');
  const [touched, setTouched] = useState(false);
  const [thresholds, setThresholds] = useState<Record<string, string>>({});

  const run = (p: Promise<unknown>) =>
    p.then(
      () => {
        setError(null);
        onChanged();
      },
      (e: unknown) => setError(toConsoleError(e)),
    );

  const nameProblem = touched ? schemaProblem(SignerName, name) : undefined;
  const keyProblem = touched ? schemaProblem(OpensshPublicKey, key.trim()) : undefined;
  const add = (event: FormEvent) => {
    event.preventDefault();
    setTouched(true);
    if (schemaProblem(SignerName, name) || schemaProblem(OpensshPublicKey, key.trim())) return;
    void run(
      client.call('bundles.trustAddSigner', { name, publicKey: key.trim() }).then(() => {
        setName('');
        setKey('');
        setTouched(false);
      }),
    );
  };

  return (
    <section className="panel bundle-trust" aria-labelledby={headingId}>
      <div className="panel-header">
        <h2 id={headingId}>Trust store</h2>
        {!mayEdit && <span className="muted">Administrators change the trust store.</span>}
      </div>
      {error && <ErrorBanner error={error} />}
      {trust.signers.length === 0 ? (
        <p className="muted">No trusted signers: every bundle is refused until an administrator adds one.</p>
      ) : (
        <table className="table" aria-label="Trusted signers">
          <thead>
            <tr>
              <th scope="col">Signer</th>
              <th scope="col">Fingerprint</th>
              <th scope="col">Added</th>
              {mayEdit && <th scope="col">Actions</th>}
            </tr>
          </thead>
          <tbody>
            {trust.signers.map((s) => (
              <tr key={s.name}>
                <td>
                  <strong>{s.name}</strong>
                </td>
                <td className="mono">{s.fingerprint}</td>
                <td>
                  <Timestamp value={s.addedAt} /> <span className="muted">by {s.addedBy}</span>
                </td>
                {mayEdit && (
                  <td>
                    <button
                      type="button"
                      className="button button-quiet"
                      aria-label={`Remove signer ${s.name}`}
                      onClick={() => void run(client.call('bundles.trustRemoveSigner', { name: s.name }))}
                    >
                      Remove
                    </button>
                  </td>
                )}
              </tr>
            ))}
          </tbody>
        </table>
      )}

      <table className="table" aria-label="Signatures needed per kind">
        <thead>
          <tr>
            <th scope="col">Kind</th>
            <th scope="col">Signatures needed</th>
          </tr>
        </thead>
        <tbody>
          {trust.thresholds.map((k) => (
            <tr key={k.kind}>
              <td>
                <Badge>{k.kind}</Badge>
              </td>
              <td>
                {mayEdit ? (
                  <form
                    className="bundle-threshold"
                    aria-label={`Threshold for ${k.kind}`}
                    onSubmit={(event) => {
                      event.preventDefault();
                      const n = Number(thresholds[k.kind] ?? k.threshold);
                      void run(client.call('bundles.trustSetThreshold', { kind: k.kind, threshold: n }));
                    }}
                  >
                    <input
                      type="number"
                      min={1}
                      max={64}
                      aria-label={`Signatures needed for ${k.kind}`}
                      value={thresholds[k.kind] ?? String(k.threshold)}
                      onChange={(e) => setThresholds((t) => ({ ...t, [k.kind]: e.target.value }))}
                    />
                    <button type="submit" className="button button-quiet">
                      Set
                    </button>
                    {!k.explicit && <span className="muted">default</span>}
                  </form>
                ) : (
                  <>
                    {k.threshold} {!k.explicit && <span className="muted">(default)</span>}
                  </>
                )}
              </td>
            </tr>
          ))}
        </tbody>
      </table>

      {mayEdit && (
        <form className="form" aria-label="Add a trusted signer" noValidate onSubmit={add}>
          <h3>Add a trusted signer</h3>
          <Field label="Signer name" error={nameProblem}>
            {(p) => (
              <input {...p} value={name} onChange={(e) => setName(e.target.value)} autoComplete="off" />
            )}
          </Field>
          <Field label="Public key" hint="The one-line .pub file: ssh-ed25519 AAAA… name" error={keyProblem}>
            {(p) => (
              <textarea
                {...p}
                rows={2}
                value={key}
                onChange={(e) => setKey(e.target.value)}
                spellCheck={false}
              />
            )}
          </Field>
          <div className="form-actions">
            <button type="submit" className="button">
              Add signer
            </button>
          </div>
        </form>
      )}
    </section>
  );
}
