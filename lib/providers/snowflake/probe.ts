import type snowflake from 'snowflake-sdk';
import type { ProviderDefinition } from '../../schema/connection.js';
import { bounded } from '../bounded.js';
import { destinationOf } from '../pinned-agent.js';
import type { Probe } from '../probe.js';
import { rsaPrivateKeyPem } from '../rsa-key.js';
import { loadSnowflakeDriver, type IsolatedConnection } from './driver.js';
import {
  checkSnowflakeSession,
  classifySnowflakeFailure,
  snowflakeAccessUrl,
  snowflakeEndpoint,
  snowflakeHost,
  type SessionRow,
  type SnowflakeContext,
} from './failures.js';
import { ProbeFailure, seconds, type ProbeLimits } from '../verdict.js';

type SnowflakeDefinition = ProviderDefinition<'snowflake'>;

/**
 * Context functions run in Snowflake's cloud services, so this answers without resuming (and
 * billing) the warehouse. A warehouse, database or schema named at login that does not exist or
 * that the role may not use is not a login error: Snowflake leaves it unset in the session, and
 * the NULL here is how the probe finds out.
 */
const SESSION_QUERY =
  'SELECT CURRENT_ROLE() AS ROLE_NAME, CURRENT_WAREHOUSE() AS WAREHOUSE_NAME, CURRENT_DATABASE() AS DATABASE_NAME, CURRENT_SCHEMA() AS SCHEMA_NAME';

/**
 * Logs in with snowflake-sdk (password or key pair), then reads the session's role, warehouse,
 * database and schema to check that each named object is usable by the role.
 */
export const probeSnowflake: Probe = async (definition, limits, signal, stages) => {
  if (definition.provider !== 'snowflake') throw new Error('probeSnowflake needs a snowflake connection');
  const context: SnowflakeContext = {
    definition,
    limits,
    endpoint: snowflakeEndpoint(definition.credentials.account, limits.snowflakeAccessUrl),
    stage: 'login',
  };
  let session: DriverSession | undefined;
  const close = () => void session?.close();
  signal.addEventListener('abort', close, { once: true });
  try {
    stages.begin('sign_in');
    const authentication = await authenticationOf(definition.credentials, signal);
    signal.throwIfAborted(); // the deadline may have passed while the key was opened
    const driver = await loadSnowflakeDriver();
    const accessUrl = snowflakeAccessUrl(definition.credentials.account, limits.snowflakeAccessUrl);
    session = new DriverSession(driver.connect(connectionOptions(definition, limits, accessUrl, authentication), destinationOf(accessUrl)));
    await bounded(session.run(connect(session.connection)), {
      ms: limits.connectTimeoutMs,
      signal,
      onTimeout: () =>
        new ProbeFailure(
          'timeout',
          `Logging in to Snowflake at ${context.endpoint.where} did not finish within ${seconds(limits.connectTimeoutMs)}.`,
        ),
    });
    context.stage = 'query';
    stages.begin('query');
    const row = await bounded(session.run(firstRow(session.connection, SESSION_QUERY, limits.statementTimeoutMs)), {
      ms: limits.statementTimeoutMs,
      signal,
      onTimeout: () => new ProbeFailure('timeout', `The test query did not finish within ${seconds(limits.statementTimeoutMs)}.`),
    });
    stages.begin('schema_access');
    checkSnowflakeSession(definition, row);
  } catch (error) {
    throw classifySnowflakeFailure(error, context);
  } finally {
    signal.removeEventListener('abort', close);
    if (session) await logOut(session, limits, signal);
  }
};

/**
 * Waits a bounded time for the logout, so the session does not linger on the server. When the probe
 * stopped waiting for a login or statement, the logout queues behind it, and the verdict does not
 * wait for that.
 */
async function logOut(session: DriverSession, limits: ProbeLimits, signal: AbortSignal): Promise<void> {
  const closing = session.close();
  if (session.busy) return;
  const waitMs = limits.connectTimeoutMs;
  await bounded(closing, {
    ms: waitMs,
    signal,
    onTimeout: () => new ProbeFailure('timeout', `Logging out did not finish within ${seconds(waitMs)}.`),
  }).catch(() => undefined);
}

/**
 * The connection and the driver call in flight. Closing waits for that call to settle before it
 * destroys the connection: destroying closes the sockets, and a statement whose socket is cut is
 * re-sent by the driver's retry middleware (up to 1000 times, which no option lowers). A call we
 * stopped waiting for still ends within the driver's request timeout, or with the server's answer.
 */
class DriverSession {
  busy = false;
  private pending: Promise<unknown> = Promise.resolve();
  private closing: Promise<void> | undefined;

  readonly connection: snowflake.Connection;

  constructor(private readonly isolated: IsolatedConnection) {
    this.connection = isolated.connection;
  }

  run<T>(work: Promise<T>): Promise<T> {
    this.busy = true;
    this.pending = work.then(
      () => (this.busy = false),
      () => (this.busy = false),
    );
    return work;
  }

  /** Logs the session out and closes the driver's sockets, once; its own errors do not matter. */
  close(): Promise<void> {
    this.closing ??= this.pending
      .then(
        () =>
          new Promise<void>((resolve) => {
            try {
              this.connection.destroy(() => resolve());
            } catch {
              resolve();
            }
          }),
      )
      .finally(() => this.isolated.releaseSockets());
    return this.closing;
  }
}

function connectionOptions(
  definition: SnowflakeDefinition,
  limits: ProbeLimits,
  accessUrl: string,
  authentication: Authentication,
): snowflake.ConnectionOptions {
  const { credentials } = definition;
  return {
    account: credentials.account,
    // Both given, so the driver derives neither: the host is ours (snowflakeHost), the same one
    // the messages name and the agent is pinned to; the access URL differs only in the tests.
    host: snowflakeHost(credentials.account),
    accessUrl,
    username: credentials.username,
    ...authentication,
    warehouse: credentials.warehouse,
    database: credentials.database,
    // dataset_id is the schema the service reads (it defaults to credentials.schema), so that is
    // the one the session must be able to use.
    schema: definition.dataset_id,
    ...(credentials.role ? { role: credentials.role } : {}),
    application: 'warehouse_connections',
    // Per HTTP request. Our own limits bound each step; this keeps a request we stopped waiting
    // for from holding a socket much longer than the slower of the two steps.
    timeout: Math.max(limits.connectTimeoutMs, limits.statementTimeoutMs),
    // The login loop retries for retryTimeout (which the driver clamps to at least 300 s), up to
    // sfRetryMaxLoginRetries times. No retries: one attempt, answered within the limits.
    sfRetryMaxLoginRetries: 0,
    clientSessionKeepAlive: false,
    clientStoreTemporaryCredential: false,
    clientRequestMFAToken: false,
    disableQueryContextCache: true,
  };
}

type Authentication = Pick<snowflake.ConnectionOptions, 'authenticator' | 'privateKey' | 'password'>;

async function authenticationOf(credentials: SnowflakeDefinition['credentials'], signal: AbortSignal): Promise<Authentication> {
  if (credentials.auth_method === 'key_pair') {
    // snowflake-sdk takes an unencrypted PKCS#8 PEM; decrypting here keeps the passphrase away from
    // the driver and any key file off the disk.
    const privateKey = await rsaPrivateKeyPem(
      credentials.private_key ?? '',
      credentials.private_key_passphrase,
      'credentials.private_key',
      signal,
    );
    return { authenticator: 'SNOWFLAKE_JWT', privateKey };
  }
  return { password: credentials.password ?? '' };
}

/** `connectAsync()` resolves even when the login fails; only the callback reports the error. */
function connect(connection: snowflake.Connection): Promise<void> {
  return new Promise((resolve, reject) => {
    connection.connect((error) => (error ? reject(error) : resolve()));
  });
}

function firstRow(connection: snowflake.Connection, sqlText: string, statementTimeoutMs: number): Promise<SessionRow | undefined> {
  return new Promise((resolve, reject) => {
    connection.execute({
      sqlText,
      // Snowflake cancels the statement itself too, so no query outlives the test on the server.
      parameters: { STATEMENT_TIMEOUT_IN_SECONDS: Math.max(1, Math.ceil(statementTimeoutMs / 1000)) },
      complete: (error, _statement, rows) => (error ? reject(error) : resolve((rows as SessionRow[] | undefined)?.[0])),
    });
  });
}
