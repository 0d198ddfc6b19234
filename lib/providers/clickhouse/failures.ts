import type { ProviderDefinition } from '../../schema/connection.js';
import { classifyTransport } from '../transport-failures.js';
import { ProbeFailure, seconds, type FailureCode, type ProbeLimits, type StageName } from '../verdict.js';
import { StepTimeout } from './connection.js';
import { grantSelectHint } from './identifiers.js';

type ClickhouseDefinition = ProviderDefinition<'clickhouse'>;

export interface FailureContext {
  definition: ClickhouseDefinition;
  limits: ProbeLimits;
  /** The stage the test is in: it says what a timeout or an exception is about. */
  stage: StageName;
}

/** What ClickHouse answered to one request, as far as the classifier reads it (never its text). */
export interface Answer {
  status: number;
  /** X-ClickHouse-Exception-Code, or the `Code: N.` an exception's text starts with. */
  exceptionCode: number | undefined;
}

/** Exceptions ClickHouse raises while it authenticates the request, before anything else runs. */
const AUTHENTICATION_CODES = new Set([
  192, // UNKNOWN_USER (older servers; now 516)
  193, // WRONG_PASSWORD (older servers; now 516)
  194, // REQUIRED_PASSWORD
  195, // IP_ADDRESS_NOT_ALLOWED
  516, // AUTHENTICATION_FAILED
]);

export function isAuthenticationCode(code: number): boolean {
  return AUTHENTICATION_CODES.has(code);
}

/**
 * A ClickHouse Cloud service host. An idle Cloud service wakes when a connection arrives and holds
 * it until it runs (about 30 s, sometimes minutes), longer than a test waits: no answer from such a
 * host is a service that is starting, not a failure of the credentials.
 */
export function isClickhouseCloud(host: string): boolean {
  return /\.clickhouse\.cloud\.?$/i.test(host);
}

const where = (context: FailureContext) => `${context.definition.credentials.host}:${context.definition.credentials.port}`;

/** A service that is waking up: not a failure of the credentials, and the test itself woke it. */
function starting(context: FailureContext, what: string, certainly: boolean): ProbeFailure {
  const service = certainly ? 'ClickHouse Cloud service' : 'ClickHouse server';
  return new ProbeFailure(
    'warehouse_unavailable',
    `The ${service} at ${where(context)} ${what}: it is ${certainly ? 'starting' : 'starting or overloaded'} ` +
      '(an idle ClickHouse Cloud service wakes up when a connection arrives, which takes about 30 s or more). Test again in a minute.',
  );
}

/**
 * Maps what the probe saw (ClickHouse's exception codes and HTTP statuses, Node's error codes,
 * its own step timeouts) to a failure code and a message that names what to fix. ClickHouse's
 * exception text is never read: it quotes names the customer chose, and nothing in it is ours.
 */
export function classifyClickhouseFailure(error: unknown, context: FailureContext): ProbeFailure {
  if (error instanceof ProbeFailure) return error;
  if (error instanceof StepTimeout) return stepTimeout(context);
  const code = (error as { code?: unknown } | null)?.code;
  const nodeCode = typeof code === 'string' ? code : '';
  if (nodeCode.startsWith('HPE_')) {
    return new ProbeFailure(
      'network_error',
      `The server at ${where(context)} did not answer as an HTTP server does. Check the port: ClickHouse's HTTP interface is 8123, or 8443 with TLS (9000 and 9440 are its native protocol, which the service does not speak).`,
      { cause: error },
    );
  }
  if (nodeCode === 'ECONNRESET' && context.definition.credentials.ssl_mode === 'disable' && context.stage === 'authenticate') {
    return new ProbeFailure(
      'network_error',
      `The server at ${where(context)} closed the connection before it answered. If that port expects TLS (8443), set ssl_mode.`,
      { cause: error },
    );
  }
  const { host } = context.definition.credentials;
  return (
    classifyTransport(nodeCode, { service: 'ClickHouse server', host, where: where(context) }, context.limits.connectTimeoutMs, error) ??
    new ProbeFailure('network_error', `Could not complete the test against ${where(context)}.`, { cause: error })
  );
}

function stepTimeout(context: FailureContext): ProbeFailure {
  const { limits, definition } = context;
  const cloud = isClickhouseCloud(definition.credentials.host);
  switch (context.stage) {
    case 'connect':
      return new ProbeFailure('timeout', `No answer from ${where(context)} within ${seconds(limits.connectTimeoutMs)}.`);
    case 'tls':
      return cloud
        ? starting(context, `accepted the connection but did not finish the TLS handshake within ${seconds(limits.connectTimeoutMs)}`, true)
        : new ProbeFailure(
            'timeout',
            `The TLS handshake with ${where(context)} did not finish within ${seconds(limits.connectTimeoutMs)}.`,
          );
    case 'schema_access':
      return new ProbeFailure(
        'timeout',
        `ClickHouse did not say within ${seconds(limits.statementTimeoutMs)} whether database '${definition.dataset_id}' exists.`,
      );
    default:
      return cloud
        ? starting(context, `did not answer the test query within ${seconds(limits.statementTimeoutMs)}`, true)
        : new ProbeFailure('timeout', `The test query did not finish within ${seconds(limits.statementTimeoutMs)}.`);
  }
}

/** An answer that is not the one the test expects: a ClickHouse exception, or an HTTP status from something else. */
export function answerFailure(answer: Answer, context: FailureContext): ProbeFailure {
  if (answer.exceptionCode !== undefined) return exceptionFailure(answer.exceptionCode, context);
  const { status } = answer;
  if (status >= 300 && status < 400) {
    return new ProbeFailure(
      'host_not_allowed',
      `The server at ${where(context)} answered with a redirect (HTTP ${status}). The service follows no redirect: it only connects to the host and port given.`,
    );
  }
  if (status === 401) {
    return new ProbeFailure(
      'auth_failed',
      `The server at ${where(context)} refused the credentials of user '${context.definition.credentials.username}' (HTTP 401). Check the username and password.`,
    );
  }
  if (status === 502 || status === 503 || status === 504) return starting(context, `is not ready (HTTP ${status})`, false);
  if (status === 429) {
    return new ProbeFailure('warehouse_unavailable', `The server at ${where(context)} is not taking more requests right now (HTTP 429).`);
  }
  if (status === 200) {
    return new ProbeFailure(
      'warehouse_error',
      `The server at ${where(context)} answered the test with something other than ClickHouse's answer. Check that host and port are ClickHouse's HTTP interface.`,
    );
  }
  return new ProbeFailure(
    'warehouse_error',
    `The server at ${where(context)} answered HTTP ${status} without a ClickHouse exception. Check that host and port are ClickHouse's HTTP interface (8123, or 8443 with TLS).`,
  );
}

/** ClickHouse's exception codes (src/Common/ErrorCodes.cpp), by number. */
function exceptionFailure(code: number, context: FailureContext): ProbeFailure {
  const { definition } = context;
  const { username } = definition.credentials;
  const database = definition.dataset_id;
  const schemaStage = context.stage === 'schema_access';
  const fail = (failure: FailureCode, message: string, hint?: string) =>
    new ProbeFailure(failure, message, hint === undefined ? undefined : { hint });
  switch (code) {
    case 192: // UNKNOWN_USER
    case 193: // WRONG_PASSWORD
    case 194: // REQUIRED_PASSWORD
    case 516: // AUTHENTICATION_FAILED: wrong password or unknown user (the server does not say which)
      return fail('auth_failed', `Authentication failed for user '${username}'. Check the username and password.`);
    case 195: // IP_ADDRESS_NOT_ALLOWED
      return fail(
        'auth_failed',
        `User '${username}' may not connect from the service's address (the user's HOST restriction on ${where(context)}).`,
      );
    case 81: // UNKNOWN_DATABASE
      return fail(
        'object_not_found',
        schemaStage
          ? `Database '${database}' does not exist on ${where(context)}.`
          : `The default database of user '${username}' does not exist on ${where(context)}.`,
      );
    case 497: // ACCESS_DENIED
      return schemaStage
        ? fail(
            'permission_denied',
            `Permission denied: user '${username}' holds no privilege on database '${database}' (ClickHouse does not tell such a user whether it exists).`,
            grantSelectHint(database, username),
          )
        : fail('permission_denied', `Permission denied: user '${username}' may not run the test query (SELECT 1).`);
    case 159: // TIMEOUT_EXCEEDED: max_execution_time of the server or the user's settings profile
      return fail('timeout', `ClickHouse stopped the test query at a time limit of the server or of user '${username}'s settings profile.`);
    case 209: // SOCKET_TIMEOUT
      return fail('timeout', `ClickHouse at ${where(context)} timed out reading or writing the connection.`);
    case 201: // QUOTA_EXCEEDED
      return fail(
        'warehouse_unavailable',
        `User '${username}' has used up a quota on ${where(context)}; the test can run once the quota's interval ends.`,
      );
    case 202: // TOO_MANY_SIMULTANEOUS_QUERIES
    case 203: // NO_FREE_CONNECTION
    case 241: // MEMORY_LIMIT_EXCEEDED
    case 439: // CANNOT_SCHEDULE_TASK
      return fail(
        'warehouse_unavailable',
        `ClickHouse at ${where(context)} is too busy to run the test right now (exception code ${code}).`,
      );
  }
  return fail('warehouse_error', `ClickHouse refused the test (exception code ${code}).`);
}
