import { Icon } from './Icon';

/**
 * Where a wizard stands: finished steps show a check and the current one carries
 * aria-current="step", so screen readers hear the same progress.
 */
export function Steps({ steps, current }: { steps: readonly string[]; current: number }) {
  return (
    <ol className="steps" aria-label="Steps">
      {steps.map((step, i) => (
        <li
          key={step}
          className={i < current ? 'step step-done' : i === current ? 'step step-current' : 'step'}
          aria-current={i === current ? 'step' : undefined}
        >
          <span className="step-marker" aria-hidden="true">
            {i < current ? <Icon name="check" size={12} /> : i + 1}
          </span>
          <span className="step-name">
            {step}
            {i < current && <span className="visually-hidden"> (done)</span>}
          </span>
        </li>
      ))}
    </ol>
  );
}
