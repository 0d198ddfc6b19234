import { isIP } from 'node:net';
import type { ConnectionOptions } from 'node:tls';
import type { ResolvedDriver } from '../driver-options.js';
import type { SslMode } from './ssl-mode.js';

/** What a `pg` client needs to log in, as the probe and the resolve function both hand it over. */
export interface WireClientLogin {
  /** The host the customer gave: TLS checks the certificate against this name. */
  host: string;
  /** The address the SSRF guard vetted: the socket goes here, never to a second resolution of `host`. */
  address: string;
  port: number;
  database: string;
  user: string;
  password: string;
  sslMode: SslMode;
  caCertificate?: string | undefined;
}

/** The TLS options of one ssl_mode; `verify-ca` also needs `checkServerIdentity: () => undefined`, a function. */
export type WireTls =
  false | (Pick<ConnectionOptions, 'rejectUnauthorized' | 'ca' | 'servername'> & { checkServerIdentity?: () => undefined });

/**
 * `pg.ClientConfig` fields for a login: the socket to the vetted address, TLS checked against the
 * name the customer gave, with libpq's sslmode semantics (require encrypts, verify-ca checks the
 * chain, verify-full also the hostname). No driver import: the resolve function uses it too.
 */
export function wireClientOptions(login: WireClientLogin) {
  return {
    host: login.address,
    port: login.port,
    database: login.database,
    user: login.user,
    password: login.password,
    ssl: wireTls(login),
  };
}

export function wireTls(login: Pick<WireClientLogin, 'host' | 'sslMode' | 'caCertificate'>): WireTls {
  const ca = login.caCertificate === undefined ? {} : { ca: login.caCertificate };
  const servername = isIP(login.host) === 0 ? { servername: login.host } : {};
  switch (login.sslMode) {
    case 'disable':
      return false;
    case 'require':
      return { rejectUnauthorized: false };
    case 'verify-ca':
      return { ...ca, ...servername, rejectUnauthorized: true, checkServerIdentity: () => undefined };
    case 'verify-full':
      return { ...ca, ...servername, rejectUnauthorized: true };
  }
}

/**
 * A login as the resolve function hands it over (driver-options.ts): `pg` options in JSON, the TLS
 * identity check named by `tls.mode` (verify-ca needs the function JSON cannot carry), the address.
 */
export function resolvedWireDriver(login: WireClientLogin, expiresAt: string | null): ResolvedDriver {
  const { ssl, ...options } = wireClientOptions(login);
  const json =
    ssl === false
      ? false
      : {
          rejectUnauthorized: ssl.rejectUnauthorized,
          ...(ssl.ca ? { ca: ssl.ca } : {}),
          ...(ssl.servername ? { servername: ssl.servername } : {}),
        };
  return {
    driver: 'pg',
    options: { ...options, ssl: json },
    tls: ssl === false ? null : { mode: login.sslMode, servername: (ssl.servername as string | undefined) ?? null },
    address: { host: login.host, port: login.port, vetted: login.address },
    expiresAt,
  };
}
