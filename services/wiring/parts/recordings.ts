import { LocalRecordings } from '../../adapters/memory/local-recordings.js';
import { S3Recordings } from '../../adapters/s3/recordings.js';
import type { RecordingDestination, RecordingLinks } from '../../core/ports/recordings.js';
import { type Config, ConfigError } from '../../core/shared/config.js';
import type { AdapterMode } from './adapter-choices.js';

/** Where recordings are written (the bridge) and how they are linked (finalisation). */
export type Recordings = RecordingDestination & RecordingLinks;

/**
 * The recordings store: the stack's bucket in AWS (`RECORDINGS_BUCKET`), `LOCAL_RECORDINGS_DIR` in
 * the local stack. Built whether or not RECORD_CALLS is on, so calls recorded before it was turned
 * off are still linked; whether the bridge records is `config.recording.enabled`.
 */
export function recordingsFor(config: Config, mode: AdapterMode): Recordings | undefined {
  if (mode === 'local') return new LocalRecordings(config.recording.localDir, config.publicUrl);
  if (config.recording.bucket) return new S3Recordings(config.recording.bucket);
  if (config.recording.enabled)
    throw new ConfigError(['RECORDINGS_BUCKET is required in AWS when RECORD_CALLS=on']);
  return undefined;
}
