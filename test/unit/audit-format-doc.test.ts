import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { verifyCosignature, verifyNote, parseVerifierKey } from '../../electron/core/ledger/note';
import { workedExample, EXAMPLE_TIMESTAMP } from '../support/worked-example';

/** docs/audit-format.md §8 must be exactly what the code computes, so an independent verifier can trust it. */
const doc = readFileSync(path.resolve(import.meta.dirname, '../../docs/audit-format.md'), 'utf8');
const ex = workedExample();

describe('the worked example in docs/audit-format.md', () => {
  it('shows the real key, key ids and verifier key', () => {
    expect(doc).toContain(ex.publicKeyHex);
    expect(doc).toContain(`Key ID \`${ex.keyIdHex}\``);
    expect(doc).toContain(`cosignature key ID \`${ex.cosignatureKeyIdHex}\``);
    expect(doc).toContain(ex.verifierKey);
    expect(doc).toContain(`decoded bytes start \`${ex.keyIdHex.match(/../g)?.join(' ')}\``);
  });

  it('shows the real entry bytes, leaf hashes, node and root', () => {
    expect(doc).toContain(ex.lines.join('\n'));
    ex.leafHex.forEach((h, i) => expect(doc).toContain(`leaf ${i}  ${h}`));
    expect(doc).toContain(`node(0..1)  ${ex.node01Hex}`);
    expect(doc).toContain(`root        ${ex.rootHex}`);
    expect(doc).toContain(`root base64 ${ex.rootBase64}`);
  });

  it('shows the real signed checkpoint, which verifies, with its timestamp', () => {
    expect(doc).toContain(ex.note.trimEnd());
    const verifier = parseVerifierKey(ex.verifierKey);
    verifyNote(ex.note, verifier);
    expect(verifyCosignature(ex.note, verifier)).toBe(EXAMPLE_TIMESTAMP);
    expect(new Date(EXAMPLE_TIMESTAMP * 1000).toISOString()).toBe('2026-12-06T12:00:00.000Z');
  });
});
