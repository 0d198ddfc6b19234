import type { ProviderDefinition } from '../../schema/connection.js';
import { classifyTransport, type Endpoint } from '../transport-failures.js';
import { ProbeFailure, seconds, type FailureCode, type ProbeLimits } from '../verdict.js';
import { qualifiedSchema, quoteIdentifier, useSchemaHint } from './identifiers.js';

export type DatabricksDefinition = ProviderDefinition<'databricks'>;

/** Which step failed: the OAuth token request, the session (OpenSession), `SELECT 1`, or the schema check. */
export type DatabricksStep = 'credentials' | 'session' | 'query' | 'schema';

export interface DatabricksContext {
  definition: DatabricksDefinition;
  limits: ProbeLimits;
  endpoint: Endpoint;
  step: DatabricksStep;
}

/**
 * The shapes @databricks/sql, node-fetch and openid-client give their errors; only codes, statuses
 * and the error class a Databricks message starts with are read, never the text itself.
 */
interface DriverError {
  name?: unknown;
  code?: unknown;
  type?: unknown;
  message?: unknown;
  /** THTTPException: an HTTP status other than 200 on a Thrift call. */
  statusCode?: unknown;
  response?: {
    status?: unknown;
    statusCode?: unknown;
    headers?: unknown;
    sqlState?: unknown;
    errorMessage?: unknown;
    displayMessage?: unknown;
  };
  /** RetryError and OperationStateError. */
  errorCode?: unknown;
  /** RetryError: the last response ({ response }) or the network error. */
  payload?: unknown;
  /** openid-client's OPError: the OAuth error code. */
  error?: unknown;
}

export function databricksEndpoint(definition: DatabricksDefinition): Endpoint {
  const { host } = definition.credentials;
  return {
    service: 'Databricks workspace',
    host,
    where: host,
    unresolvedHint: "Check the workspace host name (the part of the workspace URL after 'https://').",
  };
}

const warehouseId = (definition: DatabricksDefinition) => definition.credentials.http_path.split('/').at(-1)!;
const principalOf = (definition: DatabricksDefinition) =>
  definition.credentials.auth_method === 'oauth_m2m' ? `service principal '${definition.credentials.client_id}'` : 'the access token';

/**
 * Maps what the driver reports to a failure code and a message the service writes. A Databricks
 * message is read only for its error class (`[SCHEMA_NOT_FOUND] ...`: the machine-readable part);
 * the driver's error is not kept as the cause (openid-client's and node-fetch's can hold the
 * request), only its name and code.
 */
export function classifyDatabricksFailure(error: unknown, context: DatabricksContext): ProbeFailure {
  if (error instanceof ProbeFailure) return error;
  const driverError = (typeof error === 'object' && error !== null ? error : {}) as DriverError;
  const cause = { name: typeof driverError.name === 'string' ? driverError.name : 'Error', code: String(driverError.code ?? '') };
  const fail = (code: FailureCode, message: string, hint?: string) =>
    new ProbeFailure(code, message, hint === undefined ? { cause } : { cause, hint });

  // RetryError: the driver gave up on a retryable call (one attempt only): what it last saw decides.
  if (isRetryError(driverError)) {
    const payload = driverError.payload as { response?: unknown } | undefined;
    if (payload && typeof payload === 'object' && 'response' in payload)
      return httpFailure(payload.response as FetchResponse, context, fail);
    return classifyDatabricksFailure(payload, context);
  }
  if (typeof driverError.statusCode === 'number' && driverError.response) {
    return httpFailure(driverError.response as FetchResponse, context, fail);
  }
  if (driverError.name === 'OPError' || driverError.name === 'RPError') return oauthFailure(driverError, context, fail);
  if (isOperationStateError(driverError)) return operationFailure(driverError, context, fail);
  if (driverError.name === 'Status Error') return sqlFailure(errorClassOf(driverError.message), undefined, context, fail);
  const driverStatus = hiveDriverStatus(driverError.message);
  if (driverStatus !== undefined) return httpFailure({ status: driverStatus }, context, fail);
  if (driverError.name === 'AuthenticationError') {
    return fail(
      'warehouse_error',
      `The workspace ${context.endpoint.where} answered the OAuth token request without a usable access token.`,
    );
  }
  if (driverError.name === 'SyntaxError' && context.step === 'credentials') {
    return fail(
      'warehouse_error',
      `The workspace ${context.endpoint.where} answered the OAuth sign-in with something that is not an access token.`,
    );
  }
  return transportFailure(driverError, context, fail);
}

type Fail = (code: FailureCode, message: string, hint?: string) => ProbeFailure;
interface FetchResponse {
  status?: number;
  headers?: { get(name: string): string | null };
}

/**
 * The driver's own template for a call it stopped retrying (hive/Commands/BaseCommand): its status
 * code is all it keeps of the answer. The probe allows no retries, so this is a fallback only.
 */
function hiveDriverStatus(message: unknown): number | undefined {
  const status = typeof message === 'string' ? /^Hive driver: (\d{3}) when connecting to resource\./.exec(message)?.[1] : undefined;
  return status === undefined ? undefined : Number(status);
}

function isRetryError(error: DriverError): boolean {
  return error.errorCode === 'ATTEMPTS_EXCEEDED' || error.errorCode === 'TIMEOUT_EXCEEDED';
}

function isOperationStateError(error: DriverError): boolean {
  return ['CANCELED', 'CLOSED', 'ERROR', 'TIMEOUT', 'UNKNOWN'].includes(String(error.errorCode)) && typeof error.response === 'object';
}

/** `[SCHEMA_NOT_FOUND] The schema ...` → SCHEMA_NOT_FOUND; `[A.B]` → A. Nothing else of the text is read. */
function errorClassOf(message: unknown): string | undefined {
  return typeof message === 'string' ? /^\s*\[([A-Z][A-Z0-9_]*)(?:\.[A-Z0-9_]+)*\]/.exec(message)?.[1] : undefined;
}

/** The code a Databricks error header starts with (`TEMPORARILY_UNAVAILABLE: ...`, `PERMISSION_DENIED: ...`). */
function headerCode(response: FetchResponse, name: string): string | undefined {
  const value = response.headers?.get(name);
  return typeof value === 'string' ? /^\s*\[?([A-Z][A-Z0-9_]*)\]?[:\s]/.exec(value)?.[1] : undefined;
}

function retryAfterSeconds(response: FetchResponse): number | undefined {
  const value = Number(response.headers?.get('retry-after'));
  return Number.isFinite(value) && value > 0 ? Math.ceil(value) : undefined;
}

/** The message for a warehouse that is starting (Databricks starts a stopped one on the first session). */
export function startingMessage(definition: DatabricksDefinition, retryAfter?: number): string {
  const retry = retryAfter === undefined ? 'Retry the test in a minute' : `Retry the test in about ${retryAfter} s`;
  return (
    `SQL warehouse '${warehouseId(definition)}' is starting (or briefly unavailable): the workspace asked the service to come back later. ` +
    `${retry}; a stopped warehouse starts on the first connection and takes a few minutes (serverless: seconds).`
  );
}

/** A Thrift call answered with an HTTP status other than 200 (the driver follows redirects through the pinned agent). */
function httpFailure(response: FetchResponse, context: DatabricksContext, fail: Fail): ProbeFailure {
  const { definition, endpoint } = context;
  const status = typeof response.status === 'number' ? response.status : 0;
  const thriftCode = headerCode(response, 'x-thriftserver-error-message');
  if (status === 503 || status === 502 || status === 504 || thriftCode === 'TEMPORARILY_UNAVAILABLE') {
    return fail('warehouse_unavailable', startingMessage(definition, retryAfterSeconds(response)));
  }
  if (status === 429) {
    return fail(
      'warehouse_unavailable',
      `The workspace ${endpoint.where} is limiting requests right now (HTTP 429). Retry the test later.`,
    );
  }
  if (status === 401 || status === 403) {
    if (thriftCode === 'PERMISSION_DENIED') {
      return fail(
        'permission_denied',
        `The workspace accepted ${principalOf(definition)} but it may not use SQL warehouse '${warehouseId(definition)}' (HTTP ${status}).`,
        `Give ${principalOf(definition)} the CAN USE permission on SQL warehouse '${warehouseId(definition)}' (SQL Warehouses > Permissions).`,
      );
    }
    return definition.credentials.auth_method === 'oauth_m2m'
      ? fail(
          'auth_failed',
          `The workspace ${endpoint.where} refused the OAuth token of service principal '${definition.credentials.client_id}' (HTTP ${status}).`,
        )
      : fail(
          'auth_failed',
          `The workspace ${endpoint.where} refused the personal access token (HTTP ${status}): it is wrong, expired or revoked, or its user may not use this workspace.`,
        );
  }
  if (status === 404) {
    return fail(
      'object_not_found',
      `No SQL warehouse answers at http_path '${definition.credentials.http_path}' on ${endpoint.where} (HTTP 404). Check the warehouse's Connection details.`,
    );
  }
  if (status >= 300 && status < 400) {
    return fail(
      'host_not_allowed',
      `The workspace ${endpoint.where} answered with a redirect (HTTP ${status}) the service does not follow.`,
    );
  }
  if (status >= 500) return fail('warehouse_unavailable', startingMessage(definition, retryAfterSeconds(response)));
  return fail('warehouse_error', `The workspace ${endpoint.where} answered the test with HTTP ${status}.`);
}

/** openid-client: the OIDC discovery or the token request of the OAuth machine-to-machine sign-in. */
function oauthFailure(error: DriverError, context: DatabricksContext, fail: Fail): ProbeFailure {
  const { definition, endpoint } = context;
  if (error.name === 'RPError') {
    // openid-client's own checks; its one timeout is "outgoing request timed out".
    return typeof error.message === 'string' && error.message.startsWith('outgoing request timed out')
      ? fail('timeout', `The OAuth sign-in at ${endpoint.where} did not answer in time.`)
      : fail('warehouse_error', `The workspace ${endpoint.where} answered the OAuth sign-in in a way the service cannot use.`);
  }
  const status = Number(error.response?.statusCode ?? 0);
  const oauthCode = typeof error.error === 'string' && /^[a-z_]+$/.test(error.error) ? error.error : undefined;
  if (oauthCode === 'invalid_client' || oauthCode === 'unauthorized_client' || status === 401) {
    return fail(
      'auth_failed',
      `The workspace ${endpoint.where} refused the OAuth client id or secret of service principal '${definition.credentials.client_id}'. ` +
        'Check client_id and client_secret (an OAuth secret of this service principal, for this account or workspace).',
    );
  }
  if (oauthCode === 'invalid_scope' || oauthCode === 'access_denied' || status === 403) {
    return fail(
      'permission_denied',
      `The workspace ${endpoint.where} signed in service principal '${definition.credentials.client_id}' but refused it a token for its APIs (OAuth ${oauthCode ?? `HTTP ${status}`}).`,
    );
  }
  if (status === 404) {
    return fail('object_not_found', `The workspace ${endpoint.where} has no OAuth endpoint (HTTP 404 at /oidc). Check the host name.`);
  }
  if (status >= 300 && status < 400) {
    return fail(
      'host_not_allowed',
      `The OAuth endpoint of ${endpoint.where} answered with a redirect (HTTP ${status}) the service does not follow.`,
    );
  }
  if (status >= 500)
    return fail('warehouse_unavailable', `The OAuth endpoint of ${endpoint.where} is unavailable right now (HTTP ${status}). Retry later.`);
  return fail(
    'auth_failed',
    `The workspace ${endpoint.where} refused the OAuth sign-in of service principal '${definition.credentials.client_id}'${oauthCode ? ` (${oauthCode})` : ''}.`,
  );
}

/** A statement that ended in a state other than finished (GetOperationStatus). */
function operationFailure(error: DriverError, context: DatabricksContext, fail: Fail): ProbeFailure {
  const response = error.response ?? {};
  switch (error.errorCode) {
    case 'TIMEOUT':
      return fail(
        'timeout',
        `The warehouse cancelled the test statement after ${seconds(context.limits.statementTimeoutMs)} (its query timeout).`,
      );
    case 'CANCELED':
    case 'CLOSED':
      return fail('warehouse_error', 'The warehouse cancelled the test statement. Retry the test.');
  }
  const sqlState = typeof response.sqlState === 'string' && /^[0-9A-Z]{5}$/.test(response.sqlState) ? response.sqlState : undefined;
  return sqlFailure(errorClassOf(response.errorMessage) ?? errorClassOf(response.displayMessage), sqlState, context, fail);
}

/** A statement (or session) the warehouse refused, by Databricks error class, then SQLSTATE. */
function sqlFailure(errorClass: string | undefined, sqlState: string | undefined, context: DatabricksContext, fail: Fail): ProbeFailure {
  const { definition } = context;
  const { catalog } = definition.credentials;
  const schema = definition.dataset_id;
  const principal = definition.credentials.auth_method === 'oauth_m2m' ? (definition.credentials.client_id ?? undefined) : undefined;
  const onSchema = context.step === 'schema';
  switch (errorClass) {
    case 'TEMPORARILY_UNAVAILABLE':
      return fail('warehouse_unavailable', startingMessage(definition));
    case 'SCHEMA_NOT_FOUND':
      return fail(
        'object_not_found',
        `Schema ${qualifiedSchema(catalog, schema)} does not exist, or ${principalOf(definition)} cannot see it. Check catalog and dataset_id.`,
      );
    case 'NO_SUCH_CATALOG_EXCEPTION':
    case 'CATALOG_NOT_FOUND':
      return fail(
        'object_not_found',
        `Catalog ${quoteIdentifier(catalog)} does not exist, or ${principalOf(definition)} cannot see it. Check catalog.`,
      );
    case 'INSUFFICIENT_PERMISSIONS':
    case 'PERMISSION_DENIED':
      return insufficient();
  }
  if (sqlState === '42501') return insufficient();
  if (sqlState === '42704' && onSchema) {
    return fail(
      'object_not_found',
      `Catalog ${quoteIdentifier(catalog)} or schema ${qualifiedSchema(catalog, schema)} does not exist, or ${principalOf(definition)} cannot see it.`,
    );
  }
  const detail = [errorClass, sqlState && `SQLSTATE ${sqlState}`].filter(Boolean).join(', ');
  return fail('warehouse_error', `The warehouse rejected the test${onSchema ? "'s schema check" : ''}${detail ? ` (${detail})` : ''}.`);

  function insufficient(): ProbeFailure {
    return onSchema
      ? fail(
          'permission_denied',
          `Permission denied: ${principalOf(definition)} may not use schema ${qualifiedSchema(catalog, schema)} (it needs USE CATALOG and USE SCHEMA).`,
          useSchemaHint(catalog, schema, principal),
        )
      : fail(
          'permission_denied',
          `Permission denied: ${principalOf(definition)} may not run the test statement on SQL warehouse '${warehouseId(definition)}'.`,
        );
  }
}

/** Node, node-fetch and the pinned agent: the network, TLS, refused destinations, timeouts. */
function transportFailure(error: DriverError, context: DatabricksContext, fail: Fail): ProbeFailure {
  const { endpoint, limits } = context;
  const code = typeof error.code === 'string' ? error.code : '';
  if (code === 'ERR_INVALID_PROTOCOL') {
    return fail(
      'host_not_allowed',
      `Refused a redirect from ${endpoint.where} to plain HTTP: the service only talks HTTPS to the workspace.`,
    );
  }
  if (error.type === 'max-redirect') return fail('host_not_allowed', `The workspace ${endpoint.where} redirected the test in circles.`);
  if (error.type === 'body-timeout' || (error.type === 7 && error.message === 'Request timed out')) {
    return fail(
      'timeout',
      `No answer from ${endpoint.where} (${endpoint.service}) within ${seconds(Math.max(limits.connectTimeoutMs, limits.statementTimeoutMs))}.`,
    );
  }
  const transport = classifyTransport(code, endpoint, limits.connectTimeoutMs, { name: String(error.name ?? 'Error'), code });
  if (transport?.code === 'host_not_allowed' && context.step === 'credentials') {
    return fail(
      'host_not_allowed',
      `The OAuth sign-in at ${endpoint.where} pointed the service at another host (a redirect or a token endpoint elsewhere): the client secret only goes to ${endpoint.where}.`,
    );
  }
  if (transport) return transport;
  // node-fetch's network failures, or an errno; anything else is the driver choking on an answer.
  if (error.type === 'system' || /^E[A-Z0-9]+$/.test(code))
    return fail('network_error', `The exchange with ${endpoint.where} (${endpoint.service}) failed.`);
  return context.step === 'credentials'
    ? fail('warehouse_error', `The workspace ${endpoint.where} answered the OAuth sign-in with something that is not an access token.`)
    : fail('warehouse_error', `The workspace ${endpoint.where} answered the test in a way the service did not expect.`);
}
