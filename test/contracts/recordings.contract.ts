/**
 * What every recording store promises (the ports in services/core/ports/recordings.ts): the file
 * written at a call's working path is stored under the call's key, byte for byte, and the working
 * file is gone afterwards; a call's key is the same every time and no other call's; a stored
 * recording can be linked.
 */
import { access, writeFile } from 'node:fs/promises';
import type { RecordingDestination, RecordingLinks } from '../../services/core/ports/recordings.js';

export interface RecordingsSubject {
  recordings: RecordingDestination & RecordingLinks;
  /** The bytes stored under `key`, as the storing side holds them. */
  stored(key: string): Promise<Buffer | undefined>;
}

const CALL_SID = 'CA0123456789abcdef0123456789abcdef';
const OTHER_CALL_SID = 'CAfedcba9876543210fedcba9876543210';

export function describeRecordingsContract(
  name: string,
  makeSubject: () => Promise<RecordingsSubject>,
): void {
  describe(`recordings contract: ${name}`, () => {
    test('stores the working file under the call’s key, byte for byte, and removes it', async () => {
      const { recordings, stored } = await makeSubject();
      const path = recordings.workingPath(CALL_SID);
      const wav = Buffer.from(Array.from({ length: 4096 }, (_, i) => i % 251));
      await writeFile(path, wav);
      expect(await recordings.store(CALL_SID, path)).toEqual({ bytes: wav.length });
      expect(await stored(recordings.keyFor(CALL_SID))).toEqual(wav);
      await expect(access(path)).rejects.toThrow();
    });

    test('a call’s key is the same every time and no other call’s', async () => {
      const { recordings } = await makeSubject();
      expect(recordings.keyFor(CALL_SID)).toBe(recordings.keyFor(CALL_SID));
      expect(recordings.keyFor(OTHER_CALL_SID)).not.toBe(recordings.keyFor(CALL_SID));
      expect(recordings.workingPath(OTHER_CALL_SID)).not.toBe(recordings.workingPath(CALL_SID));
    });

    test('a stored recording is linked with an absolute URL', async () => {
      const { recordings } = await makeSubject();
      const link = await recordings.linkFor(CALL_SID, recordings.keyFor(CALL_SID));
      expect(new URL(link ?? '').protocol).toMatch(/^https?:$/);
    });
  });
}
