import { Agent as HttpAgent } from 'node:http';
import { Agent as HttpsAgent } from 'node:https';
import type { Socket } from 'node:net';
import type { ProviderDefinition } from '../../schema/connection.js';
import { httpOrigin, sslModeAgentOptions, vettedLookup } from '../agent-options.js';
import { destinationOf, pinAgent } from '../pinned-agent.js';
import type { StageName } from '../verdict.js';

type Credentials = ProviderDefinition<'clickhouse'>['credentials'];

/** The HTTP interface's origin, with the host as the customer gave it (Host header, SNI, the name TLS checks). */
export function endpointOf(credentials: Credentials): URL {
  return new URL(httpOrigin(credentials));
}

/** The stage the test is in did not finish in time; the classifier words it from that stage (failures.ts). */
export class StepTimeout extends Error {
  override name = 'StepTimeout';
}

export interface ClickhouseAgent {
  agent: HttpAgent;
  /**
   * Resolves once the first connection is ready for a request (TCP, then TLS when ssl_mode is not
   * disable); rejects with a StepTimeout when that takes longer than the connect timeout.
   */
  ready: Promise<void>;
}

/**
 * The agent @clickhouse/client sends every request through (its `http_agent` option). Three things
 * hold whatever the client does above it:
 * - its lookup answers the one address the SSRF guard vetted, so the name is never resolved again;
 * - it is pinned to the endpoint (pinned-agent.ts): any other host or port is refused before a
 *   socket opens. The client follows no redirect, and if anything did, it would end here;
 * - TLS is set by ssl_mode, with the CA as content and the name checked against the host given.
 * The first connection's progress marks the connect and tls stages, under the connect timeout.
 */
export function clickhouseAgent(
  credentials: Credentials,
  address: string,
  connectTimeoutMs: number,
  enter: (stage: StageName) => void,
): ClickhouseAgent {
  const url = endpointOf(credentials);
  const secure = url.protocol === 'https:';
  const options = { keepAlive: true, maxSockets: 1, lookup: vettedLookup(address) };
  const agent = pinAgent(
    secure
      ? new HttpsAgent({ ...options, ...sslModeAgentOptions(credentials.ssl_mode, credentials.ca_certificate) })
      : new HttpAgent(options),
    destinationOf(url.href),
  );
  const ready = new Promise<void>((resolve, reject) => {
    const internals = agent as unknown as { createConnection: (...args: unknown[]) => Socket | undefined };
    const createConnection = internals.createConnection.bind(agent);
    let watched = false;
    internals.createConnection = (...args) => {
      const socket = createConnection(...args);
      if (socket && !watched) {
        watched = true;
        watchFirstSocket(socket, secure, connectTimeoutMs, enter, resolve, reject);
      }
      return socket;
    };
  });
  ready.catch(() => undefined); // observed by the probe; a refusal before any socket rejects the request instead
  return { agent, ready };
}

function watchFirstSocket(
  socket: Socket,
  secure: boolean,
  connectTimeoutMs: number,
  enter: (stage: StageName) => void,
  resolve: () => void,
  reject: (error: Error) => void,
): void {
  const timer = setTimeout(() => {
    reject(new StepTimeout());
    socket.destroy();
  }, connectTimeoutMs);
  const done = () => {
    clearTimeout(timer);
    enter('authenticate');
    resolve();
  };
  socket.once('connect', () => {
    if (!secure) return done();
    enter('tls');
  });
  if (secure) socket.once('secureConnect', done);
  socket.once('close', () => clearTimeout(timer));
}
