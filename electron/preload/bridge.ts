/**
 * The preload's bridge on `window.enclave`, as a type only. The renderer must not import
 * electron/**, so it declares its own copy of this interface; the unit tests check the preload
 * exposes exactly these two functions.
 */
export interface EnclaveBridge {
  /** Sends one JSON envelope to the core. Throws on non-strings and on text over MAX_ENVELOPE_CHARS. */
  postEnvelope(text: string): void;
  /** Receives every envelope from the core; returns a function that unsubscribes. */
  onEnvelope(callback: (text: string) => void): () => void;
}
