import type { ReactNode } from 'react';
import type { SystemInfo } from '../../shared/api';
import { Icon } from '../ui/Icon';

/** The centred card for the screens before sign-in: first run, sign-in, connection problems. */
export function AuthLayout({
  title,
  intro,
  info,
  children,
}: {
  title: string;
  intro?: ReactNode;
  info?: SystemInfo | undefined;
  children: ReactNode;
}) {
  return (
    <main className="auth">
      <div className="auth-card">
        <div className="brand brand-large">
          <span className="brand-mark">
            <Icon name="shield" size={22} />
          </span>
          <span className="brand-name">Enclave Console</span>
        </div>
        <h1>{title}</h1>
        {intro && <div className="auth-intro">{intro}</div>}
        {children}
      </div>
      {info && (
        <p className="auth-footer">
          Version {info.version} · Data in <span className="mono">{info.dataDir}</span>
        </p>
      )}
    </main>
  );
}
