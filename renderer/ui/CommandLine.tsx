import { useState } from 'react';
import { Icon } from './Icon';

/** A shell command the operator is told to run, with a copy button. */
export function CommandLine({ text }: { text: string }) {
  const [copied, setCopied] = useState(false);
  const copy = () => {
    navigator.clipboard.writeText(text).then(
      () => {
        setCopied(true);
        setTimeout(() => setCopied(false), 1500);
      },
      // Clipboard access can be refused by the window's permissions; the text stays selectable.
      () => {},
    );
  };
  return (
    <div className="command-line">
      <code>
        <span className="command-prompt" aria-hidden="true">
          ${' '}
        </span>
        {text}
      </code>
      <button type="button" className="button-icon" onClick={copy} aria-label={`Copy command: ${text}`}>
        <Icon name={copied ? 'check' : 'copy'} size={14} />
      </button>
    </div>
  );
}
