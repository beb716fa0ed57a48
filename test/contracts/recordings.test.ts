import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PutObjectCommand, type PutObjectCommandInput, S3Client } from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import { LocalRecordings } from '../../services/adapters/memory/local-recordings.js';
import { S3Recordings } from '../../services/adapters/s3/recordings.js';
import { describeRecordingsContract } from './recordings.contract.js';

const dirs: string[] = [];
const newDir = async () => {
  const dir = await mkdtemp(join(tmpdir(), 'recordings-contract-'));
  dirs.push(dir);
  return dir;
};
afterAll(() => Promise.all(dirs.map((dir) => rm(dir, { recursive: true, force: true }))));

describeRecordingsContract('LocalRecordings (local stack)', async () => {
  const dir = await newDir();
  return {
    recordings: new LocalRecordings(dir, 'http://localhost:3000'),
    stored: (key) => readFile(join(dir, key)).catch(() => undefined),
  };
});

// S3 stood in by aws-sdk-client-mock: a recording this small is one PutObject, whose body is what
// the bucket would hold.
describeRecordingsContract('S3Recordings (S3 stood in by aws-sdk-client-mock)', async () => {
  const s3 = new S3Client({
    region: 'eu-west-1',
    credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'secret' },
  });
  const bucket = new Map<string, Buffer>();
  mockClient(s3)
    .on(PutObjectCommand)
    .callsFake((input: PutObjectCommandInput) => {
      bucket.set(input.Key ?? '', Buffer.from(input.Body as Uint8Array));
      return {};
    });
  return {
    recordings: new S3Recordings('boltvoice-recordings-test', s3, await newDir()),
    stored: async (key) => bucket.get(key),
  };
});
