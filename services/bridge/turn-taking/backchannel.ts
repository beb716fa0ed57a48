/**
 * Whether a caller transcript is only a backchannel ("uh huh", "okay", "I see"): words that tell
 * the agent to go on, not a turn to answer. Pipecat's minimum-words strategy and LiveKit's
 * `min_interruption_words` make the same call from the transcript.
 */
const BACKCHANNEL_PHRASES = new Set([
  'uh huh',
  'uh-huh',
  'mm hmm',
  'mm-hmm',
  'mhm',
  'mm',
  'hmm',
  'hm',
  'uh',
  'um',
  'ah',
  'oh',
  'okay',
  'ok',
  'k',
  'yeah',
  'yep',
  'yes',
  'yup',
  'right',
  'sure',
  'alright',
  'all right',
  'i see',
  'got it',
  'gotcha',
  'cool',
  'great',
  'nice',
  'oh okay',
  'okay okay',
  'yeah yeah',
  'right right',
  'mm okay',
  'uh huh uh huh',
  'i see okay',
  'okay i see',
]);

/** Lower case, punctuation gone, spaces single: "Uh-huh." → "uh huh". */
function normalise(text: string): string {
  return text
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\s'-]/gu, ' ')
    .replace(/-/g, ' ')
    .replace(/\s+/g, ' ')
    .trim();
}

export function isBackchannel(text: string): boolean {
  const words = normalise(text);
  if (!words) return true;
  if (BACKCHANNEL_PHRASES.has(words)) return true;
  // "okay, yeah", "uh huh, right": every part a backchannel of its own.
  const parts = words.split(' ');
  return parts.length <= 4 && parts.every((word) => BACKCHANNEL_PHRASES.has(word) || word === 'huh');
}

/** Whether a transcript holds words at all (an empty or punctuation-only transcript is no turn). */
export function hasWords(text: string): boolean {
  return normalise(text) !== '';
}
