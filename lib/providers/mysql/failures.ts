import type { ProviderDefinition } from '../../schema/connection.js';
import { classifyTransport } from '../transport-failures.js';
import { ProbeFailure, seconds, type FailureCode, type ProbeLimits } from '../verdict.js';
import { grantSelectHint } from './identifiers.js';

type MysqlDefinition = ProviderDefinition<'mysql'>;

export interface FailureContext {
  definition: MysqlDefinition;
  limits: ProbeLimits;
  /** Whether the server accepted the login (a timeout after it is the statement's). */
  connected: boolean;
  /** What a 1044 or 1049 is about: the database of the login, or the schema in dataset_id. */
  checking: 'database' | 'schema';
}

interface DriverError {
  code?: unknown;
  errno?: unknown;
  sqlState?: unknown;
}

/**
 * Maps what `mysql2` and Node report (MySQL/MariaDB error numbers, the driver's own codes, errno
 * codes) to a failure code and a message that names what to fix. The driver's and the server's
 * text is never read: server messages quote names the customer chose, and nothing in it is ours.
 */
export function classifyMysqlFailure(error: unknown, context: FailureContext): ProbeFailure {
  if (error instanceof ProbeFailure) return error;
  const driverError = (typeof error === 'object' && error !== null ? error : {}) as DriverError;
  const code = typeof driverError.code === 'string' ? driverError.code : '';
  const serverError = typeof driverError.errno === 'number' && driverError.errno > 0 && typeof driverError.sqlState === 'string';
  return (
    (serverError ? serverFailure(driverError.errno as number, context, error) : undefined) ??
    driverFailure(code, context, error) ??
    new ProbeFailure('network_error', `Could not complete the test against ${where(context)}.`, { cause: error })
  );
}

const where = (context: FailureContext) => `${context.definition.credentials.host}:${context.definition.credentials.port}`;

/** Errors the server sent (error packets), by number: MySQL's and MariaDB's agree on these. */
function serverFailure(errno: number, context: FailureContext, cause: unknown): ProbeFailure {
  const { definition } = context;
  const { username, database } = definition.credentials;
  const target = context.checking === 'database' ? database : definition.dataset_id;
  const fail = (failure: FailureCode, message: string, hint?: string) =>
    new ProbeFailure(failure, message, hint === undefined ? { cause } : { cause, hint });
  switch (errno) {
    case 1045: // ER_ACCESS_DENIED_ERROR: wrong password or unknown user (the server does not say which)
    case 1698: // ER_ACCESS_DENIED_NO_PASSWORD_ERROR
      return fail('auth_failed', `Authentication failed for user '${username}'. Check the username and password.`);
    case 1130: // ER_HOST_NOT_PRIVILEGED
      return fail('auth_failed', `The server at ${where(context)} has no account that may connect from the service's address.`);
    case 1251: // ER_NOT_SUPPORTED_AUTH_MODE
      return authMethodRefused(context, cause);
    case 1820: // ER_MUST_CHANGE_PASSWORD
    case 1862: // ER_MUST_CHANGE_PASSWORD_LOGIN
      return fail('auth_failed', `The password of user '${username}' has expired. Set a new one, then update the connection.`);
    case 3118: // MySQL ER_ACCOUNT_HAS_BEEN_LOCKED
    case 4151: // MariaDB ER_ACCOUNT_HAS_BEEN_LOCKED
      return fail('auth_failed', `The account of user '${username}' is locked.`);
    case 1044: // ER_DBACCESS_DENIED_ERROR: also what a user without privileges gets for a database that does not exist
      return fail(
        'permission_denied',
        context.checking === 'database'
          ? `Permission denied: user '${username}' may not use database '${database}' (MySQL does not tell such a user whether it exists).`
          : `Permission denied: user '${username}' has no privilege on schema '${target}' (MySQL does not tell such a user whether it exists).`,
        grantSelectHint(target, username),
      );
    case 1142: // ER_TABLEACCESS_DENIED_ERROR
    case 1143: // ER_COLUMNACCESS_DENIED_ERROR
      return fail(
        'permission_denied',
        `Permission denied: user '${username}' lacks a privilege the test needs in '${target}'.`,
        grantSelectHint(target, username),
      );
    case 1049: // ER_BAD_DB_ERROR
      return fail(
        'object_not_found',
        context.checking === 'database'
          ? `Database '${database}' does not exist on ${where(context)}.`
          : `Schema '${target}' does not exist on ${where(context)}.`,
      );
    case 1040: // ER_CON_COUNT_ERROR
    case 1203: // ER_TOO_MANY_USER_CONNECTIONS
    case 1226: // ER_USER_LIMIT_REACHED (max_user_connections, or an hourly limit)
      return fail(
        'warehouse_unavailable',
        `The server at ${where(context)} is not accepting connections for user '${username}' right now (out of connection slots, or the user's connection limit is reached).`,
      );
    case 1053: // ER_SERVER_SHUTDOWN
    case 1077: // ER_NORMAL_SHUTDOWN
    case 1927: // MariaDB ER_CONNECTION_KILLED
      return fail('warehouse_unavailable', `The server at ${where(context)} is shutting down or closed the session.`);
    case 1129: // ER_HOST_IS_BLOCKED
      return fail(
        'warehouse_unavailable',
        `The server at ${where(context)} blocks the service's address after too many failed connections (FLUSH HOSTS, or raise max_connect_errors).`,
      );
    case 1969: // MariaDB ER_STATEMENT_TIMEOUT
    case 3024: // MySQL ER_QUERY_TIMEOUT
      return fail('timeout', `The test query did not finish within ${seconds(context.limits.statementTimeoutMs)}.`);
  }
  return fail('warehouse_error', `The server rejected the test (MySQL error ${errno}).`);
}

/** What the driver or Node reports without the server: timeouts, TLS, the socket, the protocol. */
function driverFailure(code: string, context: FailureContext, cause: unknown): ProbeFailure | undefined {
  const { limits } = context;
  switch (code) {
    case 'PROTOCOL_SEQUENCE_TIMEOUT': // a query's own timeout
      return new ProbeFailure('timeout', `The test query did not finish within ${seconds(limits.statementTimeoutMs)}.`, { cause });
    case 'ETIMEDOUT': // the handshake's connectTimeout (or the kernel's)
      return context.connected
        ? new ProbeFailure('timeout', `The test query did not finish within ${seconds(limits.statementTimeoutMs)}.`, { cause })
        : new ProbeFailure('timeout', `No answer from ${where(context)} within ${seconds(limits.connectTimeoutMs)}.`, { cause });
    case 'HANDSHAKE_NO_SSL_SUPPORT':
      return new ProbeFailure('tls_error', `The server at ${where(context)} does not offer TLS, which ssl_mode requires.`, { cause });
    case 'HANDSHAKE_SSL_ERROR': // mysql2 puts this code on every error of the TLS handshake
      return new ProbeFailure(
        'tls_error',
        `The TLS handshake with ${where(context)} failed. Check the server's SSL settings and certificate, and the ssl_mode and ca_certificate given.`,
        { cause },
      );
    case 'MYSQL_CLEAR_PASSWORD_NOT_ENABLED':
    case 'AUTH_SWITCH_PLUGIN_ERROR':
      return authMethodRefused(context, cause);
    case 'ECONNREFUSED':
      return new ProbeFailure(
        'connection_refused',
        `Connection refused by ${where(context)}. Check the host and port, and that the server accepts TCP connections.`,
        { cause },
      );
    case 'PROTOCOL_CONNECTION_LOST':
      return new ProbeFailure('network_error', `The connection to ${where(context)} was closed unexpectedly.`, { cause });
  }
  if (code.startsWith('PROTOCOL_') || code === 'HANDSHAKE_UNKNOWN_ERROR') {
    return new ProbeFailure('network_error', `The server at ${where(context)} did not answer as a MySQL server does.`, { cause });
  }
  const { host } = context.definition.credentials;
  return classifyTransport(code, { service: 'MySQL server', host, where: where(context) }, limits.connectTimeoutMs, cause);
}

function authMethodRefused(context: FailureContext, cause: unknown): ProbeFailure {
  return new ProbeFailure(
    'auth_failed',
    `The server asked user '${context.definition.credentials.username}' for an authentication method the service does not use ` +
      '(it never sends a password in clear text). Check the username (MariaDB answers an unknown user with any method); ' +
      'if it is right, use an account with mysql_native_password or caching_sha2_password.',
    { cause },
  );
}
