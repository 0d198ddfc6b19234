import type { TLSSocket } from 'node:tls';
import { bounded } from '../bounded.js';
import { networkPolicyOf, vetHost } from '../network-guard.js';
import type { Probe } from '../probe.js';
import { ProbeFailure, seconds, type ProbeLimits, type StageClock, type StageName } from '../verdict.js';
import { WORKSPACE_PORT, workspaceAgent } from './agent.js';
import { connectionOptions, WorkspaceClient } from './driver.js';
import { classifyDatabricksFailure, databricksEndpoint, type DatabricksContext, type DatabricksDefinition } from './failures.js';
import { qualifiedSchema } from './identifiers.js';

type Session = Awaited<ReturnType<WorkspaceClient['openSession']>>;
type Operation = Awaited<ReturnType<Session['executeStatement']>>;

/**
 * Vets the workspace host, then with @databricks/sql over an agent pinned to the vetted address:
 * opens a session on the SQL warehouse (for OAuth machine-to-machine, the driver first gets a token
 * from the workspace's OIDC endpoint with the service principal's secret), runs `SELECT 1`, then
 * `SHOW TABLES IN catalog.schema`: the schema in dataset_id exists and the principal may use it.
 */
export const probeDatabricks: Probe = async (definition, limits, signal, stages) => {
  if (definition.provider !== 'databricks') throw new Error('probeDatabricks needs a databricks connection');
  const { host } = definition.credentials;
  const test = limits.databricksEndpoint;
  const connectPort = test?.port ?? WORKSPACE_PORT;
  const context: DatabricksContext = { definition, limits, endpoint: databricksEndpoint(definition), step: 'session' };

  stages.begin('resolve');
  const address = await vetHost(host, connectPort, networkPolicyOf(limits));
  signal.throwIfAborted(); // the deadline may have passed while resolving: open nothing then
  stages.begin('connect');
  const progress = new Progress(stages, definition.credentials.auth_method === 'oauth_m2m', context);
  const workspace = workspaceAgent({
    host,
    address,
    connectPort,
    ...(test ? { ca: test.caCertificate } : {}),
    onSocket: (socket) => progress.follow(socket),
  });
  const client = new WorkspaceClient(workspace.agent, () => progress.signedIn());
  const abort = () => workspace.close();
  signal.addEventListener('abort', abort, { once: true });
  let session: Session | undefined;
  try {
    await client.connect(
      connectionOptions(
        {
          host,
          path: definition.credentials.http_path,
          socketTimeoutMs: Math.max(limits.connectTimeoutMs, limits.statementTimeoutMs),
          retriesTimeoutMs: limits.deadlineMs,
        },
        authOf(definition),
      ),
    );
    session = await bounded(client.openSession(), {
      ms: limits.connectTimeoutMs,
      signal,
      onTimeout: () =>
        new ProbeFailure('timeout', `No answer from ${host} (Databricks workspace) within ${seconds(limits.connectTimeoutMs)}.`),
    });
    progress.reach('query');
    context.step = 'query';
    const rows = await statement(session, 'SELECT 1 AS ok', limits, signal, (operation) => operation.fetchAll());
    if ((rows as { ok?: unknown }[])[0]?.ok !== 1) {
      throw new ProbeFailure('warehouse_error', 'The warehouse answered SELECT 1 with something other than 1.');
    }
    progress.reach('schema_access');
    context.step = 'schema';
    const { catalog } = definition.credentials;
    await statement(session, `SHOW TABLES IN ${qualifiedSchema(catalog, definition.dataset_id)}`, limits, signal, (operation) =>
      operation.finished(),
    );
  } catch (error) {
    throw classifyDatabricksFailure(error, context);
  } finally {
    signal.removeEventListener('abort', abort);
    await closeSession(session, limits, signal);
    workspace.close();
  }
};

function authOf(definition: DatabricksDefinition): { token: string } | { clientId: string; clientSecret: string } {
  const { auth_method, token, client_id, client_secret } = definition.credentials;
  if (auth_method === 'token') {
    if (token === undefined) throw new Error('a token connection without a token');
    return { token };
  }
  if (client_id == null || client_secret === undefined) throw new Error('an OAuth connection without its client id and secret');
  return { clientId: client_id, clientSecret: client_secret };
}

/**
 * One statement, within the statement timeout (Databricks enforces it too, as the query timeout):
 * direct results for at most one row, read with `read`, then the operation closed.
 */
async function statement<T>(
  session: Session,
  sql: string,
  limits: ProbeLimits,
  signal: AbortSignal,
  read: (operation: Operation) => Promise<T>,
): Promise<T> {
  const run = async () => {
    const operation = await session.executeStatement(sql, {
      runAsync: true,
      maxRows: 1,
      queryTimeout: Math.max(1, Math.ceil(limits.statementTimeoutMs / 1000)),
      useCloudFetch: false,
      useLZ4Compression: false,
    });
    try {
      return await read(operation);
    } finally {
      await operation.close().catch(() => undefined);
    }
  };
  return bounded(run(), {
    ms: limits.statementTimeoutMs,
    signal,
    onTimeout: () => new ProbeFailure('timeout', `The test statement did not finish within ${seconds(limits.statementTimeoutMs)}.`),
  });
}

/** CloseSession, so the warehouse does not keep it; waited for a bounded time, and not at all past the deadline. */
async function closeSession(session: Session | undefined, limits: ProbeLimits, signal: AbortSignal): Promise<void> {
  if (!session || signal.aborted) return;
  await bounded(session.close(), {
    ms: limits.connectTimeoutMs,
    signal,
    onTimeout: () => new ProbeFailure('timeout', `Closing the session did not finish within ${seconds(limits.connectTimeoutMs)}.`),
  }).catch(() => undefined);
}

/**
 * Moves the test's stages along with what the workspace's sockets and the driver do: `connect`
 * until a TCP connection stands, `tls` until the handshake is done, then `credentials` (OAuth: the
 * token request) and `authenticate` (OpenSession, where the workspace checks the token and opens the
 * warehouse session). Stages only move forward: a second socket (keep-alive lost) moves nothing.
 */
class Progress {
  private static readonly ORDER: readonly StageName[] = ['connect', 'tls', 'credentials', 'authenticate', 'query', 'schema_access'];
  private current: StageName = 'connect';
  private tokenReady = false;

  constructor(
    private readonly stages: StageClock,
    private readonly oauth: boolean,
    private readonly context: DatabricksContext,
  ) {
    if (oauth) context.step = 'credentials';
  }

  follow(socket: TLSSocket): void {
    socket.once('connect', () => this.reach('tls'));
    socket.once('secureConnect', () => this.reach(this.oauth && !this.tokenReady ? 'credentials' : 'authenticate'));
  }

  /** The driver has its Authorization header: for OAuth the token came back, and OpenSession goes next. */
  signedIn(): void {
    this.tokenReady = true;
    this.context.step = 'session';
    if (this.oauth) this.reach('authenticate');
  }

  reach(stage: StageName): void {
    if (Progress.ORDER.indexOf(stage) <= Progress.ORDER.indexOf(this.current)) return;
    this.current = stage;
    this.stages.begin(stage);
  }
}
