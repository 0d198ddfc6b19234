import { awsErrorFacts, classifyCommonAwsFailure, isAccessDenied, unclassifiedAwsFailure } from '../aws/failures.js';
import type { Endpoint } from '../transport-failures.js';
import { ProbeFailure, type FailureCode, type ProbeLimits } from '../verdict.js';
import { athenaHint, glueHint, s3Hint, type AthenaDefinition } from './access.js';

/**
 * Athena's answers, read into failure codes with messages the service writes. Athena says most
 * things in an InvalidRequestException or in a failed query's AthenaError (ErrorCategory 1 system,
 * 2 user; ErrorType from its error catalog) and its text: the text is only matched, never passed
 * on (it quotes ARNs, paths and SQL), and the message is built from the connection's own fields.
 */

/** The Athena calls of the probe; a missing grant names the one refused. */
export type AthenaCall = 'StartQueryExecution' | 'GetQueryExecution' | 'GetQueryResults' | 'StopQueryExecution';
/** The stage a query runs for: the test query, or the database check. */
export type QueryPurpose = 'query' | 'schema_access';

export interface AthenaContext {
  definition: AthenaDefinition;
  externalId: string;
  limits: ProbeLimits;
  endpoint: Endpoint;
}

interface AthenaServiceError {
  message?: string;
  AthenaErrorCode?: string;
}

/** Athena's wording, as its API and the queries it fails say it. */
const TEXT = {
  workgroupNotFound: /WorkGroup is not found/i,
  workgroupDisabled: /WorkGroup\b.*\bis disabled|disabled workgroup/i,
  noOutputLocation: /No output location provided/i,
  outputBucketUnverified: /Unable to verify\/create output bucket/i,
  writingOutputDenied: /Access denied when writing|not authorized to perform: s3:|s3:PutObject|Amazon S3.*Access Denied/i,
  kms: /\bkms\b|KMS key/i,
  databaseNotFound:
    /SCHEMA_NOT_FOUND|Schema '[^']*' does not exist|Database does not exist|Database [^ ]+ not found|EntityNotFoundException.*Database/i,
  catalogNotFound: /CATALOG_NOT_FOUND|Catalog '[^']*' (?:does not exist|not found)|catalog does not exist/i,
  glueDenied: /glue:|lakeformation|Lake Formation|Insufficient Lake Formation permission/i,
  permission: /not authorized|Access ?Denied|Insufficient permissions|Permission denied/i,
};

/** AthenaError types (Athena's error catalog) of a query that could not run for now, not because of the connection. */
const TRANSIENT_TYPES = new Set([100, 300, 301, 302, 303, 400, 1400, 1401, 1403, 1404, 1405, 1406, 1602, 9999]);
const S3_BUCKET_NOT_FOUND = 1306;
const S3_PERMISSION = 1501;
const PERMISSION = 1500;
const LAKE_FORMATION = 234;
const NOT_FOUND_TYPES = new Set([1300, 1301]);

function fail(failure: FailureCode, message: string, cause: unknown, hint?: string): ProbeFailure {
  return new ProbeFailure(failure, message, { cause, ...(hint === undefined ? {} : { hint }) });
}

/** An error of one Athena API call (made with the role's credentials). */
export function classifyAthenaCall(error: unknown, call: AthenaCall, context: AthenaContext): ProbeFailure {
  const { definition, endpoint } = context;
  const { role_arn: role, workgroup, region } = definition.credentials;
  const common = classifyCommonAwsFailure(error, 'as_role', { ...context, roleArn: role });
  if (common) return common;
  const facts = awsErrorFacts(error);
  if (isAccessDenied(facts)) {
    return fail(
      'permission_denied',
      `Role '${role}' may not run the test in workgroup '${workgroup}' (athena:${call}).`,
      error,
      athenaHint(definition),
    );
  }
  const athena = (typeof error === 'object' && error !== null ? error : {}) as AthenaServiceError;
  const text = athena.message ?? '';
  if (facts.code === 'InvalidRequestException') {
    if (TEXT.workgroupNotFound.test(text)) {
      return fail('object_not_found', `Workgroup '${workgroup}' was not found in ${region} (in the account of role '${role}').`, error);
    }
    if (TEXT.workgroupDisabled.test(text)) {
      return fail(
        'warehouse_unavailable',
        `Workgroup '${workgroup}' is disabled, so no query can run in it: an administrator must enable it (or use another workgroup).`,
        error,
      );
    }
    if (TEXT.noOutputLocation.test(text)) {
      return fail(
        'object_not_found',
        `Workgroup '${workgroup}' has no query result location and the connection sets no output_location: ` +
          "set output_location (s3://bucket/prefix/) or a query result location in the workgroup's settings.",
        error,
      );
    }
    if (TEXT.outputBucketUnverified.test(text)) {
      return fail(
        'permission_denied',
        `Athena could not use the bucket of the query result location: it does not exist, or role '${role}' may not read its location (s3:GetBucketLocation).`,
        error,
        s3Hint(definition),
      );
    }
    const athenaCode = athena.AthenaErrorCode ?? '';
    const named = /^[A-Z_]{1,64}$/.test(athenaCode) ? ` (${athenaCode})` : '';
    return fail('warehouse_error', `Amazon Athena refused the test query${named}.`, error);
  }
  if (facts.code === 'MetadataException') {
    return fail('warehouse_error', `The metastore of catalog '${definition.credentials.catalog}' failed to answer Athena.`, error);
  }
  return unclassifiedAwsFailure(error, endpoint);
}

/** What GetQueryExecution says of a query that ended without success. */
export interface QueryOutcome {
  state: 'FAILED' | 'CANCELLED';
  errorCategory: number | undefined;
  errorType: number | undefined;
  retryable: boolean | undefined;
  /** AthenaError.ErrorMessage and StateChangeReason: only matched. */
  text: string;
}

export function classifyQueryOutcome(outcome: QueryOutcome, purpose: QueryPurpose, definition: AthenaDefinition): ProbeFailure {
  const { role_arn: role, workgroup, catalog, region } = definition.credentials;
  const database = definition.dataset_id;
  const { errorType, text } = outcome;
  if (outcome.state === 'CANCELLED') {
    return fail(
      'warehouse_error',
      `The test query was cancelled in workgroup '${workgroup}' before it finished (by a user or a workgroup limit).`,
      outcome,
    );
  }
  const writingDenied = errorType === S3_PERMISSION || (TEXT.writingOutputDenied.test(text) && !TEXT.glueDenied.test(text));
  if (writingDenied || (errorType === PERMISSION && TEXT.kms.test(text))) {
    return fail(
      'permission_denied',
      `Athena could not write the query results to the query result location: role '${role}' may not write there (s3:PutObject) or use its KMS key.`,
      outcome,
      s3Hint(definition),
    );
  }
  if (errorType === S3_BUCKET_NOT_FOUND) {
    return fail('object_not_found', `The bucket of the query result location of workgroup '${workgroup}' does not exist.`, outcome);
  }
  if (TEXT.catalogNotFound.test(text)) {
    return fail('object_not_found', `Catalog '${catalog}' was not found in ${region} (in the account of role '${role}').`, outcome);
  }
  if (TEXT.databaseNotFound.test(text) || (purpose === 'schema_access' && errorType !== undefined && NOT_FOUND_TYPES.has(errorType))) {
    return fail('object_not_found', `Database '${database}' does not exist in catalog '${catalog}' (${region}).`, outcome);
  }
  if (errorType === LAKE_FORMATION || errorType === PERMISSION || TEXT.permission.test(text)) {
    if (purpose === 'schema_access' || TEXT.glueDenied.test(text)) {
      return fail(
        'permission_denied',
        `Role '${role}' may not list the tables of database '${database}' in catalog '${catalog}' (glue:GetDatabase, glue:GetTables).`,
        outcome,
        glueHint(definition),
      );
    }
    return fail(
      'permission_denied',
      `Athena refused the test query in workgroup '${workgroup}' for a missing permission.`,
      outcome,
      athenaHint(definition),
    );
  }
  if (outcome.errorCategory === 1 || outcome.retryable === true || (errorType !== undefined && TRANSIENT_TYPES.has(errorType))) {
    return fail(
      'warehouse_unavailable',
      'Amazon Athena could not run the test query right now (an error on its side); test again in a moment.',
      outcome,
    );
  }
  const named = errorType === undefined ? '' : ` (Athena error type ${errorType})`;
  return fail('warehouse_error', `The test query failed in workgroup '${workgroup}'${named}.`, outcome);
}
