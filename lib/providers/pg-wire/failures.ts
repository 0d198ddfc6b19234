import { ProbeFailure, seconds, type FailureCode, type ProbeLimits } from '../verdict.js';
import { quoteIdentifier } from './identifiers.js';

/** What a wire failure is about: the connection's own non-secret fields. */
export interface WireFailureContext {
  host: string;
  port: number;
  database: string;
  username: string;
  limits: ProbeLimits;
  /** Whether the session was established (a timeout is then the statement's). */
  connected: boolean;
}

interface DriverError {
  code?: string;
  message?: string;
}

/** A provider's own reading of some codes (SQLSTATE or errno); undefined leaves the code to the shared rules. */
export type OwnCodes = (code: string, context: WireFailureContext, cause: unknown) => ProbeFailure | undefined;

/**
 * Maps what `pg` and Node report (SQLSTATE and errno codes) to a failure code and a message that
 * names what to fix, for every server that speaks the PostgreSQL wire protocol. The driver's own
 * text is only matched, never returned. `own` lets a provider read a code its own way first
 * (28000 is pg_hba.conf in PostgreSQL, a refused password in Redshift).
 */
export function classifyWireFailure(error: unknown, context: WireFailureContext, own?: OwnCodes): ProbeFailure {
  if (error instanceof ProbeFailure) return error;
  const { host, port, username, database } = context;
  const where = `${host}:${port}`;
  const driverError = (typeof error === 'object' && error !== null ? error : {}) as DriverError;
  const code = driverError.code ?? '';
  const text = driverError.message ?? '';
  const fail = (failure: FailureCode, message: string) => new ProbeFailure(failure, message, { cause: error });

  const ownFailure = own?.(code, context, error);
  if (ownFailure) return ownFailure;
  switch (code) {
    case '28P01':
      return fail('auth_failed', `Authentication failed for user '${username}'. Check the username and password.`);
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
