/** G.711 μ-law at 8 kHz: one byte per sample, so 8 bytes per millisecond. */
export const ULAW_BYTES_PER_MS = 8;

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

/** Audio crosses the bridge as base64 text; anything outside the alphabet is never forwarded. */
export function isBase64(value: string): boolean {
  return value.length > 0 && value.length % 4 === 0 && BASE64.test(value);
}

/** Decoded byte length of a base64 string, without decoding it. */
export function base64ByteLength(value: string): number {
  const padding = value.endsWith('==') ? 2 : value.endsWith('=') ? 1 : 0;
  return (value.length / 4) * 3 - padding;
}
