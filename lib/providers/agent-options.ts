import type { LookupAddress, LookupOptions } from 'node:dns';
import type { AgentOptions } from 'node:https';
import { isIP, type LookupFunction } from 'node:net';

type SslMode = 'disable' | 'require' | 'verify-ca' | 'verify-full';
type LookupCallback = (error: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void;

/** The origin the service builds for a customer's HTTP(S) endpoint: the host as given (an IPv6 one in brackets). */
export function httpOrigin(credentials: { host: string; port: number; ssl_mode: SslMode }): string {
  const scheme = credentials.ssl_mode === 'disable' ? 'http' : 'https';
  const host = isIP(credentials.host) === 6 ? `[${credentials.host}]` : credentials.host;
  return `${scheme}://${host}:${credentials.port}`;
}

/**
 * A lookup that never asks DNS: it answers the address the SSRF guard vetted, so a driver keeps the
 * customer's name for TLS and the Host header while its sockets go where the guard said. With
 * `onlyFor`, any other name is refused (ENOTFOUND) instead.
 */
export function vettedLookup(address: string, onlyFor?: string): LookupFunction {
  const family = isIP(address);
  return (name: string, options: LookupOptions, callback: LookupCallback) => {
    if (onlyFor !== undefined && name.toLowerCase() !== onlyFor) {
      const refused: NodeJS.ErrnoException = new Error('Only the vetted host is resolved');
      refused.code = 'ENOTFOUND';
      return callback(refused, '');
    }
    if (options.all) return callback(null, [{ address, family }]);
    return callback(null, address, family);
  };
}

/**
 * libpq's sslmode meanings for an HTTPS agent: require encrypts, verify-ca checks the chain,
 * verify-full also the host as given (Node's check: a name against the certificate's names, an IP
 * address against its IP addresses). The CA is certificate content, never a path.
 */
export function sslModeAgentOptions(mode: SslMode, ca: string | undefined): AgentOptions {
  const trusted = ca === undefined ? {} : { ca };
  switch (mode) {
    case 'disable':
    case 'require':
      return { rejectUnauthorized: false };
    case 'verify-ca':
      return { ...trusted, rejectUnauthorized: true, checkServerIdentity: () => undefined };
    case 'verify-full':
      return { ...trusted, rejectUnauthorized: true };
  }
}
