/**
 * Times are shown in UTC, the way the audit ledger and its exports record them,
 * so what an operator reads matches what an auditor verifies; the local time is
 * in the tooltip.
 */
export function Timestamp({
  value,
  empty = '—',
  zone = true,
}: {
  value: string | null;
  empty?: string;
  /** Leave out " UTC" where a column header already says it. */
  zone?: boolean;
}) {
  if (!value) return <span className="muted">{empty}</span>;
  const date = new Date(value);
  if (Number.isNaN(date.getTime())) return <span>{value}</span>;
  const text = date.toISOString().slice(0, 19).replace('T', ' ') + (zone ? ' UTC' : '');
  return (
    <time dateTime={value} title={date.toLocaleString()}>
      {text}
    </time>
  );
}
