import { Match, Template } from 'aws-cdk-lib/assertions';
import {
  actionsOf,
  logicalId,
  resourcesOfType,
  statementsOfRole,
  synthStack,
  template,
  testConfig,
} from './fixture.js';

const BUCKET = 'RecordingsBucketB0C8199F';
const bucketOf = (t: Template) => t.toJSON().Resources[BUCKET] as Record<string, unknown>;

/** The statements of a role that touch the recordings bucket or its key. */
function recordingStatements(roleId: string): Array<Record<string, unknown>> {
  return statementsOfRole(roleId).filter((s) => /Recordings(Bucket|Key)/.test(JSON.stringify(s.Resource)));
}

describe('recordings bucket', () => {
  it('is private, KMS-encrypted with its own rotating key, unversioned, and kept under a generated name', () => {
    const keyId = logicalId('AWS::KMS::Key', 'RecordingsKey');
    template().hasResourceProperties('AWS::KMS::Key', { EnableKeyRotation: true });
    template().hasResource('AWS::S3::Bucket', {
      DeletionPolicy: 'Retain',
      UpdateReplacePolicy: 'Retain',
      Properties: Match.objectLike({
        BucketEncryption: {
          ServerSideEncryptionConfiguration: [
            {
              BucketKeyEnabled: true,
              ServerSideEncryptionByDefault: {
                SSEAlgorithm: 'aws:kms',
                KMSMasterKeyID: { 'Fn::GetAtt': [keyId, 'Arn'] },
              },
            },
          ],
        },
        PublicAccessBlockConfiguration: {
          BlockPublicAcls: true,
          BlockPublicPolicy: true,
          IgnorePublicAcls: true,
          RestrictPublicBuckets: true,
        },
        OwnershipControls: { Rules: [{ ObjectOwnership: 'BucketOwnerEnforced' }] },
      }),
    });
    const properties = bucketOf(template()).Properties as Record<string, unknown>;
    expect(properties.VersioningConfiguration).toBeUndefined();
    expect(properties.BucketName).toBeUndefined();
  });

  it('expires recordings after RECORDING_RETENTION_DAYS (default 30) and cleans up abandoned uploads', () => {
    const rules = () =>
      (
        (bucketOf(template()).Properties as Record<string, unknown>).LifecycleConfiguration as {
          Rules: unknown[];
        }
      ).Rules;
    expect(rules()).toEqual([
      {
        Id: 'ExpireRecordings',
        Status: 'Enabled',
        ExpirationInDays: 30,
        AbortIncompleteMultipartUpload: { DaysAfterInitiation: 1 },
      },
    ]);
    const week = Template.fromStack(synthStack(testConfig({ recordingRetentionDays: 7 })));
    expect(
      ((bucketOf(week).Properties as Record<string, unknown>).LifecycleConfiguration as { Rules: unknown[] })
        .Rules,
    ).toEqual([expect.objectContaining({ ExpirationInDays: 7 })]);
  });

  it('refuses anything but TLS in its policy', () => {
    template().hasResourceProperties('AWS::S3::BucketPolicy', {
      Bucket: { Ref: BUCKET },
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Effect: 'Deny',
            Action: 's3:*',
            Principal: { AWS: '*' },
            Condition: { Bool: { 'aws:SecureTransport': 'false' } },
          }),
        ]),
      },
    });
  });

  it('the bridge task puts recordings (multipart, with the key) under recordings/ only, and knows the bucket', () => {
    const statements = recordingStatements(logicalId('AWS::IAM::Role', 'BridgeTaskDefinitionTaskRole'));
    expect(statements.flatMap(actionsOf).sort()).toEqual(
      ['kms:Decrypt', 'kms:GenerateDataKey', 's3:AbortMultipartUpload', 's3:PutObject'].sort(),
    );
    const objects = statements.find((s) => actionsOf(s).includes('s3:PutObject'))?.Resource;
    expect(JSON.stringify(objects)).toContain('/recordings/*');
    const [, task] = resourcesOfType('AWS::ECS::TaskDefinition')[0] ?? [];
    const container = ((task?.ContainerDefinitions ?? []) as Array<Record<string, unknown>>)[0] ?? {};
    expect(container.Environment).toEqual(
      expect.arrayContaining([
        { Name: 'RECORD_CALLS', Value: 'off' },
        { Name: 'RECORDINGS_BUCKET', Value: { Ref: BUCKET } },
      ]),
    );
    // The root filesystem is read-only: the WAV is written to a scratch volume while the call runs.
    expect(container.ReadonlyRootFilesystem).toBe(true);
    expect(container.MountPoints).toEqual([
      { ContainerPath: '/tmp', ReadOnly: false, SourceVolume: 'scratch' },
    ]);
    expect(task?.Volumes).toEqual([{ Name: 'scratch' }]);
  });

  it('RECORD_CALLS follows recordCalls', () => {
    const on = Template.fromStack(synthStack(testConfig({ recordCalls: 'on' })));
    const [task] = Object.values(on.findResources('AWS::ECS::TaskDefinition')) as Array<{
      Properties: { ContainerDefinitions: Array<{ Environment: unknown[] }> };
    }>;
    expect(task?.Properties.ContainerDefinitions[0]?.Environment).toContainEqual({
      Name: 'RECORD_CALLS',
      Value: 'on',
    });
  });

  it('only the functions that write call rows and owner emails may read recordings (to presign), and nothing lists them', () => {
    const readers = resourcesOfType('AWS::IAM::Role')
      .map(([id]) => id)
      .filter((id) => recordingStatements(id).some((s) => actionsOf(s).includes('s3:GetObject')));
    expect(readers.map((id) => id.replace(/Role[0-9A-F]{8}$/, '')).sort()).toEqual(
      [
        'FunctionsCallStatus',
        'FunctionsDailyDigest',
        'FunctionsFinalisationSweep',
        'FunctionsPostCall',
      ].sort(),
    );
    for (const id of readers) {
      expect(recordingStatements(id).flatMap(actionsOf).sort()).toEqual(['kms:Decrypt', 's3:GetObject']);
    }
    const fn = logicalId('AWS::Lambda::Function', 'FunctionsCallStatus');
    template().hasResourceProperties('AWS::Lambda::Function', {
      Environment: { Variables: Match.objectLike({ RECORDINGS_BUCKET: { Ref: BUCKET } }) },
    });
    expect(
      (template().toJSON().Resources[fn].Properties.Environment.Variables as Record<string, unknown>)
        .RECORDINGS_BUCKET,
    ).toEqual({ Ref: BUCKET });
    const inbound = logicalId('AWS::Lambda::Function', 'FunctionsInboundCall');
    expect(
      (template().toJSON().Resources[inbound].Properties.Environment.Variables as Record<string, unknown>)
        .RECORDINGS_BUCKET,
    ).toBeUndefined();
  });
});
