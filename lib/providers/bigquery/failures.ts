import type { ProviderDefinition } from '../../schema/connection.js';
import { classifyTransport, type Endpoint } from '../transport-failures.js';
import { ProbeFailure, seconds, type FailureCode, type ProbeLimits } from '../verdict.js';

type BigQueryDefinition = ProviderDefinition<'bigquery'>;

export interface BigQueryContext {
  definition: BigQueryDefinition;
  limits: ProbeLimits;
  endpoint: Endpoint;
  stage: 'query' | 'dataset';
}

/**
 * What the library reports: an ApiError from @google-cloud/common (HTTP status in `code`, Google's
 * reasons in `errors`), a FetchError from node-fetch (errno in `code`), or a plain Error.
 */
interface DriverError {
  name?: string;
  code?: number | string;
  message?: string;
  errors?: Array<{ reason?: string }>;
}

/** The library's own endpoint when the deployment sets none. */
export const DEFAULT_BIGQUERY_API = 'https://bigquery.googleapis.com';

export function bigqueryEndpoint(apiEndpoint: string | undefined): Endpoint {
  const url = new URL(apiEndpoint ?? DEFAULT_BIGQUERY_API);
  return { service: 'the BigQuery API', host: url.hostname, where: url.host, unresolvedHint: "Check the service's DNS and egress." };
}

/**
 * Maps what the BigQuery client reports to a failure code and a message naming what to fix. The API's
 * message text is only matched, never returned; the error is not kept as the cause either, because
 * its `response` holds the request headers with the bearer token: only name, status and reason are.
 */
export function classifyBigQueryFailure(error: unknown, context: BigQueryContext): ProbeFailure {
  if (error instanceof ProbeFailure) return error;
  const driverError = (typeof error === 'object' && error !== null ? error : {}) as DriverError;
  const reason = driverError.errors?.find((inner) => inner.reason)?.reason ?? '';
  const cause = { name: driverError.name ?? 'Error', code: driverError.code, reason };
  const fail = (failure: FailureCode, message: string) => new ProbeFailure(failure, message, { cause });

  if (typeof driverError.code === 'number') return classifyApiError(driverError.code, reason, driverError.message ?? '', context, fail);
  const code = typeof driverError.code === 'string' ? driverError.code : '';
  const transport = classifyTransport(code, context.endpoint, context.limits.connectTimeoutMs + context.limits.statementTimeoutMs, cause);
  if (transport) return transport;
  if (/did not complete before/.test(driverError.message ?? '')) {
    return fail('timeout', `The test query did not finish within ${seconds(context.limits.statementTimeoutMs)}.`);
  }
  if (driverError.name === 'FetchError')
    return fail('network_error', `The exchange with ${context.endpoint.where} (${context.endpoint.service}) failed.`);
  return fail('warehouse_error', 'The BigQuery connection test failed unexpectedly.');
}

function classifyApiError(
  status: number,
  reason: string,
  text: string,
  context: BigQueryContext,
  fail: (code: FailureCode, message: string) => ProbeFailure,
): ProbeFailure {
  const { project_id: project, dataset_id: dataset } = context.definition;
  const email = context.definition.credentials.client_email;
  if (status === 401) {
    return fail(
      'auth_failed',
      `Google rejected the credentials of service account '${email}'. Check that the key is active (not deleted or disabled) and belongs to this account.`,
    );
  }
  if (reason === 'rateLimitExceeded' || reason === 'quotaExceeded' || status === 429) {
    return fail('warehouse_unavailable', `BigQuery rate limits or quotas of project '${project}' refused the test. Retry later.`);
  }
  if (status === 403 || reason === 'accessDenied') {
    if (reason === 'accessNotConfigured' || /SERVICE_DISABLED|has not been used in project|is disabled/i.test(text)) {
      return fail(
        'permission_denied',
        `The BigQuery API is not enabled in project '${project}'. Enable bigquery.googleapis.com for the project.`,
      );
    }
    if (reason === 'billingNotEnabled') return fail('permission_denied', `Billing is not enabled for project '${project}'.`);
    if (context.stage === 'dataset') {
      return new ProbeFailure(
        'permission_denied',
        `Permission denied for dataset '${dataset}'. Grant service account '${email}' a role that can read it (roles/bigquery.dataViewer).`,
        { cause: { status, reason }, hint: `Grant roles/bigquery.dataViewer on dataset ${project}:${dataset} to serviceAccount:${email}` },
      );
    }
    return new ProbeFailure(
      'permission_denied',
      `Service account '${email}' may not run queries in project '${project}'. Grant it roles/bigquery.jobUser (bigquery.jobs.create).`,
      { cause: { status, reason }, hint: `Grant roles/bigquery.jobUser on project ${project} to serviceAccount:${email}` },
    );
  }
  if (status === 404) {
    if (context.stage === 'dataset' && !/Not found: Project/i.test(text))
      return fail('object_not_found', `Dataset '${dataset}' not found in project '${project}'.`);
    return fail('object_not_found', `Project '${project}' not found, or service account '${email}' cannot see it.`);
  }
  if (status === 408 || status >= 500)
    return fail('warehouse_unavailable', `BigQuery is unavailable right now (HTTP ${status}). Retry later.`);
  if (reason === 'bytesBilledLimitExceeded') {
    return fail(
      'warehouse_error',
      `The test query would bill more than maximum_bytes_billed (${context.definition.settings.maximum_bytes_billed} bytes).`,
    );
  }
  const known = /^[A-Za-z]{1,64}$/.test(reason) ? `, reason ${reason}` : '';
  return fail('warehouse_error', `BigQuery rejected the test (HTTP ${status}${known}).`);
}
