import { SILENT_DB, ulawFrameLevelDb } from '../../core/shared/audio.js';

/**
 * The bridge's own detector of the caller's speech: an adaptive energy detector that tracks each
 * call's noise floor and the caller's own speech level, so it works the same for a caller at
 * −20 dBFS and one at −40 dBFS, and ignores steady line noise.
 *
 * A 20 ms frame is speech when its level is all of:
 * - `SNR_DB` above the noise floor: the minimum of the (lightly smoothed) frame level over the last
 *   ~1.6 s. Speech always dips between syllables within that window, steady noise does not, so
 *   the minimum follows the line's noise and rises with a continuous background (a TV left on).
 * - over the agent, no more than `BELOW_CALLER_DB` under the caller's own active level, learnt from
 *   the frames the caller speaks while the agent is silent (their own turns, heard at any level). Background speech well below the
 *   caller's voice (a TV across the room) does not count, however far above the noise it is.
 * - above `ABSOLUTE_FLOOR_DB`, below which no phone caller speaks.
 * A short hangover bridges the dips inside words, so an utterance is measured as one.
 *
 * Chosen over Silero VAD (ONNX) for its cost: one pass over the frame's bytes through a table and
 * a few additions per frame (about 1 µs), where an ONNX inference per 32 ms window costs hundreds.
 * The bench's speech corpus (`npm run bench:turns`) is what it is measured against.
 */
const SNR_DB = 10;
const BELOW_CALLER_DB = 8;
const ABSOLUTE_FLOOR_DB = -55;
/**
 * Before the caller has spoken on their own: a typical phone level, so the gate is −36 dBFS. A
 * quieter caller who talks over the agent before ever speaking alone is heard later; once they
 * have spoken, the gate follows their own level.
 */
const INITIAL_CALLER_DB = -28;
/** How fast the caller's level follows their speech frames (a time constant of ~50 frames). */
const CALLER_LEVEL_RATE = 0.02;
/** Only frames within this of the caller's level so far move it (quieter callers are learnt gradually). */
const LEARN_WINDOW_DB = 12;
const HANGOVER_FRAMES = 3;
/** Noise floor window: BLOCKS blocks of BLOCK_FRAMES frames each (8 × 200 ms). */
const BLOCK_FRAMES = 10;
const BLOCKS = 8;

/** The level of one μ-law frame (its first `length` bytes), in dBFS (RMS). */
export const frameLevelDb = ulawFrameLevelDb;

/** The detector's settings; the defaults are what the bridge runs (tuned on `npm run bench:turns`). */
export interface CallerVadTuning {
  snrDb: number;
  belowCallerDb: number;
  absoluteFloorDb: number;
  initialCallerDb: number;
}

const CALLER_VAD_DEFAULTS: CallerVadTuning = {
  snrDb: SNR_DB,
  belowCallerDb: BELOW_CALLER_DB,
  absoluteFloorDb: ABSOLUTE_FLOOR_DB,
  initialCallerDb: INITIAL_CALLER_DB,
};

export class CallerVad {
  private readonly tuning: CallerVadTuning;
  private smoothedDb = SILENT_DB;
  private callerDb: number;
  private readonly blockMins = new Float64Array(BLOCKS).fill(Number.POSITIVE_INFINITY);
  private block = 0;
  private blockFrames = 0;
  private hangover = 0;
  private noiseDb = Number.POSITIVE_INFINITY;
  /** The last frame was above the gate itself, not only in the hangover (where speech really ended). */
  voiced = false;

  constructor(tuning: Partial<CallerVadTuning> = {}) {
    this.tuning = { ...CALLER_VAD_DEFAULTS, ...tuning };
    this.callerDb = this.tuning.initialCallerDb;
  }

  /**
   * One caller frame at `levelDb`. `learn`: the agent is silent, so speech now is the caller's own
   * voice at their own level (never the agent's echo or a background under the agent).
   */
  frame(levelDb: number, learn: boolean): boolean {
    this.trackNoise(levelDb);
    const { snrDb, belowCallerDb, absoluteFloorDb } = this.tuning;
    // With the agent silent, whatever stands out of the line is the caller (at any level), and it
    // teaches the caller's level; over the agent, speech must also be near that level.
    const floor = Math.max(this.noiseDb + snrDb, absoluteFloorDb);
    const threshold = learn ? floor : Math.max(floor, this.callerDb - belowCallerDb);
    this.voiced = levelDb >= threshold;
    if (this.voiced) {
      // Frames far under the level learnt so far (a TV while the caller is silent) teach nothing.
      if (learn && levelDb >= this.callerDb - LEARN_WINDOW_DB) {
        this.callerDb += (levelDb - this.callerDb) * CALLER_LEVEL_RATE;
      }
      this.hangover = HANGOVER_FRAMES;
      return true;
    }
    if (this.hangover > 0) {
      this.hangover--;
      return true;
    }
    return false;
  }

  /** The current noise floor and caller level estimates (dBFS), for logs and tests. */
  levels(): { noiseDb: number; callerDb: number } {
    return { noiseDb: this.noiseDb, callerDb: this.callerDb };
  }

  /** Minimum statistics over the last BLOCKS × BLOCK_FRAMES frames of a 2-frame smoothed level. */
  private trackNoise(levelDb: number): void {
    this.smoothedDb = this.smoothedDb === SILENT_DB ? levelDb : (this.smoothedDb + levelDb) / 2;
    const index = this.block;
    if (this.smoothedDb < this.blockMins[index]!) this.blockMins[index] = this.smoothedDb;
    let floor = Number.POSITIVE_INFINITY;
    for (let i = 0; i < BLOCKS; i++) if (this.blockMins[i]! < floor) floor = this.blockMins[i]!;
    this.noiseDb = floor;
    if (++this.blockFrames === BLOCK_FRAMES) {
      this.blockFrames = 0;
      this.block = (index + 1) % BLOCKS;
      this.blockMins[this.block] = Number.POSITIVE_INFINITY;
    }
  }
}

/**
 * One scratch buffer for decoding caller frames to measure them (the payload itself is forwarded as
 * the same string), so measuring allocates nothing per frame. Sized for the largest frame the
 * bridge's 64 KiB message limit lets in. Safe to share: a frame is decoded and measured synchronously.
 */
const CALLER_SCRATCH = Buffer.allocUnsafe(48 * 1024);

/** Decodes a base64 μ-law payload into a scratch buffer and returns its level (dBFS). */
export function callerFrameLevel(payload: string): number {
  const length = CALLER_SCRATCH.write(payload, 'base64');
  return frameLevelDb(CALLER_SCRATCH, length);
}
