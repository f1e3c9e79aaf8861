import { useEffect, useRef, useState } from 'react';
import { copyText } from './clipboard';
import { Icon } from './Icon';

type CopyState = 'idle' | 'copied' | 'failed';

/**
 * A button that copies `text` and says so for a moment; failures say what to do instead.
 * `label` is the visible text, `accessibleLabel` names what is copied for screen readers
 * when the label alone would be ambiguous ("Copy" beside two keys).
 */
export function CopyButton({
  text,
  label = 'Copy',
  accessibleLabel,
  className = 'button',
}: {
  text: string;
  label?: string;
  accessibleLabel?: string;
  className?: string;
}) {
  const [state, setState] = useState<CopyState>('idle');
  const timer = useRef<ReturnType<typeof setTimeout> | undefined>(undefined);
  useEffect(() => () => clearTimeout(timer.current), []);

  const copy = () => {
    void copyText(text).then((copied) => {
      setState(copied ? 'copied' : 'failed');
      clearTimeout(timer.current);
      timer.current = setTimeout(() => setState('idle'), copied ? 1500 : 4000);
    });
  };

  return (
    <>
      <button type="button" className={className} onClick={copy} aria-label={accessibleLabel}>
        <Icon name={state === 'copied' ? 'check' : 'copy'} size={14} />
        {state === 'copied' ? 'Copied' : label}
      </button>
      <span className="visually-hidden" role="status">
        {state === 'copied'
          ? 'Copied to the clipboard'
          : state === 'failed'
            ? 'Could not copy: select the text and press Ctrl+C'
            : ''}
      </span>
    </>
  );
}
