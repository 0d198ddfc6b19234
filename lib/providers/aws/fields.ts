import * as v from 'valibot';

/**
 * The AWS fields of a connection whose probe assumes a customer's role (Redshift with IAM, Athena):
 * the role and its region, validated strictly, since the service derives AWS endpoints and ARNs
 * from them.
 */

/** An IAM role in the commercial, China or GovCloud partition: `arn:aws:iam::123456789012:role/path/name`. */
const ROLE_ARN = /^arn:(aws|aws-cn|aws-us-gov):iam::\d{12}:role\/(?:[\w+=,.@-]+\/){0,32}[\w+=,.@-]{1,64}$/;
/** `us-east-1`, `eu-central-2`, `us-gov-west-1`, `cn-north-1`. */
const REGION = /^[a-z]{2}(?:-gov)?-[a-z]+-\d{1,2}$/;

export const roleArn = v.pipe(
  v.string(),
  v.maxLength(2_048, 'must be at most 2048 characters'),
  v.regex(ROLE_ARN, "must be an IAM role ARN such as 'arn:aws:iam::123456789012:role/warehouse-reader'"),
);

export const region = v.pipe(v.string(), v.regex(REGION, "must be an AWS region such as 'us-east-1'"));

/** The IAM partition of a region, as its ARNs name it. */
export function partitionOf(region: string): 'aws' | 'aws-cn' | 'aws-us-gov' {
  if (region.startsWith('cn-')) return 'aws-cn';
  if (region.startsWith('us-gov-')) return 'aws-us-gov';
  return 'aws';
}

/** Why a role cannot be used from `region` (another partition's role), or undefined when it can. */
export function rolePartitionProblem(role: string, region: string): string | undefined {
  const partition = partitionOf(region);
  return role.startsWith(`arn:${partition}:`) ? undefined : `must be a role of the region's partition (arn:${partition}:iam::…)`;
}

/** The account id of a role ARN (the schema checked its form). */
export function accountOf(role: string): string {
  return role.split(':')[4] ?? '';
}
