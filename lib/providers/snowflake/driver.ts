import { Agent as HttpAgent, type AgentOptions } from 'node:http';
import type { Agent as HttpsAgent } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type snowflake from 'snowflake-sdk';
import { pinAgent, type Destination } from '../pinned-agent.js';

/**
 * snowflake-sdk, loaded once per process and configured so that no connection can change what
 * another one does, and no connection talks to any host but its account's.
 *
 * The driver keeps state for the whole process that a login can change:
 * - a privatelink account sets process.env.SF_OCSP_RESPONSE_CACHE_SERVER_URL (and, through it,
 *   the OCSP responder URL) for every later connection; the OCSP cache reads it once;
 * - the session parameters a login or query returns (SERVICE_NAME, CLIENT_SESSION_KEEP_ALIVE, ...)
 *   go into a module-wide table that every later connection reads: another tenant's service name
 *   would travel in this tenant's requests.
 * Both are switched off here, not reset afterwards, so even two probes running at once in one
 * process (the local server) cannot see each other's. The probe needs neither: it sets what it
 * needs per connection, and OCSP for privatelink hosts falls back to Snowflake's public cache.
 *
 * And it follows redirects (axios) to any host, re-posting the login body. Redirects are off, and
 * each connection gets an agent pinned to its account's host (pinned-agent.ts).
 */
export interface SnowflakeDriver {
  sdk: typeof snowflake;
  /** A connection that only reaches `destination` and leaves no state behind in the process. */
  connect(options: snowflake.ConnectionOptions, destination: Destination): IsolatedConnection;
}

export interface IsolatedConnection {
  connection: snowflake.Connection;
  /** Closes the pinned agents' sockets (the driver only closes agents it created itself). */
  releaseSockets(): void;
}

const SILENT = { error: () => undefined, warn: () => undefined, info: () => undefined, debug: () => undefined, trace: () => undefined };

let driver: Promise<SnowflakeDriver> | undefined;

/**
 * Part of the driver's behaviour is fixed from the environment while its modules load, hence the
 * dynamic imports after setting it:
 * - when it loads, it probes the cloud it runs on (AWS and Azure instance metadata, GCE metadata,
 *   an STS GetCallerIdentity with the function's own credentials) for telemetry: never from here;
 * - it creates an OCSP response cache directory under $HOME, which is read-only in Lambda: use the
 *   temporary directory unless the deployment chose another.
 */
type AxiosInstance = { defaults: { maxRedirects?: number } };

/**
 * The driver's axios instance is its module's `exports.default`. Node, jest and esbuild give a
 * CommonJS module's module.exports as `default`, but tsx (npm start, the bench) gives a module
 * flagged __esModule its `exports.default` there.
 */
function axiosInstance(namespaceDefault: unknown): AxiosInstance {
  const candidate = namespaceDefault as AxiosInstance | { default: AxiosInstance };
  return 'defaults' in candidate ? candidate : candidate.default;
}

export function loadSnowflakeDriver(): Promise<SnowflakeDriver> {
  driver ??= (async () => {
    process.env.SNOWFLAKE_DISABLE_PLATFORM_DETECTION = 'true';
    process.env.SF_OCSP_RESPONSE_CACHE_DIR ??= join(tmpdir(), 'snowflake-ocsp-cache');
    // CommonJS modules: `default` is their module.exports (the driver's own objects, which it shares).
    const [{ default: sdk }, { default: axiosModule }, { default: parameters }, { default: HttpsOcspAgent }] = await Promise.all([
      import('snowflake-sdk'),
      import('snowflake-sdk/dist/lib/http/axios_instance.js'),
      import('snowflake-sdk/dist/lib/parameters.js'),
      import('snowflake-sdk/dist/lib/agent/https_ocsp_agent.js'),
    ]);
    // It logs to ./snowflake.log and the console by default, and its messages can carry connection
    // details. OFF plus a logger that drops everything keeps it from writing anything.
    sdk.configure({ logLevel: 'OFF', additionalLogToConsole: false, customLogger: SILENT });
    axiosInstance(axiosModule).defaults.maxRedirects = 0;
    (parameters as { update: (values: unknown) => void }).update = () => undefined;
    const createHttpsAgent = (options: AgentOptions) =>
      new (HttpsOcspAgent as unknown as new (options: AgentOptions) => HttpsAgent)(options);
    return {
      sdk,
      connect: (options, destination) => isolatedConnection(sdk, options, destination, createHttpsAgent),
    };
  })();
  return driver;
}

function isolatedConnection(
  sdk: typeof snowflake,
  options: snowflake.ConnectionOptions,
  destination: Destination,
  createHttpsAgent: (options: AgentOptions) => HttpsAgent,
): IsolatedConnection {
  const agents = new Map<string, HttpAgent>();
  // The driver asks `agentClass` for an agent per request (in place of its own, which it would keep
  // per connection): one pinned agent per protocol keeps the connection's sockets reusable. HTTPS
  // keeps the driver's OCSP-checking agent.
  const agentClass = (agentOptions: AgentOptions & { protocol?: string }) => {
    const protocol = agentOptions.protocol ?? 'https:';
    let agent = agents.get(protocol);
    if (!agent) {
      agent = pinAgent(protocol === 'http:' ? new HttpAgent(agentOptions) : createHttpsAgent(agentOptions), destination);
      agents.set(protocol, agent);
    }
    return agent;
  };
  const connection = sdk.createConnection({ ...options, agentClass } as snowflake.ConnectionOptions);
  // Called while connecting for a privatelink host; it would set the OCSP cache URL process-wide.
  (connection as unknown as { setupOcspPrivateLink: (host: string) => void }).setupOcspPrivateLink = () => undefined;
  return {
    connection,
    releaseSockets: () => {
      for (const agent of agents.values()) agent.destroy();
    },
  };
}
