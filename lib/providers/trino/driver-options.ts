import { isIP } from 'node:net';
import type { DriverOptionsBuilder } from '../driver-options.js';
import { networkPolicyOf, vetHost } from '../network-guard.js';
import { trinoOrigin } from './agents.js';

/**
 * `trino-client` `Trino.create` options: the server's origin as the customer gave it, the user
 * (HTTP Basic with the password, which the schema allows over HTTPS only), the catalog and schema
 * in the connection, and `ssl` (the https.Agent options trino-client builds its agent from) as the
 * connection's ssl_mode reads. The requests must go to `address.vetted`, and no redirect be followed.
 */
function httpsAgentOptions(credentials: { ssl_mode: string; ca_certificate?: string | undefined; host: string }) {
  return {
    // verify-ca's "chain but not the name" needs a function: the typed client adds it.
    rejectUnauthorized: credentials.ssl_mode !== 'require',
    // SNI carries names only (RFC 6066); an IP address is checked against the certificate's IP entries.
    ...(isIP(credentials.host) ? {} : { servername: credentials.host }),
    ...(credentials.ca_certificate === undefined ? {} : { ca: credentials.ca_certificate }),
  };
}

export const trinoDriverOptions: DriverOptionsBuilder<'trino'> = async (definition, { limits }) => {
  const { credentials } = definition;
  const vetted = await vetHost(credentials.host, credentials.port, networkPolicyOf(limits));
  return {
    driver: 'trino-client',
    options: {
      server: trinoOrigin(credentials),
      // trino-client's BasicAuth is this plain object; without a password X-Trino-User alone names the user.
      ...(credentials.password === undefined
        ? {}
        : { auth: { type: 'basic', username: credentials.username, password: credentials.password } }),
      extraHeaders: { 'X-Trino-User': credentials.username },
      catalog: credentials.catalog,
      schema: definition.dataset_id,
      ...(credentials.ssl_mode === 'disable' ? {} : { ssl: httpsAgentOptions(credentials) }),
    },
    tls: credentials.ssl_mode === 'disable' ? null : { mode: credentials.ssl_mode, servername: credentials.host },
    address: { host: credentials.host, port: credentials.port, vetted },
    expiresAt: null,
  };
};
