import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import { RECORDING_LINK_SECONDS, S3Recordings } from '../../../services/adapters/s3/recordings';

const CALL = 'CA0123456789abcdef0123456789abcdef';
const BUCKET = 'boltvoice-recordings-abc123';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'bolt-s3rec-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const client = () =>
  new S3Client({
    region: 'eu-west-1',
    credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'secret' },
  });

describe('S3 recordings', () => {
  it('uploads the finished WAV under recordings/<CallSid>.wav and removes the working file', async () => {
    // Prepare
    const s3 = client();
    const mock = mockClient(s3);
    mock.on(PutObjectCommand).resolves({});
    const recordings = new S3Recordings(BUCKET, s3, dir);
    const path = recordings.workingPath(CALL);
    await writeFile(path, Buffer.alloc(4096, 1));
    // Act
    const stored = await recordings.store(CALL, path);
    // Assess
    expect(stored).toEqual({ bytes: 4096 });
    const put = mock.commandCalls(PutObjectCommand)[0]?.args[0].input;
    expect(put).toMatchObject({ Bucket: BUCKET, Key: `recordings/${CALL}.wav`, ContentType: 'audio/wav' });
    expect(await readdir(dir)).toEqual([]);
  });

  it('a refused upload rejects (the recorder logs it once) and still removes the working file', async () => {
    const s3 = client();
    mockClient(s3).on(PutObjectCommand).rejects(new Error('AccessDenied'));
    const recordings = new S3Recordings(BUCKET, s3, dir);
    const path = recordings.workingPath(CALL);
    await writeFile(path, Buffer.alloc(100));
    await expect(recordings.store(CALL, path)).rejects.toThrow('AccessDenied');
    expect(await readdir(dir)).toEqual([]);
  });

  it('links a recording with a presigned GET that expires, never a public URL', async () => {
    const recordings = new S3Recordings(BUCKET, client(), dir);
    const link = new URL((await recordings.linkFor(CALL, `recordings/${CALL}.wav`)) ?? '');
    expect(link.hostname).toBe(`${BUCKET}.s3.eu-west-1.amazonaws.com`);
    expect(link.pathname).toBe(`/recordings/${CALL}.wav`);
    expect(link.searchParams.get('X-Amz-Expires')).toBe(String(RECORDING_LINK_SECONDS));
    expect(link.searchParams.get('X-Amz-Signature')).toMatch(/^[0-9a-f]{64}$/);
    expect(link.searchParams.get('response-content-type')).toBe('audio/wav');
  });
});
