import type { ProviderDefinition, Provider } from '../schema/connection.js';
import type { SslMode } from './pg-wire/ssl-mode.js';
import type { ProbeLimits } from './verdict.js';

/**
 * What the resolve function hands a worker for one connection: options for the provider's npm
 * driver, decrypted secrets included, in a versioned shape (docs/consumers.md). JSON only: what JSON
 * cannot carry (a TLS identity callback, a socket factory to the vetted address) the typed client
 * (lib/client/resolve-client.ts) adds from `tls` and `address`.
 */
export interface ResolvedDriver {
  /** The npm package these options are for. */
  driver: string;
  /** The options of that driver's connect call. */
  options: Record<string, unknown>;
  /** How the server's certificate is checked, where the connection's TLS settings say: the customer's `ssl_mode`. */
  tls: { mode: SslMode; servername: string | null } | null;
  /**
   * The host the customer gave, its port, and the address the SSRF guard vetted for it: connect to
   * `vetted`, never to a new resolution of `host` (which could have changed since). Null where the
   * driver talks to the vendor's own endpoint (Snowflake, BigQuery, Athena).
   */
  address: { host: string; port: number; vetted: string } | null;
  /** When temporary credentials in the options stop working (Redshift with IAM, Athena's role). */
  expiresAt: string | null;
}

export interface ResolveContext {
  limits: ProbeLimits;
  signal: AbortSignal;
}

export type DriverOptionsBuilder<P extends Provider> = (
  definition: ProviderDefinition<P>,
  context: ResolveContext,
) => Promise<ResolvedDriver>;
