import type { ProviderDefinition } from '../../schema/connection.js';
import { ProbeFailure, seconds, type FailureCode, type ProbeLimits } from '../verdict.js';
import { quoteIdentifier } from './identifiers.js';

type PostgresDefinition = ProviderDefinition<'postgres'>;

interface FailureContext {
  definition: PostgresDefinition;
  limits: ProbeLimits;
  connected: boolean;
}

interface DriverError {
  code?: string;
  message?: string;
}

/**
 * Maps what `pg` and Node report (SQLSTATE and errno codes) to a failure code and a message that
 * names what to fix. The driver's own text is only matched, never returned.
 */
export function classifyPostgresFailure(error: unknown, context: FailureContext): ProbeFailure {
  if (error instanceof ProbeFailure) return error;
  const { host, port, username, database } = context.definition.credentials;
  const where = `${host}:${port}`;
  const driverError = (typeof error === 'object' && error !== null ? error : {}) as DriverError;
  const code = driverError.code ?? '';
  const text = driverError.message ?? '';
  const fail = (failure: FailureCode, message: string) => new ProbeFailure(failure, message, { cause: error });

  switch (code) {
    case '28P01':
      return fail('auth_failed', `Authentication failed for user '${username}'. Check the username and password.`);
    case '28000':
      return fail(
        'auth_failed',
        `The server does not accept user '${username}' from this network (pg_hba.conf) or the role may not log in.`,
      );
    case '3D000':
      return fail('object_not_found', `Database '${database}' does not exist on ${where}.`);
    case '42501':
      return new ProbeFailure(
        'permission_denied',
        `Permission denied: user '${username}' lacks a privilege the test needs (CONNECT on database '${database}').`,
        { cause: error, hint: `GRANT CONNECT ON DATABASE ${quoteIdentifier(database)} TO ${quoteIdentifier(username)};` },
      );
    case '53300':
    case '57P03':
      return fail(
        'warehouse_unavailable',
        `The server at ${where} is not accepting connections right now (starting up or out of connection slots).`,
      );
    case '57014':
      return fail('timeout', `The test query did not finish within ${seconds(context.limits.statementTimeoutMs)}.`);
    case 'ECONNREFUSED':
      return fail(
        'connection_refused',
        `Connection refused by ${where}. Check the host and port, and that the server accepts TCP connections.`,
      );
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return fail('host_not_found', `The host '${host}' could not be resolved. Check the hostname.`);
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
      return fail('network_error', `${where} is not reachable from the service's network.`);
    case 'ETIMEDOUT':
      return fail('timeout', `No answer from ${where} within ${seconds(context.limits.connectTimeoutMs)}.`);
    case 'ECONNRESET':
    case 'EPIPE':
      return fail('network_error', `The connection to ${where} was closed unexpectedly.`);
  }
  // Any other server error (SQLSTATE; errno codes start with E): its text may quote names the
  // customer chose, so it is never matched.
  if (/^(?!E)[0-9A-Z]{5}$/.test(code)) return fail('warehouse_error', `The server rejected the test (SQLSTATE ${code}).`);
  if (code.startsWith('ERR_TLS') || code.includes('CERT') || /ssl|tls|certificate/i.test(text)) {
    return fail('tls_error', `The TLS handshake with ${where} failed. Check the server's SSL settings and certificate.`);
  }
  if (/timeout/i.test(text)) {
    const budget = context.connected ? context.limits.statementTimeoutMs : context.limits.connectTimeoutMs;
    const stage = context.connected ? 'The test query' : `Connecting to ${where}`;
    return fail('timeout', `${stage} did not finish within ${seconds(budget)}.`);
  }
  if (/terminated|closed/i.test(text)) return fail('network_error', `The connection to ${where} was closed unexpectedly.`);
  return fail('network_error', `Could not complete the test against ${where}.`);
}
