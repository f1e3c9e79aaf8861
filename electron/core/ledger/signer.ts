import { createPrivateKey, generateKeyPairSync, sign, type KeyObject } from 'node:crypto';
import {
  checkpointText,
  cosignedMessage,
  keyId,
  rawEd25519PublicKey,
  SIG_COSIGNATURE_V1,
  SIG_ED25519,
  signatureLine,
  verifierKey,
  type Checkpoint,
} from './note';
import { opensshPublicKey } from '../../../offline-bundles/sshsig';

/**
 * The workstation's Ed25519 ledger key. Its private half lives sealed in the
 * secrets store; this object exists only while the store is unlocked.
 */
export class LedgerSigner {
  readonly publicKey: Uint8Array;
  private readonly checkpointId: Uint8Array;
  private readonly cosignatureId: Uint8Array;

  constructor(
    /** The key name, equal to the ledger's origin line. */
    readonly name: string,
    readonly privateKey: KeyObject,
  ) {
    this.publicKey = rawEd25519PublicKey(privateKey);
    this.checkpointId = keyId(name, SIG_ED25519, this.publicKey);
    this.cosignatureId = keyId(name, SIG_COSIGNATURE_V1, this.publicKey);
  }

  static generate(name: string): { signer: LedgerSigner; pkcs8: Buffer } {
    const { privateKey } = generateKeyPairSync('ed25519');
    return {
      signer: new LedgerSigner(name, privateKey),
      pkcs8: privateKey.export({ format: 'der', type: 'pkcs8' }),
    };
  }

  static fromPkcs8(name: string, pkcs8: Buffer): LedgerSigner {
    return new LedgerSigner(name, createPrivateKey({ key: pkcs8, format: 'der', type: 'pkcs8' }));
  }

  get verifierKey(): string {
    return verifierKey(this.name, this.publicKey);
  }

  get opensshKey(): string {
    return opensshPublicKey(this.publicKey, this.name);
  }

  /** A signed checkpoint note; with `timestamp` (POSIX seconds) also a c2sp.org/tlog-cosignature time stamp. */
  signCheckpoint(checkpoint: Checkpoint, timestamp?: number): string {
    const text = checkpointText(checkpoint);
    let note = `${text}\n${signatureLine(this.name, this.checkpointId, sign(null, Buffer.from(text), this.privateKey))}`;
    if (timestamp !== undefined) {
      const time = Buffer.alloc(8);
      time.writeBigUInt64BE(BigInt(timestamp));
      const sig = sign(null, Buffer.from(cosignedMessage(text, timestamp)), this.privateKey);
      note += signatureLine(this.name, this.cosignatureId, Uint8Array.of(...time, ...sig));
    }
    return note;
  }
}
