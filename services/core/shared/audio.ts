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

/** G.711 μ-law byte → 16-bit linear sample, as a table: decoding is one lookup per sample. */
export const ULAW_TO_PCM16: Int16Array = (() => {
  const table = new Int16Array(256);
  for (let i = 0; i < 256; i++) {
    const u = ~i & 0xff;
    const exponent = (u >> 4) & 0x07;
    const magnitude = ((((u & 0x0f) << 3) + 0x84) << exponent) - 0x84;
    table[i] = (u & 0x80) !== 0 ? -magnitude : magnitude;
  }
  return table;
})();

/** μ-law byte → its sample's squared amplitude, for frame levels. */
const ULAW_ENERGY = Float64Array.from(ULAW_TO_PCM16, (sample) => sample * sample);
const FULL_SCALE_DB = 20 * Math.log10(32_768);
/** The level reported for a frame of digital silence (no energy at all). */
export const SILENT_DB = -120;

/** The RMS level of one μ-law frame (its first `length` bytes), in dBFS. */
export function ulawFrameLevelDb(audio: Uint8Array, length = audio.length): number {
  if (length === 0) return SILENT_DB;
  let energy = 0;
  for (let i = 0; i < length; i++) energy += ULAW_ENERGY[audio[i]!]!;
  const meanSquare = energy / length;
  return meanSquare > 0 ? 10 * Math.log10(meanSquare) - FULL_SCALE_DB : SILENT_DB;
}
