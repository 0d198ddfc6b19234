import { Duration, RemovalPolicy, Validations } from 'aws-cdk-lib';
import { ReadWriteType, Trail } from 'aws-cdk-lib/aws-cloudtrail';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { BlockPublicAccess, Bucket, BucketEncryption, ObjectOwnership } from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';

export interface ResolveDataEventsProps {
  resolver: IFunction;
}

/**
 * CloudTrail Lambda data events for the resolve function (`-c resolveDataEvents=true`): every
 * Invoke, with the principal that made it, which is what the audit records cannot know (Lambda
 * does not hand the caller to the function; workers name themselves in `caller`). A trail of its
 * own, recording only these events, to a private, encrypted bucket that keeps them a year.
 */
export class ResolveDataEvents extends Construct {
  readonly trail: Trail;
  readonly bucket: Bucket;

  constructor(scope: Construct, id: string, props: ResolveDataEventsProps) {
    super(scope, id);
    this.bucket = new Bucket(this, 'Bucket', {
      encryption: BucketEncryption.S3_MANAGED,
      blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
      objectOwnership: ObjectOwnership.BUCKET_OWNER_ENFORCED,
      enforceSSL: true,
      versioned: true,
      lifecycleRules: [{ expiration: Duration.days(365), noncurrentVersionExpiration: Duration.days(30) }],
      // Evidence of who resolved credentials: it outlives the stack.
      removalPolicy: RemovalPolicy.RETAIN,
    });
    Validations.of(this.bucket).acknowledge({
      id: 'AwsSolutions-S1',
      reason:
        'The bucket holds CloudTrail log files only, written by CloudTrail and validated by its digest files; server access ' +
        'logs would need a second bucket to log the log bucket, and CloudTrail management events already record who reads it.',
    });
    this.trail = new Trail(this, 'Trail', {
      bucket: this.bucket,
      // Only the resolver's invocations: no management events, which the account's own trail records.
      includeGlobalServiceEvents: false,
      isMultiRegionTrail: false,
      managementEvents: ReadWriteType.NONE,
      enableFileValidation: true,
    });
    this.trail.addLambdaEventSelector([props.resolver], { includeManagementEvents: false, readWriteType: ReadWriteType.ALL });
  }
}
