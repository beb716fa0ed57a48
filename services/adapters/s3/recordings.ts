import { createReadStream } from 'node:fs';
import { stat, unlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GetObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import type { RecordingDestination, RecordingLinks } from '../../core/ports/recordings.js';

/** How long a link in the owner email and the CRM row plays the recording. */
export const RECORDING_LINK_SECONDS = 7 * 24 * 3600;
const PART_BYTES = 8 * 1024 * 1024;

/**
 * Recordings in their own S3 bucket (KMS-encrypted by the bucket's default; private). The bridge
 * writes each WAV to the task's disk while the call runs (its header, written last, needs the
 * sizes) and uploads it when the call ends, in parts from a file stream, so memory stays flat
 * whatever the length. Finalisation links it with a presigned GET.
 */
export class S3Recordings implements RecordingDestination, RecordingLinks {
  constructor(
    private readonly bucket: string,
    private readonly client: S3Client = new S3Client({}),
    private readonly workingDir: string = tmpdir(),
  ) {}

  workingPath(callSid: string): string {
    return join(this.workingDir, `bolt-recording-${callSid}.wav`);
  }

  keyFor(callSid: string): string {
    return `recordings/${callSid}.wav`;
  }

  async store(callSid: string, path: string): Promise<{ bytes: number }> {
    try {
      const { size } = await stat(path);
      await new Upload({
        client: this.client,
        partSize: PART_BYTES,
        queueSize: 2,
        params: {
          Bucket: this.bucket,
          Key: this.keyFor(callSid),
          Body: createReadStream(path),
          ContentType: 'audio/wav',
        },
      }).done();
      return { bytes: size };
    } finally {
      await unlink(path).catch(() => undefined);
    }
  }

  /**
   * A presigned GET, minted with the finalising function's role. Such a link stops working when the
   * role's session does, which can be sooner than `RECORDING_LINK_SECONDS` (docs/SECURITY.md).
   */
  async linkFor(_callSid: string, key: string): Promise<string | undefined> {
    return getSignedUrl(
      this.client,
      new GetObjectCommand({ Bucket: this.bucket, Key: key, ResponseContentType: 'audio/wav' }),
      { expiresIn: RECORDING_LINK_SECONDS },
    );
  }
}
