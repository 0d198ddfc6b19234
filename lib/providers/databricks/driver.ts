import type { Agent } from 'node:https';
import { DBSQLClient } from '@databricks/sql';
import type { ConnectionOptions } from '@databricks/sql/dist/contracts/IDBSQLClient.js';

/**
 * @databricks/sql, configured so that one client talks to one workspace address only, asks for
 * nothing but inline results, and leaves nothing behind in the process:
 * - every request (Thrift, OAuth discovery and token, result downloads) asks the client's connection
 *   provider for its agent: the client below hands out the pinned agent (agent.ts) instead of the
 *   one the driver would build (system DNS, any host, a proxy agent on request);
 * - no telemetry or feature-flag calls (they would go to the workspace in the background, past the
 *   test, with the token);
 * - results inline as Thrift columns: no Arrow, no LZ4, no cloud fetch (presigned links point at
 *   cloud storage, another host); staging operations (local files) stay off, since the probe never
 *   passes `stagingAllowedLocalPath`;
 * - its default logger is winston on the console with `handleExceptions` (a process-wide handler):
 *   a silent logger replaces it, and the driver's messages (which can quote server text) go nowhere.
 */
const SILENT = { log: () => undefined };

/**
 * One attempt per request. The driver's own policy retries 429 and 5xx answers with backoff (at least
 * the Retry-After, up to 15 minutes in all) and then reports only a status code in its text; with no
 * retries the answer itself reaches the classifier, Retry-After and all, and the test's limits hold.
 */
const ONE_ATTEMPT = {
  shouldRetry: () => Promise.resolve({ shouldRetry: false as const }),
  invokeWithRetry: <T>(operation: () => Promise<T>) => operation(),
};

export class WorkspaceClient extends DBSQLClient {
  /** Whether the client has its Authorization header (for OAuth: the token came back). */
  private signedIn = false;

  constructor(
    private readonly agent: Agent,
    private readonly onSignedIn: () => void,
  ) {
    super({ logger: SILENT });
    const config = this.getConfig();
    config.arrowEnabled = false;
    config.useCloudFetch = false;
    config.useLZ4Compression = false;
  }

  override async getConnectionProvider(): ReturnType<DBSQLClient['getConnectionProvider']> {
    const provider = await super.getConnectionProvider();
    // The driver's HttpConnection calls these on itself for its Thrift connection too.
    const internals = provider as unknown as { getAgent: () => Promise<Agent>; getRetryPolicy: () => Promise<typeof ONE_ATTEMPT> };
    internals.getAgent = () => Promise.resolve(this.agent);
    internals.getRetryPolicy = () => Promise.resolve(ONE_ATTEMPT);
    return provider;
  }

  /** Called before every Thrift call, once the auth headers are set: for OAuth, after the token request. */
  override async getClient(): ReturnType<DBSQLClient['getClient']> {
    const client = await super.getClient();
    if (!this.signedIn) {
      this.signedIn = true;
      this.onSignedIn();
    }
    return client;
  }
}

/**
 * Options for one probe: nothing free-form, and the driver's retry settings at one attempt too
 * (ONE_ATTEMPT above replaces its policy; these hold should that ever not take).
 */
export function connectionOptions(
  settings: { host: string; path: string; socketTimeoutMs: number; retriesTimeoutMs: number },
  auth: { token: string } | { clientId: string; clientSecret: string },
): ConnectionOptions {
  const common = {
    host: settings.host,
    port: 443,
    path: settings.path,
    socketTimeout: settings.socketTimeoutMs,
    retryMaxAttempts: 1,
    retriesTimeout: settings.retriesTimeoutMs,
    retryDelayMin: 1,
    retryDelayMax: 1,
    telemetryEnabled: false,
    userAgentEntry: 'warehouse-connections',
  };
  if ('token' in auth) return { ...common, authType: 'access-token', token: auth.token };
  return {
    ...common,
    authType: 'databricks-oauth',
    oauthClientId: auth.clientId,
    oauthClientSecret: auth.clientSecret,
    // Azure workspaces then sign in at their own OIDC endpoint, as AWS and GCP ones do, instead of
    // sending the secret to Microsoft Entra ID (another host, which the pinned agent refuses).
    useDatabricksOAuthInAzure: true,
  };
}
