/**
 * Positional readers for the fast paths of the wire codecs: a frame in its documented shape is read
 * by position, without `JSON.parse`. Each reader accepts only text that strict JSON accepts too
 * (anything it is unsure of, it rejects: the caller then runs its full parser), and returns the
 * index after what it read, or -1.
 */

/** After a JSON integer at `start` (no sign, no leading zero, 1–15 digits), or -1. */
export function integerEnd(text: string, start: number): number {
  let at = start;
  while (at < text.length && isDigit(text.charCodeAt(at))) at++;
  const digits = at - start;
  if (digits === 0 || digits > 15 || (digits > 1 && text.charCodeAt(start) === 48)) return -1;
  return at;
}

/** After a JSON number at `start` (`-?int(.digits)?([eE][+-]?digits)?`), or -1. */
export function numberEnd(text: string, start: number): number {
  let at = integerEnd(text, text.charCodeAt(start) === 45 ? start + 1 : start);
  if (at < 0) return -1;
  if (text.charCodeAt(at) === 46) at = digitsEnd(text, at + 1);
  if (at < 0) return -1;
  const code = text.charCodeAt(at);
  if (code !== 101 && code !== 69) return at;
  at++;
  const sign = text.charCodeAt(at);
  return digitsEnd(text, sign === 43 || sign === 45 ? at + 1 : at);
}

/** After one or more digits at `start`, or -1. */
function digitsEnd(text: string, start: number): number {
  let at = start;
  while (at < text.length && isDigit(text.charCodeAt(at))) at++;
  return at > start ? at : -1;
}

/**
 * The closing quote of a JSON string whose opening quote is at `start - 1`, holding no escape and
 * no control character (such a string reads the same raw as parsed), or -1.
 */
export function plainStringEnd(text: string, start: number): number {
  for (let at = start; at < text.length; at++) {
    const code = text.charCodeAt(at);
    if (code === 34) return at;
    if (code === 92 || code < 32) return -1;
  }
  return -1;
}

/** After a JSON string at `start` (its opening quote), escapes allowed and checked, or -1. */
export function stringEnd(text: string, start: number): number {
  if (text.charCodeAt(start) !== 34) return -1;
  for (let at = start + 1; at < text.length; at++) {
    const code = text.charCodeAt(at);
    if (code === 34) return at + 1;
    if (code < 32) return -1;
    if (code !== 92) continue;
    const escaped = text.charCodeAt(++at);
    if (escaped === 117) {
      for (let hex = 1; hex <= 4; hex++) if (!isHex(text.charCodeAt(at + hex))) return -1;
      at += 4;
    } else if (!ESCAPES.has(escaped)) {
      return -1;
    }
  }
  return -1;
}

/** After a JSON array at `start` whose items `item` reads (no whitespace), or -1. */
export function arrayEnd(text: string, start: number, item: (text: string, at: number) => number): number {
  if (text.charCodeAt(start) !== 91) return -1;
  let at = start + 1;
  if (text.charCodeAt(at) === 93) return at + 1;
  for (;;) {
    at = item(text, at);
    if (at < 0) return -1;
    const next = text.charCodeAt(at);
    if (next === 93) return at + 1;
    if (next !== 44) return -1;
    at++;
  }
}

/** `"`, `\`, `/`, b, f, n, r, t: the one-character JSON escapes. */
const ESCAPES: ReadonlySet<number> = new Set([34, 92, 47, 98, 102, 110, 114, 116]);

function isDigit(code: number): boolean {
  return code >= 48 && code <= 57;
}

function isHex(code: number): boolean {
  return isDigit(code) || (code >= 65 && code <= 70) || (code >= 97 && code <= 102);
}
