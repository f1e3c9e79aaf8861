import { useId, type ReactNode } from 'react';
import type { z } from 'zod';

interface FieldControlProps {
  id: string;
  'aria-invalid': boolean;
  'aria-describedby': string | undefined;
}

/** A labelled form control with its hint and validation message wired for screen readers. */
export function Field({
  label,
  hint,
  error,
  children,
}: {
  label: string;
  hint?: ReactNode;
  error?: string | undefined;
  children: (control: FieldControlProps) => ReactNode;
}) {
  const id = useId();
  const hintId = `${id}-hint`;
  const errorId = `${id}-error`;
  const describedBy = [hint ? hintId : '', error ? errorId : ''].filter(Boolean).join(' ') || undefined;
  return (
    <div className="field">
      <label htmlFor={id}>{label}</label>
      {children({ id, 'aria-invalid': Boolean(error), 'aria-describedby': describedBy })}
      {hint && (
        <p id={hintId} className="field-hint">
          {hint}
        </p>
      )}
      {error && (
        <p id={errorId} className="field-error sentence">
          {error}
        </p>
      )}
    </div>
  );
}

/**
 * The first problem the contract's schema finds with a value, phrased for the
 * operator. Messages written in the schema win; zod's generic length messages
 * ("Too small: expected string…") are replaced because they read like a type error.
 */
export function schemaProblem(schema: z.ZodType, value: unknown): string | undefined {
  const result = schema.safeParse(value, {
    error: (issue) => {
      if (issue.code === 'too_small' && issue.origin === 'string') {
        return Number(issue.minimum) <= 1 ? 'required' : `use at least ${issue.minimum} characters`;
      }
      if (issue.code === 'too_big' && issue.origin === 'string')
        return `use at most ${issue.maximum} characters`;
      return undefined;
    },
  });
  return result.success ? undefined : result.error.issues[0]?.message;
}
