import type { Agent } from 'node:http';
import type { Socket } from 'node:net';

/**
 * HTTP agents that connect to one destination only. The Snowflake and BigQuery drivers send
 * credentials in request bodies and follow redirects on their own (a 307 re-posts the body, the
 * user's password included, to wherever Location points). The agent is the one place every
 * request of a driver passes before a socket opens, redirects included, so a destination check
 * there holds whatever the driver does above it: any host or port but the vendor's endpoint for
 * that account is refused before a byte is sent.
 */
export interface Destination {
  /** Host name or IP literal, as in the URL (lower-cased, IPv6 without brackets). */
  host: string;
  port: number;
}

export function destinationOf(url: string): Destination {
  const parsed = new URL(url);
  const port = parsed.port === '' ? (parsed.protocol === 'http:' ? 80 : 443) : Number(parsed.port);
  return { host: parsed.hostname.replace(/^\[(.*)\]$/, '$1').toLowerCase(), port };
}

/** What the agent reports for a refused destination; the failure classifiers map its code. */
export const DESTINATION_REFUSED = 'ERR_WAREHOUSE_DESTINATION_REFUSED';

export class DestinationRefusedError extends Error {
  override name = 'DestinationRefusedError';
  readonly code = DESTINATION_REFUSED;
}

interface ConnectionOptions {
  host?: string | null;
  hostname?: string | null;
  port?: number | string | null;
  path?: string | null;
  socketPath?: string | null;
}

type CreateConnection = (options: ConnectionOptions, callback?: (error: Error | null, socket?: Socket) => void) => Socket | undefined;

/**
 * Makes `agent` refuse every connection that is not to `destination`. Node's agent passes the
 * request's host and port to createConnection (a redirect's new host too), so that is where the
 * check goes; a refusal reaches the request as an error with code DESTINATION_REFUSED.
 */
export function pinAgent<T extends Agent>(agent: T, destination: Destination): T {
  const pinned = agent as unknown as { createConnection: CreateConnection };
  const createConnection = pinned.createConnection.bind(agent);
  pinned.createConnection = (options, callback) => {
    const host = String(options.host ?? options.hostname ?? '')
      .replace(/^\[(.*)\]$/, '$1')
      .toLowerCase();
    const port = Number(options.port);
    if (options.path || options.socketPath || host !== destination.host || port !== destination.port) {
      const refused = new DestinationRefusedError(`Refused a connection outside ${destination.host}:${destination.port}`);
      if (callback) {
        callback(refused);
        return undefined;
      }
      throw refused;
    }
    return createConnection(options, callback);
  };
  return agent;
}
