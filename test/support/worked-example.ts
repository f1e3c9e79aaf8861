/**
 * The 3-entry worked example of docs/audit-format.md, computed with the real
 * code from a fixed key and fixed entries. The doc test checks that every
 * value printed in the document equals what this computes.
 */
import { createPrivateKey } from 'node:crypto';
import { canonicalJson } from '../../electron/core/ledger/canonical-json';
import { leafHash, nodeHash, rootFromLeafHashes } from '../../electron/core/ledger/merkle';
import { keyId, SIG_COSIGNATURE_V1, SIG_ED25519 } from '../../electron/core/ledger/note';
import { LedgerSigner } from '../../electron/core/ledger/signer';

export const EXAMPLE_WORKSTATION = '00000000-0000-4000-8000-000000000001';
export const EXAMPLE_ORIGIN = `enclave-console.local/${EXAMPLE_WORKSTATION}/audit`;
/** RFC 8032 test 1 secret key, so anyone can reproduce the signatures. */
export const EXAMPLE_SEED = '9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60';
export const EXAMPLE_TIMESTAMP = 1796558400; // 2026-12-06T12:00:00Z

const admin = { subject: 'alice', displayName: 'Alice Example', roles: ['admin'], method: 'passphrase' };
export const EXAMPLE_ENTRIES = [
  {
    v: 1,
    index: 0,
    time: '2026-12-06T11:58:00.000Z',
    workstation: EXAMPLE_WORKSTATION,
    operator: admin,
    procedure: 'ledger.keyCreated',
    target: EXAMPLE_ORIGIN,
    input: {},
    planDigest: null,
    result: null,
    outcome: 'ok',
    error: null,
    durationMs: 0,
    transport: 'cli',
  },
  {
    v: 1,
    index: 1,
    time: '2026-12-06T11:58:00.120Z',
    workstation: EXAMPLE_WORKSTATION,
    operator: admin,
    procedure: 'setup.createFirstAdmin',
    target: 'operator alice',
    input: { displayName: 'Alice Example', name: 'alice', passphrase: '[redacted]' },
    planDigest: null,
    result: null,
    outcome: 'ok',
    error: null,
    durationMs: 212.5,
    transport: 'cli',
  },
  {
    v: 1,
    index: 2,
    time: '2026-12-06T11:59:30.000Z',
    workstation: EXAMPLE_WORKSTATION,
    operator: null,
    procedure: 'session.signIn',
    target: 'operator mallory',
    input: { operator: 'mallory', passphrase: '[redacted]' },
    planDigest: null,
    result: null,
    outcome: 'denied',
    error: 'wrong operator name or passphrase',
    durationMs: 98.25,
    transport: 'websocket',
  },
];

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

export function workedExample() {
  const pkcs8 = Buffer.concat([
    Buffer.from('302e020100300506032b657004220420', 'hex'),
    Buffer.from(EXAMPLE_SEED, 'hex'),
  ]);
  const signer = new LedgerSigner(
    EXAMPLE_ORIGIN,
    createPrivateKey({ key: pkcs8, format: 'der', type: 'pkcs8' }),
  );
  const lines = EXAMPLE_ENTRIES.map((e) => canonicalJson(e));
  const leaves = lines.map((l) => leafHash(Buffer.from(l, 'utf8')));
  const node01 = nodeHash(leaves[0] as Uint8Array, leaves[1] as Uint8Array);
  const root = rootFromLeafHashes(leaves);
  const note = signer.signCheckpoint(
    { origin: EXAMPLE_ORIGIN, size: 3, root, extensions: [] },
    EXAMPLE_TIMESTAMP,
  );
  return {
    publicKeyHex: hex(signer.publicKey),
    keyIdHex: hex(keyId(EXAMPLE_ORIGIN, SIG_ED25519, signer.publicKey)),
    cosignatureKeyIdHex: hex(keyId(EXAMPLE_ORIGIN, SIG_COSIGNATURE_V1, signer.publicKey)),
    verifierKey: signer.verifierKey,
    lines,
    leafHex: leaves.map(hex),
    node01Hex: hex(node01),
    rootHex: hex(root),
    rootBase64: Buffer.from(root).toString('base64'),
    note,
  };
}
