import type { ReactNode } from 'react';
import { Icon } from './Icon';

/**
 * An inline message. Failures are alerts (announced at once); other outcomes are
 * polite status messages.
 */
export function Banner({
  tone,
  title,
  children,
  action,
}: {
  tone: 'ok' | 'danger' | 'info';
  title: ReactNode;
  children?: ReactNode;
  action?: ReactNode;
}) {
  return (
    <div className={`banner banner-${tone}`} role={tone === 'danger' ? 'alert' : 'status'}>
      <Icon name={tone === 'ok' ? 'check' : tone === 'danger' ? 'alert' : 'info'} />
      <div className="banner-body">
        <p className="banner-title sentence">{title}</p>
        {children}
      </div>
      {action}
    </div>
  );
}
