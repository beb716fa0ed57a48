import { Duration, RemovalPolicy, Validations } from 'aws-cdk-lib';
import { type IGrantable, PolicyStatement } from 'aws-cdk-lib/aws-iam';
import { Key } from 'aws-cdk-lib/aws-kms';
import { BlockPublicAccess, Bucket, BucketEncryption, ObjectOwnership } from 'aws-cdk-lib/aws-s3';
import { Construct, type IConstruct } from 'constructs';
import { acknowledgeWildcardResource } from './nag.js';

export interface RecordingsProps {
  /** Days a recording is kept; the bucket's lifecycle deletes it after (RECORDING_RETENTION_DAYS). */
  readonly retentionDays: number;
}

/** Where the bridge writes recordings and what the finalising functions presign (no other path). */
const RECORDINGS_PREFIX = 'recordings/';

/**
 * The call recordings' own bucket: private, TLS only, encrypted with its own KMS key, no versions
 * (an expired recording is gone, not kept as a noncurrent version), each object deleted after
 * `retentionDays`. Kept on stack deletion under a generated name, so a failed first create never
 * blocks the retry and recordings outlive a teardown only until their expiry (docs/deploy.md, Teardown).
 * The bridge writes (`grantWrite`); the functions that finalise calls read, to presign the owner's
 * link (`grantLink`): nobody lists the bucket, nothing is ever public.
 */
export class Recordings extends Construct {
  public readonly bucket: Bucket;
  public readonly key: Key;

  constructor(scope: Construct, id: string, props: RecordingsProps) {
    super(scope, id);
    this.key = new Key(this, 'Key', {
      description: 'Bolt Voice call recordings',
      enableKeyRotation: true,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    this.bucket = new Bucket(this, 'Bucket', {
      encryption: BucketEncryption.KMS,
      encryptionKey: this.key,
      // One data key per bucket, not a KMS request per part of every upload.
      bucketKeyEnabled: true,
      enforceSSL: true,
      blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
      objectOwnership: ObjectOwnership.BUCKET_OWNER_ENFORCED,
      versioned: false,
      lifecycleRules: [
        {
          id: 'ExpireRecordings',
          expiration: Duration.days(props.retentionDays),
          // A task stopped mid-upload leaves parts that would otherwise be billed forever.
          abortIncompleteMultipartUploadAfter: Duration.days(1),
        },
      ],
      removalPolicy: RemovalPolicy.RETAIN,
    });
    Validations.of(this.bucket).acknowledge({
      id: 'AwsSolutions-S1',
      reason:
        'Recordings are written by one task role and read only through links the finalising functions presign; CloudTrail records the API calls. Server access logs would be a second copy of who listened, with no retention tied to the recordings.',
    });
  }

  /**
   * The bridge task: puts recordings under the prefix, in parts (`lib-storage`'s Upload: create,
   * upload parts, complete, abort on failure), encrypted with the key. Exact actions, no wildcards.
   */
  grantWrite(grantee: IGrantable & IConstruct): void {
    this.grantObjects(
      grantee,
      ['s3:PutObject', 's3:AbortMultipartUpload'],
      ['kms:GenerateDataKey', 'kms:Decrypt'],
    );
  }

  /** A finalising function: presigns GETs of recordings (whoever follows the link uses its permission). */
  grantLink(grantee: IGrantable & IConstruct, setEnvironment: (name: string, value: string) => void): void {
    this.grantObjects(grantee, ['s3:GetObject'], ['kms:Decrypt']);
    setEnvironment('RECORDINGS_BUCKET', this.bucket.bucketName);
  }

  private grantObjects(grantee: IGrantable & IConstruct, s3Actions: string[], kmsActions: string[]): void {
    const objects = this.bucket.arnForObjects(`${RECORDINGS_PREFIX}*`);
    grantee.grantPrincipal.addToPrincipalPolicy(
      new PolicyStatement({ actions: s3Actions, resources: [objects] }),
    );
    grantee.grantPrincipal.addToPrincipalPolicy(
      new PolicyStatement({ actions: kmsActions, resources: [this.key.keyArn] }),
    );
    // On the role that holds the policy (a function's role is its sibling, not its child).
    const holder = Construct.isConstruct(grantee.grantPrincipal) ? grantee.grantPrincipal : grantee;
    acknowledgeWildcardResource(
      holder,
      objects,
      'Each call has its own recording object (recordings/<CallSid>.wav); call ids exist only at run time.',
    );
  }
}
