import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { PROJECT_ROOT } from '../../lib/house-function.js';
import { BRIDGE_NODE_FLAGS } from '../../services/bridge/node-flags.js';
import { template } from './fixture.js';

type Resource = {
  Type: string;
  Properties?: Record<string, unknown>;
  DeletionPolicy?: string;
  UpdateReplacePolicy?: string;
};
const resources = () => template().toJSON().Resources as Record<string, Resource>;

describe('stateful resources', () => {
  // A changed logical id makes CloudFormation create a new resource and drop the old one: for these,
  // that is the call history or the access logs. Renaming a construct on their path must fail here.
  const STATEFUL: Record<string, string> = {
    CallTable0BF11117: 'AWS::DynamoDB::GlobalTable',
    BridgeAccessLogsBucket2F082E61: 'AWS::S3::Bucket',
    RecordingsBucketB0C8199F: 'AWS::S3::Bucket',
  };

  it('keep their logical ids', () => {
    for (const [id, type] of Object.entries(STATEFUL)) expect(resources()[id]?.Type).toBe(type);
  });

  it('are all listed above, and kept on delete or replacement', () => {
    const stateful = Object.entries(resources()).filter(([, r]) =>
      [
        'AWS::DynamoDB::GlobalTable',
        'AWS::DynamoDB::Table',
        'AWS::S3::Bucket',
        'AWS::SecretsManager::Secret',
      ].includes(r.Type),
    );
    expect(stateful.map(([id]) => id).sort()).toEqual(Object.keys(STATEFUL).sort());
    for (const [, r] of stateful) {
      expect(['Retain', 'RetainExceptOnCreate']).toContain(r.DeletionPolicy);
      expect(r.UpdateReplacePolicy).toBe('Retain');
    }
  });
});

describe('a failed first create rolls back to ROLLBACK_COMPLETE, never ROLLBACK_FAILED', () => {
  it('never deletes a bucket in a rollback: the load balancer writes into its log bucket at once', () => {
    const buckets = Object.entries(resources()).filter(([, r]) => r.Type === 'AWS::S3::Bucket');
    expect(buckets.length).toBeGreaterThan(0);
    for (const [, r] of buckets) {
      // RetainExceptOnCreate would delete it on a failed create, and a non-empty bucket cannot be deleted.
      expect(r.DeletionPolicy).toBe('Retain');
      // Generated name: the retry creates a new bucket instead of colliding with the one left behind.
      expect(r.Properties?.BucketName).toBeUndefined();
    }
  });

  it('deletes on a failed create only what CloudFormation can delete with content in it (the table)', () => {
    const deletedOnFailedCreate = Object.values(resources()).filter(
      (r) => r.DeletionPolicy === 'RetainExceptOnCreate',
    );
    expect(deletedOnFailedCreate.map((r) => r.Type)).toEqual(['AWS::DynamoDB::GlobalTable']);
  });
});

describe('a failed first create can be retried', () => {
  // Properties that give a resource a physical name fixed in the template.
  const NAME_PROPERTIES = [
    'Name',
    'TableName',
    'FunctionName',
    'BucketName',
    'LogGroupName',
    'QueueName',
    'TopicName',
    'ClusterName',
    'ServiceName',
    'RoleName',
  ];

  it('retains nothing that has a fixed name', () => {
    const fixedNamed = Object.entries(resources()).filter(([, r]) =>
      NAME_PROPERTIES.some((p) => typeof r.Properties?.[p] === 'string'),
    );
    // The schedule group and the place-call function know their own names (callbacks target them).
    expect(fixedNamed.map(([, r]) => r.Type)).toEqual(
      expect.arrayContaining(['AWS::Scheduler::ScheduleGroup', 'AWS::Lambda::Function']),
    );
    for (const [, r] of fixedNamed) {
      expect([undefined, 'Delete']).toContain(r.DeletionPolicy);
    }
  });
});

describe('bridge image', () => {
  const dockerfile = readFileSync(join(PROJECT_ROOT, 'services/bridge/Dockerfile'), 'utf8');
  const froms = dockerfile.split('\n').filter((line) => /^FROM\s/i.test(line));

  it('builds on the build machine’s own platform and runs on a slim base for the target (ARM64)', () => {
    expect(froms).toHaveLength(2);
    expect(froms[0]).toMatch(/^FROM --platform=\$BUILDPLATFORM node:\S+ AS build$/);
    // The runtime stage takes the platform CDK builds for (linux/arm64), on a slim image.
    expect(froms[1]).not.toMatch(/--platform/);
    expect(froms[1]).toMatch(/^FROM node:\d+-\S*slim$/);
  });

  it('runs Node with BRIDGE_NODE_FLAGS, the flags the bench measures the bridge with', () => {
    const cmd = dockerfile.split('\n').find((line) => /^CMD\s/.test(line));
    expect(JSON.parse(cmd?.replace(/^CMD\s+/, '') ?? 'null')).toEqual([
      'node',
      ...BRIDGE_NODE_FLAGS,
      'main.js',
    ]);
  });

  it('has no HEALTHCHECK that would start a process every interval', () => {
    expect(dockerfile).not.toMatch(/^HEALTHCHECK/m);
  });
});
