import type { ProviderDefinition } from '../../schema/connection.js';
import { classifyTransport, isTlsCode, type Endpoint } from '../transport-failures.js';
import { ProbeFailure, seconds, type FailureCode, type ProbeLimits } from '../verdict.js';

type SnowflakeDefinition = ProviderDefinition<'snowflake'>;

export interface SnowflakeContext {
  definition: SnowflakeDefinition;
  limits: ProbeLimits;
  endpoint: Endpoint;
  stage: 'login' | 'query';
}

export interface SessionRow {
  ROLE_NAME?: string | null;
  WAREHOUSE_NAME?: string | null;
  DATABASE_NAME?: string | null;
  SCHEMA_NAME?: string | null;
}

/** The shape of snowflake-sdk errors (lib/errors.js); only codes and statuses are read. */
interface DriverError {
  name?: string;
  code?: string | number;
  cause?: { code?: string; name?: string };
  response?: { statusCode?: number };
}

/**
 * The host snowflake-sdk derives from an account identifier (its util.constructHostname): the
 * region and cloud of a legacy locator become part of the host, China regions are served from
 * snowflakecomputing.cn, and us-west-2 (the first region) has no region in the host. The probe
 * hands this host to the driver, so messages, the pinned agent and the driver agree.
 */
export function snowflakeHost(account: string): string {
  const [locator = '', ...rest] = account.toLowerCase().split('.');
  const region = rest.join('.');
  const domain = region.startsWith('cn-') ? 'snowflakecomputing.cn' : 'snowflakecomputing.com';
  return region === '' || region === 'us-west-2' ? `${locator}.${domain}` : `${locator}.${region}.${domain}`;
}

/** Where the driver sends the account's requests: its host, or the access URL the deployment set. */
export function snowflakeAccessUrl(account: string, accessUrl: string | undefined): string {
  return accessUrl ?? `https://${snowflakeHost(account)}`;
}

export function snowflakeEndpoint(account: string, accessUrl: string | undefined): Endpoint {
  const service = `Snowflake account '${account}'`;
  if (accessUrl) {
    const url = new URL(accessUrl);
    return { service, host: url.hostname, where: url.host };
  }
  const host = snowflakeHost(account);
  return {
    service,
    host,
    where: host,
    unresolvedHint: 'Check the account identifier (orgname-accountname, or the locator with its region).',
  };
}

/**
 * Unquoted identifiers resolve upper-cased in Snowflake, quoted ones exactly; the session reports
 * the resolved name.
 */
function sameIdentifier(resolved: string | null | undefined, requested: string): boolean {
  if (typeof resolved !== 'string' || resolved === '') return false;
  const quoted = /^"(.*)"$/.exec(requested);
  return quoted ? resolved === quoted[1]!.replace(/""/g, '"') : resolved.toUpperCase() === requested.toUpperCase();
}

/**
 * Snowflake does not tell a missing object from one the role may not use ("does not exist or not
 * authorized"), so neither can the message.
 */
export function checkSnowflakeSession(definition: SnowflakeDefinition, row: SessionRow | undefined): void {
  const { warehouse, database, role } = definition.credentials;
  const schema = definition.dataset_id;
  const roleName = row?.ROLE_NAME || role || 'the default role';
  const grantee = row?.ROLE_NAME || role || '<role>';
  const unusable = (what: string, grant: string) =>
    new ProbeFailure(
      'object_not_found',
      `${what} does not exist, or role '${roleName}' is not allowed to use it. Check the name and grant USAGE to the role.`,
      { hint: `GRANT USAGE ON ${grant} TO ROLE ${grantee};` },
    );
  if (!row) throw new ProbeFailure('warehouse_error', 'Snowflake answered the test query without a result.');
  if (!sameIdentifier(row.WAREHOUSE_NAME, warehouse)) throw unusable(`Warehouse '${warehouse}'`, `WAREHOUSE ${warehouse}`);
  if (!sameIdentifier(row.DATABASE_NAME, database)) throw unusable(`Database '${database}'`, `DATABASE ${database}`);
  if (!sameIdentifier(row.SCHEMA_NAME, schema))
    throw unusable(`Schema '${schema}' in database '${database}'`, `SCHEMA ${database}.${schema}`);
}

/**
 * Maps what snowflake-sdk reports to a failure code and a message that names what to fix. Snowflake
 * puts a numeric code on every refusal; its text is never returned, and the driver's error is not
 * kept as the cause either (it can hold the login request): only its name and code are.
 */
export function classifySnowflakeFailure(error: unknown, context: SnowflakeContext): ProbeFailure {
  if (error instanceof ProbeFailure) return error;
  const driverError = (typeof error === 'object' && error !== null ? error : {}) as DriverError;
  const code = driverError.code === undefined ? '' : String(driverError.code);
  const cause = { name: driverError.name ?? 'Error', code };
  const fail = (failure: FailureCode, message: string) => new ProbeFailure(failure, message, { cause });

  switch (driverError.name) {
    case 'NetworkError': {
      // The driver's per-request timeout is the longer of the two limits (see connectionOptions).
      const requestTimeoutMs = Math.max(context.limits.connectTimeoutMs, context.limits.statementTimeoutMs);
      const transport = classifyTransport(driverError.cause?.code ?? '', context.endpoint, requestTimeoutMs, cause);
      return transport ?? fail('network_error', `The exchange with ${context.endpoint.where} (${context.endpoint.service}) failed.`);
    }
    case 'RequestFailedError':
      return classifyStatus(driverError.response?.statusCode ?? 0, context, fail);
    case 'OperationFailedError':
      return classifyServerCode(code.padStart(6, '0'), context, fail);
    case 'OCSPError':
    case 'CRLError':
      return fail('tls_error', `The certificate of ${context.endpoint.where} failed the revocation check (OCSP/CRL).`);
    case 'InvalidParameterError':
    case 'MissingParameterError':
      return fail('invalid_credentials', `The Snowflake driver rejected the connection settings (driver error ${code}).`);
  }
  if (isTlsCode(driverError.cause?.code ?? '')) return fail('tls_error', `The TLS handshake with ${context.endpoint.where} failed.`);
  return fail('warehouse_error', `The Snowflake connection test failed unexpectedly${code ? ` (driver error ${code})` : ''}.`);
}

function classifyStatus(
  status: number,
  context: SnowflakeContext,
  fail: (code: FailureCode, message: string) => ProbeFailure,
): ProbeFailure {
  const { where } = context.endpoint;
  if (status === 403) {
    return fail(
      'permission_denied',
      `Snowflake refused the request from this service's network (HTTP 403). Check network policies and private connectivity for account '${context.definition.credentials.account}'.`,
    );
  }
  if (status >= 300 && status < 400) {
    return fail(
      'host_not_allowed',
      `Snowflake at ${where} answered with a redirect (HTTP ${status}), which the service does not follow: it only talks to the account's own host.`,
    );
  }
  if (status === 404) return fail('object_not_found', `No Snowflake account answers at ${where} (HTTP 404). Check the account identifier.`);
  if (status === 408 || status === 429 || status >= 500) {
    return fail('warehouse_unavailable', `Snowflake at ${where} is unavailable right now (HTTP ${status}). Retry later.`);
  }
  return fail('warehouse_error', `Snowflake at ${where} answered with HTTP ${status}.`);
}

/** Snowflake's own codes: 39xxxx are login and session errors, the rest SQL errors. */
function classifyServerCode(
  code: string,
  context: SnowflakeContext,
  fail: (code: FailureCode, message: string) => ProbeFailure,
): ProbeFailure {
  const { username, account, role, warehouse, database } = context.definition.credentials;
  const schema = context.definition.dataset_id;
  switch (code) {
    case '390100':
      return fail('auth_failed', `Incorrect username or password for user '${username}' in account '${account}'.`);
    case '390144':
      return fail(
        'auth_failed',
        `Snowflake rejected the key-pair login of user '${username}'. Check that the user's RSA_PUBLIC_KEY matches private_key and that the account is '${account}'.`,
      );
    case '390189':
      return fail(
        'permission_denied',
        `Role '${role ?? 'requested'}' is not granted to user '${username}'. Grant the role or choose another one.`,
      );
    case '390422':
      return fail(
        'permission_denied',
        `A Snowflake network policy of account '${account}' does not allow connections from this service's IP address.`,
      );
    case '390104':
    case '390111':
    case '390112':
    case '390114':
      return fail('warehouse_error', 'Snowflake ended the session during the test. Retry the test.');
    case '000606':
      return fail(
        'object_not_found',
        `Warehouse '${warehouse}' is not usable in this session (none is active). Check the name and the role's USAGE grant.`,
      );
    case '000630':
      return fail('timeout', `Snowflake cancelled the test query after ${seconds(context.limits.statementTimeoutMs)} (statement timeout).`);
    case '002003':
    case '002043':
      return fail(
        'object_not_found',
        `Database '${database}', schema '${schema}' or warehouse '${warehouse}' does not exist, or the role is not allowed to use it.`,
      );
    case '003001':
      return fail('permission_denied', `The role lacks a privilege the test needs on database '${database}' or schema '${schema}'.`);
  }
  if (context.stage === 'login' && code.startsWith('390')) {
    return fail(
      'auth_failed',
      `Snowflake refused the login of user '${username}' (error ${code}). The user may be locked, disabled or not allowed to use this authentication method.`,
    );
  }
  return fail('warehouse_error', `Snowflake rejected the test (error ${code}).`);
}
