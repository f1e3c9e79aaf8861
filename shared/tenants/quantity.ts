// Kubernetes resource quantities (k8s.io/apimachinery resource.Quantity): the serialised forms
// the API server accepts, so a spec is refused here rather than by a 422 halfway through apply.

// <number><suffix>: decimal SI (n u m "" k M G T P E), binary SI (Ki … Ei) or a decimal exponent.
const QUANTITY = /^\+?(\d+(\.\d*)?|\.\d+)(Ki|Mi|Gi|Ti|Pi|Ei|n|u|m|k|M|G|T|P|E|[eE][+-]?\d+)?$/;

const SUFFIX: Record<string, number> = {
  n: 1e-9,
  u: 1e-6,
  m: 1e-3,
  k: 1e3,
  M: 1e6,
  G: 1e9,
  T: 1e12,
  P: 1e15,
  E: 1e18,
  Ki: 2 ** 10,
  Mi: 2 ** 20,
  Gi: 2 ** 30,
  Ti: 2 ** 40,
  Pi: 2 ** 50,
  Ei: 2 ** 60,
};

/** True for a non-negative quantity string such as `64`, `250m`, `512Gi`, `1e3`. */
export function isQuantity(s: string): boolean {
  return QUANTITY.test(s);
}

/** The quantity's value as a float (for comparisons only; never written back). */
export function quantityValue(s: string): number {
  const m = QUANTITY.exec(s);
  if (!m) return Number.NaN;
  const base = Number(m[1]);
  const suffix = m[3] ?? '';
  if (/^[eE]/.test(suffix)) return base * 10 ** Number(suffix.slice(1));
  return base * (SUFFIX[suffix] ?? 1);
}
