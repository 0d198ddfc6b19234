import type { DriverOptionsBuilder } from '../driver-options.js';
import { networkPolicyOf, vetHost } from '../network-guard.js';

/**
 * mysql2 `ConnectionOptions` with the probe's hardening (no LOCAL INFILE, no multiple statements,
 * no cleartext passwords). `host` names the server for TLS; the socket must go to `address.vetted`
 * (the typed client passes mysql2 a `stream` to it).
 */
export const mysqlDriverOptions: DriverOptionsBuilder<'mysql'> = async (definition, { limits }) => {
  const { credentials } = definition;
  const vetted = await vetHost(credentials.host, credentials.port, networkPolicyOf(limits));
  const ca = credentials.ca_certificate === undefined ? {} : { ca: credentials.ca_certificate };
  const ssl =
    credentials.ssl_mode === 'disable'
      ? undefined
      : credentials.ssl_mode === 'require'
        ? { rejectUnauthorized: false }
        : { ...ca, rejectUnauthorized: true, verifyIdentity: credentials.ssl_mode === 'verify-full' };
  return {
    driver: 'mysql2',
    options: {
      host: credentials.host,
      port: credentials.port,
      user: credentials.username,
      password: credentials.password,
      database: credentials.database,
      ...(ssl ? { ssl } : {}),
      multipleStatements: false,
      flags: ['-LOCAL_FILES', '-MULTI_STATEMENTS'],
      enableCleartextPlugin: false,
      charset: 'UTF8MB4_UNICODE_CI',
    },
    tls: credentials.ssl_mode === 'disable' ? null : { mode: credentials.ssl_mode, servername: credentials.host },
    address: { host: credentials.host, port: credentials.port, vetted },
    expiresAt: null,
  };
};
