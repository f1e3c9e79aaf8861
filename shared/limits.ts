/**
 * Transport limits, in a module without zod so the sandboxed preload can
 * import them without bundling the schemas.
 */
/** Largest envelope a transport accepts, in UTF-16 code units of the JSON text. */
export const MAX_ENVELOPE_CHARS = 1_000_000;
