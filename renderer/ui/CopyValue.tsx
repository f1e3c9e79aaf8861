import { useId } from 'react';
import { CopyButton } from './CopyButton';

/** A labelled value to be copied exactly (a key, a path): monospace, wrapped anywhere, with a copy button. */
export function CopyValue({ label, value, hint }: { label: string; value: string; hint?: string }) {
  const id = useId();
  return (
    <div className="copy-value" role="group" aria-labelledby={`${id}-label`}>
      <span id={`${id}-label`} className="copy-value-label">
        {label}
      </span>
      <div className="copy-value-box">
        <code className="copy-value-text">{value}</code>
        <CopyButton text={value} accessibleLabel={`Copy the ${label.toLowerCase()}`} />
      </div>
      {hint && <p className="field-hint">{hint}</p>}
    </div>
  );
}
