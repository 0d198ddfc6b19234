import { Agent as HttpAgent } from 'node:http';
import { Agent as HttpsAgent } from 'node:https';
import type { Socket } from 'node:net';
import { httpOrigin, sslModeAgentOptions, vettedLookup } from '../agent-options.js';
import { pinAgent, type Destination } from '../pinned-agent.js';
import type { StageClock } from '../verdict.js';
import type { ProviderDefinition } from '../../schema/connection.js';

type Credentials = ProviderDefinition<'trino'>['credentials'];

/**
 * The HTTP agents of one test. Trino's protocol is a chain of URLs the server names (`nextUri`), and
 * trino-client follows each one with the connection's credentials, wherever it points. The agents
 * are the one place every request passes before a socket opens, so:
 * - the agent of the connection's scheme is pinned to the customer's host and port (pinned-agent.ts):
 *   a nextUri or redirect to any other host or port is refused before a byte is sent;
 * - the agent of the other scheme refuses everything, so a nextUri that switches to plain HTTP never
 *   carries the password in clear text;
 * - the host name resolves only to the address the SSRF guard vetted (no second DNS answer);
 * - once the test ends, nothing more is sent (trino-client may still be walking nextUris).
 */
export interface TrinoAgents {
  httpsAgent: HttpsAgent;
  httpAgent: HttpAgent;
  close(): void;
}

/** The origin of the connection as the service builds it: the URL every request must stay on. */
export function trinoOrigin(credentials: Pick<Credentials, 'host' | 'port' | 'ssl_mode'>): string {
  return httpOrigin(credentials);
}

export function trinoAgents(credentials: Credentials, destination: Destination, vettedAddress: string, stages: StageClock): TrinoAgents {
  let open = true;
  const nowhere: Destination = { host: '', port: -1 };
  const secure = credentials.ssl_mode !== 'disable';
  const common = { keepAlive: true, lookup: vettedLookup(vettedAddress, destination.host) };
  const httpsAgent = guard(
    pinAgent(
      new HttpsAgent({ ...common, ...sslModeAgentOptions(credentials.ssl_mode, credentials.ca_certificate) }),
      secure ? destination : nowhere,
    ),
  );
  const httpAgent = guard(pinAgent(new HttpAgent(common), secure ? nowhere : destination));
  followFirstSocket(secure ? httpsAgent : httpAgent, secure, stages);

  function guard<T extends HttpAgent>(agent: T): T {
    const pinned = agent as unknown as { createConnection: (options: unknown, callback?: (error: Error | null) => void) => unknown };
    const createConnection = pinned.createConnection.bind(agent);
    pinned.createConnection = (options, callback) => {
      if (open) return createConnection(options, callback);
      const closed = new Error('The connection test has ended');
      if (callback) return void callback(closed);
      throw closed;
    };
    return agent;
  }

  return {
    httpsAgent,
    httpAgent,
    close() {
      open = false;
      httpsAgent.destroy();
      httpAgent.destroy();
    },
  };
}

/**
 * The first socket tells the stages apart: `connect` ends when TCP connects, `tls` when the
 * handshake is done; from there the first request's answer says whether the credentials were
 * accepted (`authenticate`). Later sockets (a server that closes each connection) change nothing.
 */
function followFirstSocket(agent: HttpAgent, secure: boolean, stages: StageClock): void {
  const internals = agent as unknown as { createConnection: (options: unknown, callback?: unknown) => Socket | undefined };
  const createConnection = internals.createConnection.bind(agent);
  let followed = false;
  internals.createConnection = (options, callback) => {
    const socket = createConnection(options, callback);
    if (socket && !followed) {
      followed = true;
      socket.once('connect', () => stages.begin(secure ? 'tls' : 'authenticate'));
      if (secure) socket.once('secureConnect', () => stages.begin('authenticate'));
    }
    return socket;
  };
}
