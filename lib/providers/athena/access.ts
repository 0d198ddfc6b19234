import { accountOf, partitionOf } from '../aws/fields.js';
import type { ProviderDefinition } from '../../schema/connection.js';
import { DEFAULT_ATHENA_CATALOG, parseOutputLocation } from './schema.js';

/**
 * What the customer's role needs for the test, in one place: the session policy the service asks
 * STS for (so the session can do nothing else, whatever the role allows) and the hints a missing
 * permission gets. Athena reads the Glue catalog and writes the results to S3 with the caller's own
 * credentials (forward access sessions), so the session policy must allow those calls too.
 */
export type AthenaDefinition = ProviderDefinition<'athena'>;

/** The Athena calls the probe makes, on the workgroup. */
export const ATHENA_ACTIONS = [
  'athena:StartQueryExecution',
  'athena:GetQueryExecution',
  'athena:GetQueryResults',
  'athena:StopQueryExecution',
] as const;
/** What `SHOW TABLES IN db` reads of the catalog. */
export const GLUE_ACTIONS = ['glue:GetDatabase', 'glue:GetTables'] as const;
/** What Athena does in the output location: check the bucket, write the results, read them back. */
export const S3_OUTPUT_ACTIONS = [
  's3:GetBucketLocation',
  's3:ListBucket',
  's3:GetObject',
  's3:PutObject',
  's3:AbortMultipartUpload',
  's3:ListMultipartUploadParts',
] as const;
/** Results encrypted with a KMS key (the workgroup's setting): write and read them. */
export const KMS_RESULT_ACTIONS = ['kms:GenerateDataKey', 'kms:Decrypt'] as const;
/** Another catalog than AwsDataCatalog: Athena reads its definition, and a connector catalog runs a Lambda function. */
export const OTHER_CATALOG_ACTIONS = ['athena:GetDataCatalog', 'lambda:InvokeFunction'] as const;

export function sessionActions(definition: AthenaDefinition): string[] {
  return [
    ...ATHENA_ACTIONS,
    ...GLUE_ACTIONS,
    ...S3_OUTPUT_ACTIONS,
    ...KMS_RESULT_ACTIONS,
    ...(isDefaultCatalog(definition) ? [] : OTHER_CATALOG_ACTIONS),
  ];
}

export function isDefaultCatalog(definition: AthenaDefinition): boolean {
  return definition.credentials.catalog.toLowerCase() === DEFAULT_ATHENA_CATALOG.toLowerCase();
}

function arnPrefix(definition: AthenaDefinition, service: string): string {
  const { region, role_arn: role } = definition.credentials;
  return `arn:${partitionOf(region)}:${service}:${region}:${accountOf(role)}`;
}

export function workgroupArn(definition: AthenaDefinition): string {
  return `${arnPrefix(definition, 'athena')}:workgroup/${definition.credentials.workgroup}`;
}

const inPolicyOf = (definition: AthenaDefinition) => `in a policy of role ${definition.credentials.role_arn}.`;

export function athenaHint(definition: AthenaDefinition): string {
  return `Allow ${ATHENA_ACTIONS.join(', ')} on ${workgroupArn(definition)} ${inPolicyOf(definition)}`;
}

export function glueHint(definition: AthenaDefinition): string {
  const database = definition.dataset_id;
  if (!isDefaultCatalog(definition)) {
    return `Allow ${OTHER_CATALOG_ACTIONS[0]} on catalog '${definition.credentials.catalog}', and what its data source needs to list the tables of '${database}', ${inPolicyOf(definition)}`;
  }
  const glue = arnPrefix(definition, 'glue');
  return (
    `Allow ${GLUE_ACTIONS.join(' and ')} on ${glue}:catalog, ${glue}:database/${database} and ${glue}:table/${database}/* ` +
    `${inPolicyOf(definition)} With Lake Formation, grant the role DESCRIBE on database '${database}'.`
  );
}

/** Where the results go, when the connection says so; otherwise the workgroup's own location. */
export function s3Hint(definition: AthenaDefinition): string {
  const location = definition.credentials.output_location;
  const parsed = location === undefined ? undefined : parseOutputLocation(location);
  if (parsed === undefined) {
    return `Allow ${S3_OUTPUT_ACTIONS.join(', ')} on the query result location of workgroup '${definition.credentials.workgroup}' ${inPolicyOf(definition)}`;
  }
  const bucket = `arn:${partitionOf(definition.credentials.region)}:s3:::${parsed.bucket}`;
  return (
    `Allow s3:GetBucketLocation and s3:ListBucket on ${bucket}, and s3:GetObject, s3:PutObject, s3:AbortMultipartUpload and ` +
    `s3:ListMultipartUploadParts on ${bucket}/${parsed.prefix}* ${inPolicyOf(definition)} If the results are encrypted with a KMS key, ` +
    `allow ${KMS_RESULT_ACTIONS.join(' and ')} on it too.`
  );
}
