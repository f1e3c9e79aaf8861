import type { ReactNode } from 'react';
import { CommandLine } from './CommandLine';
import { Icon, type IconName } from './Icon';

/** What an empty page shows: what is missing and what the operator can do next. */
export function EmptyState({
  icon,
  title,
  children,
  commands = [],
}: {
  icon: IconName;
  title: string;
  children?: ReactNode;
  commands?: readonly string[];
}) {
  return (
    <section className="empty-state" aria-label={title}>
      <div className="empty-icon">
        <Icon name={icon} size={28} />
      </div>
      <h2>{title}</h2>
      {children && <div className="empty-body">{children}</div>}
      {commands.length > 0 && (
        <div className="empty-commands">
          {commands.map((command) => (
            <CommandLine key={command} text={command} />
          ))}
        </div>
      )}
    </section>
  );
}
