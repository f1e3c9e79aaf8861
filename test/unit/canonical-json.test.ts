import { describe, expect, it } from 'vitest';
import { canonicalJson } from '../../electron/core/ledger/canonical-json';

describe('RFC 8785 canonical JSON', () => {
  it('reproduces the RFC 8785 §3.2.2 example', () => {
    const input = JSON.parse(
      '{"numbers": [333333333.33333329, 1E30, 4.50, 2e-3, 0.000000000000000000000000001], "string": "\\u20ac$\\u000F\\u000aA\'\\u0042\\u0022\\u005c\\\\\\"\\/", "literals": [null, true, false]}',
    );
    expect(canonicalJson(input)).toBe(
      '{"literals":[null,true,false],"numbers":[333333333.3333333,1e+30,4.5,0.002,1e-27],"string":"€$\\u000f\\nA\'B\\"\\\\\\\\\\"/"}',
    );
  });

  it('sorts members by UTF-16 code units (RFC 8785 §3.2.3 example)', () => {
    const input = JSON.parse(
      '{"\\u20ac": "Euro Sign", "\\r": "Carriage Return", "\\ufb33": "Hebrew Letter Dalet With Dagesh", "1": "One", "\\ud83d\\ude00": "Emoji: Grinning Face", "\\u0080": "Control", "\\u00f6": "Latin Small Letter O With Diaeresis"}',
    );
    // Read the order from the text: a parsed object would put "1" first (integer-like keys).
    const text = canonicalJson(input);
    const order = ['\\r', '1', '\u0080', '\u00f6', '\u20ac', '\ud83d\ude00', '\ufb33'].map((k) =>
      text.indexOf(`"${k}":`),
    );
    expect(order.every((at) => at > 0)).toBe(true);
    expect([...order].sort((a, b) => a - b)).toEqual(order);
  });

  it.each([
    [0, '0'],
    [-0, '0'],
    [1e21, '1e+21'],
    [1e-7, '1e-7'],
    [5e-324, '5e-324'],
    [1.7976931348623157e308, '1.7976931348623157e+308'],
    [9007199254740992, '9007199254740992'],
    [0.1 + 0.2, '0.30000000000000004'],
    [-1.5, '-1.5'],
  ])('writes the number %s as %s', (n, text) => expect(canonicalJson(n)).toBe(text));

  it('nests, drops undefined members and refuses what I-JSON cannot hold', () => {
    expect(canonicalJson({ b: [{ z: 1, a: undefined, y: { d: 1, c: 2 } }], a: 'x' })).toBe(
      '{"a":"x","b":[{"y":{"c":2,"d":1},"z":1}]}',
    );
    expect(() => canonicalJson(Number.NaN)).toThrow();
    expect(() => canonicalJson(Infinity)).toThrow();
    expect(() => canonicalJson('\ud800')).toThrow(/surrogate/);
    expect(() => canonicalJson(10n)).toThrow();
  });
});

describe('canonical JSON fast path agrees with the literal definition', () => {
  it('orders integer-like member names by code units, not numerically', () => {
    expect(canonicalJson({ 10: 'a', 2: 'b', a: 1, 1: 'c' })).toBe('{"1":"c","10":"a","2":"b","a":1}');
    expect(canonicalJson({ x: [{ 3: 1, 20: 2 }] })).toBe('{"x":[{"20":2,"3":1}]}');
  });
  it('matches the slow path on random documents', () => {
    const pick = <T>(xs: T[]) => xs[Math.floor(Math.random() * xs.length)] as T;
    const gen = (depth: number): unknown => {
      const r = Math.random();
      if (depth > 3 || r < 0.3) return pick([null, true, false, 0, -0, 1e21, 1.5e-7, 'é✓"\\\n', '', 42]);
      if (r < 0.6) return Array.from({ length: Math.floor(Math.random() * 4) }, () => gen(depth + 1));
      return Object.fromEntries(
        Array.from({ length: Math.floor(Math.random() * 5) }, () => [
          pick(['b', 'a', 'é', 'A', '\u20ac', 'aa', 'z_']),
          gen(depth + 1),
        ]),
      );
    };
    for (let i = 0; i < 500; i++) {
      const doc = gen(0);
      const withIndexKey = {
        ...(typeof doc === 'object' && doc && !Array.isArray(doc) ? doc : { v: doc }),
        7: 'force slow',
      };
      const slow = canonicalJson(withIndexKey);
      const { 7: _drop, ...rest } = JSON.parse(slow) as Record<string, unknown>;
      expect(canonicalJson(rest)).toBe(
        slow.replace(/^\{"7":"force slow",?/, '{').replace(/,?"7":"force slow"/, ''),
      );
    }
  });
});
