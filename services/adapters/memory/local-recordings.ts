import { mkdirSync } from 'node:fs';
import { readFile, rename, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { RecordingDestination, RecordingLinks } from '../../core/ports/recordings.js';

const CALL_SID = /^CA[0-9a-f]{32}$/i;

/**
 * The local stack's recordings: `<LOCAL_RECORDINGS_DIR>/<CallSid>.wav`, written as `….wav.part`
 * while the call runs and renamed when it is complete, so a page never plays half a file. Linked
 * through the calls page (`/calls/<sid>/recording.wav`), which needs the page key.
 */
export class LocalRecordings implements RecordingDestination, RecordingLinks {
  private readonly dir: string;

  constructor(
    dir: string,
    private readonly publicUrl: string,
  ) {
    this.dir = resolve(dir);
  }

  /** Made on the first recorded call, so RECORD_CALLS=off leaves nothing behind. */
  workingPath(callSid: string): string {
    mkdirSync(this.dir, { recursive: true });
    return join(this.dir, `${checked(callSid)}.wav.part`);
  }

  keyFor(callSid: string): string {
    return `${checked(callSid)}.wav`;
  }

  async store(callSid: string, path: string): Promise<{ bytes: number }> {
    const target = join(this.dir, this.keyFor(callSid));
    await rename(path, target);
    return { bytes: (await stat(target)).size };
  }

  async linkFor(callSid: string): Promise<string | undefined> {
    return `${this.publicUrl}/calls/${checked(callSid)}/recording.wav`;
  }

  /** The finished WAV of a call, or undefined when there is none. */
  async read(callSid: string): Promise<Buffer | undefined> {
    if (!CALL_SID.test(callSid)) return undefined;
    return readFile(join(this.dir, `${callSid}.wav`)).catch(() => undefined);
  }
}

/** A call SID names a file here: anything else (a path) never does. */
function checked(callSid: string): string {
  if (!CALL_SID.test(callSid)) throw new Error('not a call SID');
  return callSid;
}
