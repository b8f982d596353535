// Types for snappyjs 0.7 (pure-JS snappy, BLOCK format, which is what remote write requires); the
// package ships none. Only the two functions procpush uses.
declare module 'snappyjs' {
  /** Snappy block-format compression (varint length + literal/copy elements, no framing). */
  export function compress(input: Uint8Array): Uint8Array;
  /** Throws on a corrupt input or when the declared length exceeds `maxLength`. */
  export function uncompress(input: Uint8Array, maxLength?: number): Uint8Array;
}
