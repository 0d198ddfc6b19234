import { Agent, type AgentOptions } from 'node:https';
import { isIP, type LookupFunction } from 'node:net';
import type { TLSSocket } from 'node:tls';
import { DestinationRefusedError, pinAgent } from '../pinned-agent.js';

/** Databricks workspaces serve HTTPS on 443 only. */
export const WORKSPACE_PORT = 443;

export interface WorkspaceAgentOptions {
  /** The workspace host the customer gave: the only host the driver's URLs may name (TLS checks it too). */
  host: string;
  /** The address the SSRF guard vetted for it: every socket goes there, whatever DNS says later. */
  address: string;
  /** Where the socket connects: 443, or the tests' stand-in port (ProbeLimits.databricksEndpoint). */
  connectPort: number;
  /** CA certificates to trust instead of the system's (the tests' stand-in only). */
  ca?: string;
  /** Sees every socket the agent opens, for the stages of the test. */
  onSocket(socket: TLSSocket): void;
}

/**
 * The one HTTPS agent every request of a probe's @databricks/sql client goes through: Thrift calls,
 * the OAuth discovery and token requests, anything the driver would download. It resolves the
 * workspace host to the vetted address only, and (pinned-agent.ts) refuses any other host or port
 * before a byte is sent, which is what stops a redirect, or OAuth metadata naming a token endpoint
 * elsewhere, from taking the token or the client secret to another server.
 */
export function workspaceAgent(options: WorkspaceAgentOptions): { agent: Agent; close(): void } {
  const family = isIP(options.address);
  const lookup: LookupFunction = (_hostname, lookupOptions, callback) => {
    if (lookupOptions.all)
      (callback as (error: null, addresses: { address: string; family: number }[]) => void)(null, [{ address: options.address, family }]);
    else callback(null, options.address, family);
  };
  const agentOptions: AgentOptions = {
    keepAlive: true,
    maxSockets: 2,
    minVersion: 'TLSv1.2',
    lookup,
    ...(options.ca === undefined ? {} : { ca: options.ca }),
  };
  const agent = new Agent(agentOptions);
  type CreateConnection = (connection: { port?: number | string | null }, callback?: unknown) => TLSSocket | undefined;
  const internals = agent as unknown as { createConnection: CreateConnection };
  const createConnection = internals.createConnection.bind(agent);
  let closed = false;
  internals.createConnection = (connection, callback) => {
    if (closed) {
      // The probe is over: a poll or close the driver still has queued opens nothing new.
      const refused = new DestinationRefusedError('The connection test is over');
      if (typeof callback === 'function') {
        (callback as (error: Error) => void)(refused);
        return undefined;
      }
      throw refused;
    }
    const socket = createConnection({ ...connection, port: options.connectPort }, callback);
    if (socket) options.onSocket(socket);
    return socket;
  };
  // Pinned last, so its check runs first: a refused destination never reaches the lines above.
  return {
    agent: pinAgent(agent, { host: options.host, port: WORKSPACE_PORT }),
    close: () => {
      closed = true;
      agent.destroy();
    },
  };
}
