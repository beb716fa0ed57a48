import { CallerVad, callerFrameLevel, frameLevelDb } from '../../../services/bridge/turn-taking/caller-vad';
import { loadClip } from '../../../services/local/sim/audio';
import { clipAtLevel, framesOf, lineNoise } from '../../support/speech-levels';

/** Speech frames the detector finds in `audio`, fed frame by frame; `learn` as while the agent is silent. */
function speechFrames(vad: CallerVad, audio: Buffer, learn = true): number {
  return framesOf(audio).filter((frame) => vad.frame(frameLevelDb(frame), learn)).length;
}

/** The longest run of consecutive speech frames, with the agent audible (nothing learnt). */
function longestSpeechRun(vad: CallerVad, audio: Buffer): number {
  let run = 0;
  let longest = 0;
  for (const frame of framesOf(audio)) {
    run = vad.frame(frameLevelDb(frame), false) ? run + 1 : 0;
    longest = Math.max(longest, run);
  }
  return longest;
}

describe('the caller speech detector', () => {
  const reference = speechFrames(new CallerVad(), clipAtLevel('caller-hello', -20));

  it.each([-20, -28, -36, -40])(
    'finds the same speech at an active level of %i dBFS over line noise',
    (level) => {
      const found = speechFrames(new CallerVad(), clipAtLevel('caller-hello', level));
      // The −30 dBFS gate this replaces found none of it at −36 and −40.
      expect(found).toBeGreaterThanOrEqual(reference * 0.8);
      expect(found).toBeLessThanOrEqual(reference * 1.15);
    },
  );

  it('hears no speech in steady line noise, however loud, once it has measured it', () => {
    for (const noiseDb of [-60, -45, -35]) {
      const vad = new CallerVad();
      speechFrames(vad, lineNoise(600, noiseDb));
      expect(speechFrames(vad, lineNoise(3000, noiseDb, 11))).toBe(0);
    }
  });

  it('ignores speech far below the caller’s own level (a TV across the room) once it has heard the caller', () => {
    const vad = new CallerVad();
    speechFrames(vad, clipAtLevel('caller-booking', -20));
    expect(vad.levels().callerDb).toBeGreaterThan(-26);
    // Never the 200 ms of speech that pauses the agent (a peak may pass, with its hangover).
    expect(longestSpeechRun(vad, clipAtLevel('caller-hello', -40, -60, 0))).toBeLessThan(10);
    // The caller themselves is still heard.
    expect(speechFrames(vad, clipAtLevel('caller-hello', -20, -60, 0), false)).toBeGreaterThan(
      reference * 0.8,
    );
  });

  it('does not learn a level from frames while the agent is audible (its echo, a background)', () => {
    const vad = new CallerVad();
    speechFrames(vad, clipAtLevel('caller-hello', -40), false);
    expect(vad.levels().callerDb).toBe(-28);
  });

  it('measures a base64 payload the way it measures the bytes', () => {
    const frame = loadClip('caller-hello').subarray(8000, 8160);
    expect(callerFrameLevel(frame.toString('base64'))).toBeCloseTo(frameLevelDb(frame), 10);
    expect(frameLevelDb(Buffer.alloc(160, 0xff))).toBe(-120);
  });
});
