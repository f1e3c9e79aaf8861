import { useId, type ReactNode } from 'react';

/**
 * A compact labelled control for toolbars and forms of this page. The label is tied to the control
 * by `for`, not by wrapping it, so the control's name is the label alone (a wrapping label would
 * add the control's own text, such as a select's options, to it).
 */
export function Labelled({
  label,
  className = '',
  children,
}: {
  label: string;
  className?: string;
  children: (id: string) => ReactNode;
}) {
  const id = useId();
  return (
    <div className={`filter ${className}`.trim()}>
      <label htmlFor={id}>{label}</label>
      {children(id)}
    </div>
  );
}
