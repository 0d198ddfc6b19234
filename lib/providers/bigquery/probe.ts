import { BigQuery } from '@google-cloud/bigquery';
import { JWT } from 'google-auth-library';
import type { ProviderDefinition } from '../../schema/connection.js';
import { pinBigQueryAgents } from './agents.js';
import { bounded } from '../bounded.js';
import { bigqueryEndpoint, classifyBigQueryFailure, DEFAULT_BIGQUERY_API, type BigQueryContext } from './failures.js';
import { destinationOf } from '../pinned-agent.js';
import type { Probe } from '../probe.js';
import { rsaPrivateKeyPem } from '../rsa-key.js';
import { ProbeFailure, seconds } from '../verdict.js';

type BigQueryDefinition = ProviderDefinition<'bigquery'>;

const BIGQUERY_SCOPE = 'https://www.googleapis.com/auth/bigquery';

/**
 * Runs SELECT 1 as a query job in the connection's project (with the byte cap from the settings),
 * then reads the dataset's metadata to check that it exists and the service account may read it.
 *
 * The library (teeny-request over node-fetch 3) takes neither a request timeout nor an abort signal,
 * so the probe cannot cancel a request in flight: it stops waiting at its limits or when `signal`
 * aborts, and with retries off nothing new is sent after that. A request left behind ends when the
 * API answers or drops the connection. Every request goes through agents pinned to the API's host
 * (bigquery-agents.ts), so no redirect takes the query anywhere else.
 */
export const probeBigQuery: Probe = async (definition, limits, signal, stages) => {
  if (definition.provider !== 'bigquery') throw new Error('probeBigQuery needs a bigquery connection');
  const context: BigQueryContext = { definition, limits, endpoint: bigqueryEndpoint(limits.bigqueryApiEndpoint), stage: 'query' };
  try {
    const apiEndpoint = limits.bigqueryApiEndpoint ?? DEFAULT_BIGQUERY_API;
    await pinBigQueryAgents(apiEndpoint, destinationOf(apiEndpoint));
    // Signing in is local (a self-signed JWT): Google checks it with the first API call, so a
    // refused key fails the query stage with auth_failed.
    stages.begin('sign_in');
    const privateKey = await rsaPrivateKeyPem(definition.credentials.private_key, undefined, 'credentials.private_key', signal);
    const bigquery = client(definition, privateKey, limits.bigqueryApiEndpoint);
    // timeoutMs lets BigQuery wait for the result server-side; when the job is not done by then the
    // library reports an error instead of polling.
    stages.begin('query');
    const [rows] = await bounded(bigquery.query(testQuery(definition), { timeoutMs: limits.statementTimeoutMs }), {
      ms: limits.connectTimeoutMs + limits.statementTimeoutMs,
      signal,
      onTimeout: () =>
        new ProbeFailure(
          'timeout',
          `BigQuery did not answer the test query within ${seconds(limits.connectTimeoutMs + limits.statementTimeoutMs)}.`,
        ),
    });
    if (Number((rows as Array<Record<string, unknown>>)[0]?.probe) !== 1) {
      throw new ProbeFailure('warehouse_error', 'BigQuery answered the test query with an unexpected result.');
    }
    context.stage = 'dataset';
    stages.begin('dataset_access');
    await bounded(bigquery.dataset(definition.dataset_id).getMetadata(), {
      ms: limits.connectTimeoutMs,
      signal,
      onTimeout: () =>
        new ProbeFailure(
          'timeout',
          `BigQuery did not return dataset '${definition.dataset_id}' within ${seconds(limits.connectTimeoutMs)}.`,
        ),
    });
  } catch (error) {
    throw classifyBigQueryFailure(error, context);
  }
};

function client(definition: BigQueryDefinition, privateKey: string, apiEndpoint: string | undefined): BigQuery {
  const { credentials, settings } = definition;
  return new BigQuery({
    projectId: definition.project_id,
    authClient: selfSignedJwt(credentials, privateKey),
    ...(apiEndpoint ? { apiEndpoint } : {}),
    ...(settings.location ? { location: settings.location } : {}),
    // Retries back off for up to minutes; the probe must answer within its limits, so one attempt.
    retryOptions: { autoRetry: false, maxRetries: 0 },
    userAgent: 'warehouse-connections',
  });
}

/**
 * The service-account key signs its own short-lived JWT for the BigQuery scope, in memory. There is
 * no OAuth token exchange, so the key file's `token_uri` (caller-supplied, it could point anywhere:
 * an SSRF path) is never followed, and the only host contacted is the BigQuery API. The project id
 * is given, so the library never asks the metadata server either.
 */
function selfSignedJwt(credentials: BigQueryDefinition['credentials'], privateKey: string): JWT {
  const keyId = typeof credentials.private_key_id === 'string' ? credentials.private_key_id : undefined;
  const jwt = new JWT({
    email: credentials.client_email,
    key: privateKey,
    ...(keyId ? { keyId } : {}),
    scopes: [BIGQUERY_SCOPE],
  });
  jwt.useJWTAccessWithScope = true;
  return jwt;
}

function testQuery(definition: BigQueryDefinition) {
  const { settings } = definition;
  return {
    query: 'SELECT 1 AS probe',
    useLegacySql: false,
    // The query scans nothing; the cap is the connection's, as every job it runs must respect it.
    maximumBytesBilled: String(settings.maximum_bytes_billed),
    ...(settings.location ? { location: settings.location } : {}),
    // Short queries need no job record; BigQuery creates one only if it has to.
    jobCreationMode: 'JOB_CREATION_OPTIONAL' as const,
    labels: { source: 'warehouse-connections-test' },
  };
}
