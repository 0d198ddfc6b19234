import type { ProviderDefinition } from '../../schema/connection.js';
import { DESTINATION_REFUSED } from '../pinned-agent.js';
import { classifyTransport, type Endpoint } from '../transport-failures.js';
import { ProbeFailure, seconds, type FailureCode, type ProbeLimits } from '../verdict.js';
import { trinoOrigin } from './agents.js';
import { grantSchemaHint, qualifiedSchema } from './identifiers.js';

type TrinoDefinition = ProviderDefinition<'trino'>;

export interface TrinoContext {
  definition: TrinoDefinition;
  limits: ProbeLimits;
  endpoint: Endpoint;
  /** What was running: the first request (connect, TLS, sign-in), `SELECT 1`, or the schema check. */
  step: 'login' | 'query' | 'schema';
}

/** The `error` of a FAILED query (Trino's QueryError): only its name and type are read, never its message. */
export interface TrinoQueryError {
  errorName?: unknown;
  errorType?: unknown;
}

/** A query that Trino ran and reported FAILED. */
export class TrinoQueryFailure extends Error {
  override name = 'TrinoQueryFailure';
  readonly errorName: string;
  readonly errorType: string;
  constructor(error: TrinoQueryError) {
    super('The query failed');
    // Names are Trino's enum constants (StandardErrorCode, connectors' codes); anything else is not named.
    this.errorName = typeof error.errorName === 'string' && /^[A-Z][A-Z0-9_]{0,79}$/.test(error.errorName) ? error.errorName : '';
    this.errorType = typeof error.errorType === 'string' ? error.errorType : '';
  }
}

/** What axios reports; its config and request (which carry the password) are never kept. */
interface HttpError {
  code?: unknown;
  response?: { status?: unknown; headers?: Record<string, unknown> };
}

export function trinoEndpoint(definition: TrinoDefinition): Endpoint {
  const { host, port } = definition.credentials;
  return { service: 'Trino', host, where: `${host}:${port}` };
}

/**
 * Maps what trino-client (axios) and the Trino server report to a failure code and a message the
 * service writes. Trino's own text is never passed on (it quotes names and, for some connectors,
 * remote systems' messages); its error names are, when they look like one.
 */
export function classifyTrinoFailure(error: unknown, context: TrinoContext): ProbeFailure {
  if (error instanceof ProbeFailure) return error;
  if (error instanceof TrinoQueryFailure) return queryFailure(error, context);
  const httpError = (typeof error === 'object' && error !== null ? error : {}) as HttpError;
  const code = typeof httpError.code === 'string' ? httpError.code : '';
  const status = typeof httpError.response?.status === 'number' ? httpError.response.status : 0;
  const cause = { name: 'TrinoRequestError', code, ...(status ? { status } : {}) };
  if (status) return statusFailure(status, httpError.response?.headers ?? {}, context, cause);
  return transportFailure(code, context, cause);
}

function statusFailure(status: number, headers: Record<string, unknown>, context: TrinoContext, cause: object): ProbeFailure {
  const { definition, endpoint } = context;
  const { username, password } = definition.credentials;
  const fail = (failure: FailureCode, message: string) => new ProbeFailure(failure, message, { cause });
  if (status >= 300 && status < 400) {
    return leadsElsewhere(headers.location, context)
      ? fail('host_not_allowed', sentElsewhere(context))
      : fail(
          'warehouse_error',
          `The server at ${endpoint.where} answered with a redirect (HTTP ${status}); the service follows none. Give the host and port that serve Trino's API.`,
        );
  }
  switch (status) {
    case 401:
      return password === undefined
        ? fail('auth_failed', `The Trino server at ${endpoint.where} requires authentication: give the password of user '${username}'.`)
        : fail('auth_failed', `Authentication failed for user '${username}'. Check the username and password.`);
    case 403:
      return fail('permission_denied', `The server at ${endpoint.where} refused the requests of user '${username}' (HTTP 403).`);
    case 404:
    case 405:
      return fail(
        'warehouse_error',
        `The server at ${endpoint.where} has no Trino statement API (HTTP ${status} for /v1/statement). Check the host and port of the coordinator.`,
      );
    case 429:
      return fail('warehouse_unavailable', `The server at ${endpoint.where} is limiting requests (HTTP 429). Try again later.`);
    case 502:
    case 504:
      return fail(
        'warehouse_unavailable',
        `The proxy at ${endpoint.where} could not reach the Trino coordinator (HTTP ${status}). It may be stopped or starting.`,
      );
    case 503:
      return fail(
        'warehouse_unavailable',
        `The Trino server at ${endpoint.where} is starting or not accepting queries yet (HTTP 503). Try again once it is up.`,
      );
  }
  return fail('warehouse_error', `The server at ${endpoint.where} answered the test with HTTP ${status}.`);
}

function transportFailure(code: string, context: TrinoContext, cause: object): ProbeFailure {
  const { endpoint, limits } = context;
  switch (code) {
    case DESTINATION_REFUSED:
      return new ProbeFailure('host_not_allowed', sentElsewhere(context), { cause });
    case 'ERR_BAD_RESPONSE': // axios: the body exceeded maxContentLength, or could not be decoded
    case 'ERR_BAD_REQUEST': // axios: a nextUri of a protocol it does not speak
      return new ProbeFailure('warehouse_error', `The server at ${endpoint.where} did not answer as a Trino server does.`, { cause });
    case 'ECONNABORTED':
    case 'ETIMEDOUT':
      return new ProbeFailure('timeout', `No answer from ${endpoint.where} (Trino) within ${seconds(requestTimeoutMs(limits))}.`, {
        cause,
      });
  }
  if (code.startsWith('HPE_')) {
    // Node's HTTP parser: what answered does not speak HTTP (or speaks TLS to a plain request).
    return new ProbeFailure(
      'network_error',
      `The server at ${endpoint.where} did not answer in HTTP${context.definition.credentials.ssl_mode === 'disable' ? ' (does it expect HTTPS?)' : ''}.`,
      { cause },
    );
  }
  return (
    classifyTransport(code, endpoint, limits.connectTimeoutMs, cause) ??
    new ProbeFailure('network_error', `The exchange with ${endpoint.where} (Trino) failed.`, { cause })
  );
}

/** Every request of a test is bounded by the longer of the two limits (trino-client's axios timeout). */
export function requestTimeoutMs(limits: ProbeLimits): number {
  return Math.max(limits.connectTimeoutMs, limits.statementTimeoutMs);
}

function sentElsewhere(context: TrinoContext): string {
  const { endpoint } = context;
  return (
    `The server at ${endpoint.where} sent the service to another address (a redirect, or a nextUri on another host, port or scheme); ` +
    `the service only connects to ${endpoint.where}. If Trino is behind a proxy, check that it forwards the original host, port ` +
    'and scheme (Trino builds nextUri from them: http-server.process-forwarded).'
  );
}

/** Whether a redirect's Location leaves the connection's origin (it is compared, never repeated). */
function leadsElsewhere(location: unknown, context: TrinoContext): boolean {
  if (typeof location !== 'string') return false;
  const base = trinoOrigin(context.definition.credentials);
  try {
    return new URL(location, base).origin !== new URL(base).origin;
  } catch {
    return true;
  }
}

function queryFailure(error: TrinoQueryFailure, context: TrinoContext): ProbeFailure {
  const { definition, endpoint, limits } = context;
  const { username, catalog } = definition.credentials;
  const schema = definition.dataset_id;
  const cause = { name: error.name, errorName: error.errorName, errorType: error.errorType };
  const fail = (failure: FailureCode, message: string, hint?: string) =>
    new ProbeFailure(failure, message, hint === undefined ? { cause } : { cause, hint });
  switch (error.errorName) {
    case 'PERMISSION_DENIED':
    case 'ACCESS_DENIED':
      return context.step === 'schema'
        ? fail(
            'permission_denied',
            `Permission denied: user '${username}' may not list the tables of schema ${qualifiedSchema(catalog, schema)} ` +
              "(Trino's access control does not tell such a user whether it exists). Grant it with GRANT, or with a rule of the " +
              "cluster's access control (file-based rules, Ranger, OPA).",
            grantSchemaHint(catalog, schema, username),
          )
        : fail('permission_denied', `Permission denied: Trino's access control does not let user '${username}' run queries.`);
    case 'CATALOG_NOT_FOUND':
    case 'MISSING_CATALOG_NAME':
      return fail('object_not_found', `Catalog '${catalog}' does not exist on the Trino server at ${endpoint.where}.`);
    case 'SCHEMA_NOT_FOUND':
      return fail(
        'object_not_found',
        `Schema '${schema}' does not exist in catalog '${catalog}' on the Trino server at ${endpoint.where}.`,
      );
    case 'SERVER_STARTING_UP':
      return fail('warehouse_unavailable', `The Trino server at ${endpoint.where} is still starting. Try again once it has started.`);
    case 'SERVER_SHUTTING_DOWN':
      return fail('warehouse_unavailable', `The Trino server at ${endpoint.where} is shutting down.`);
    case 'NO_NODES_AVAILABLE':
      return fail(
        'warehouse_unavailable',
        `The Trino cluster at ${endpoint.where} has no worker nodes available (it may be starting or scaling up). Try again shortly.`,
      );
    case 'QUERY_QUEUE_FULL':
    case 'QUERY_REJECTED':
      return fail(
        'warehouse_unavailable',
        `The Trino server at ${endpoint.where} did not admit the test query (its queues are full, or its resource groups do not admit user '${username}').`,
      );
    case 'EXCEEDED_TIME_LIMIT':
      return fail('timeout', `The test query did not finish within ${seconds(limits.statementTimeoutMs)} (Trino stopped it).`);
  }
  if (error.errorType === 'INSUFFICIENT_RESOURCES') {
    return fail('warehouse_unavailable', `The Trino cluster at ${endpoint.where} has not enough resources for the test query right now.`);
  }
  const what = context.step === 'schema' ? 'the schema check' : 'the test query';
  return fail('warehouse_error', `The Trino server at ${endpoint.where} failed ${what}${error.errorName ? ` (${error.errorName})` : ''}.`);
}
