// resource.Quantity as apimachinery parses, adds and prints it, to the precision quota needs: a
// value kept exactly in thousandths (BigInt milli-units, rounded up as Quantity rounds `0.1m` to
// `1m`) with the format it was written in (binary `Ki`…`Ei` or decimal), printed in canonical form
// (`1.5Gi` → `1536Mi`, `500m+500m` → `1`) because quota messages and status.used show that form.

export const QUANTITY_PATTERN = '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$';

export interface Quantity {
  milli: bigint;
  format: 'BinarySI' | 'DecimalSI';
}

const BINARY: Record<string, number> = { Ki: 1, Mi: 2, Gi: 3, Ti: 4, Pi: 5, Ei: 6 };
const DECIMAL: Record<string, number> = { n: -9, u: -6, m: -3, '': 0, k: 3, M: 6, G: 9, T: 12, P: 15, E: 18 };

/** Parses a quantity (a string or a JSON number); undefined when it is not one. */
export function parseQuantity(input: unknown): Quantity | undefined {
  const text = typeof input === 'number' ? String(input) : input;
  if (typeof text !== 'string') return undefined;
  const m = /^([+-]?)([0-9]*)(?:\.([0-9]*))?(Ki|Mi|Gi|Ti|Pi|Ei|[numkMGTPE]|[eE][-+]?[0-9]+)?$/.exec(text);
  if (!m || (!m[2] && !m[3])) return undefined;
  const [, sign, whole = '', frac = '', suffix = ''] = m;
  let num = BigInt(`${whole}${frac}` || '0');
  let den = 10n ** BigInt(frac.length);
  let format: Quantity['format'] = 'DecimalSI';
  if (suffix in BINARY) {
    num *= 1024n ** BigInt(BINARY[suffix] as number);
    format = 'BinarySI';
  } else {
    const exp = suffix in DECIMAL ? (DECIMAL[suffix] as number) : Number(suffix.slice(1));
    if (exp >= 0) num *= 10n ** BigInt(exp);
    else den *= 10n ** BigInt(-exp);
  }
  num *= 1000n;
  // Rounded up (away from zero) to a thousandth, as Quantity does.
  let milli = num / den + (num % den === 0n ? 0n : 1n);
  if (sign === '-') milli = -milli;
  return { milli, format };
}

export const zero = (format: Quantity['format'] = 'DecimalSI'): Quantity => ({ milli: 0n, format });

/** The sum keeps the left operand's format, as Quantity.Add does. */
export function add(a: Quantity, b: Quantity): Quantity {
  return { milli: a.milli + b.milli, format: a.milli === 0n && b.milli !== 0n ? b.format : a.format };
}

export const compare = (a: Quantity, b: Quantity): number =>
  a.milli < b.milli ? -1 : a.milli > b.milli ? 1 : 0;

export function max(a: Quantity, b: Quantity): Quantity {
  return compare(a, b) >= 0 ? a : b;
}

/** Canonical form: the largest suffix that keeps the value whole; thousandths as `m`. */
export function formatQuantity(q: Quantity): string {
  const negative = q.milli < 0n;
  const abs = negative ? -q.milli : q.milli;
  const sign = negative ? '-' : '';
  if (abs % 1000n !== 0n) return `${sign}${abs}m`;
  const value = abs / 1000n;
  if (value === 0n) return '0';
  if (q.format === 'BinarySI') {
    for (const [suffix, power] of Object.entries(BINARY).reverse()) {
      const unit = 1024n ** BigInt(power);
      if (value % unit === 0n) return `${sign}${value / unit}${suffix}`;
    }
    return `${sign}${value}`;
  }
  for (const [suffix, power] of Object.entries(DECIMAL).reverse()) {
    if (power <= 0) break;
    const unit = 10n ** BigInt(power);
    if (value % unit === 0n) return `${sign}${value / unit}${suffix}`;
  }
  return `${sign}${value}`;
}

export const canonical = (input: unknown): string | undefined => {
  const q = parseQuantity(input);
  return q ? formatQuantity(q) : undefined;
};
