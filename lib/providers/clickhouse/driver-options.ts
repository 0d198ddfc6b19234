import type { DriverOptionsBuilder } from '../driver-options.js';
import { networkPolicyOf, vetHost } from '../network-guard.js';
import { endpointOf } from './connection.js';

/**
 * `@clickhouse/client` `createClient` options: the HTTP interface's URL with the host as the
 * customer gave it (Host header, TLS name), the user and password, the database in dataset_id,
 * the CA when the connection names one. The requests must go to `address.vetted`: the typed client
 * gives the client an agent whose lookup answers that address.
 */
export const clickhouseDriverOptions: DriverOptionsBuilder<'clickhouse'> = async (definition, { limits }) => {
  const { credentials } = definition;
  const vetted = await vetHost(credentials.host, credentials.port, networkPolicyOf(limits));
  return {
    driver: '@clickhouse/client',
    options: {
      url: endpointOf(credentials).href,
      username: credentials.username,
      password: credentials.password,
      database: definition.dataset_id,
      ...(credentials.ca_certificate === undefined ? {} : { tls: { ca_cert: credentials.ca_certificate } }),
    },
    tls: credentials.ssl_mode === 'disable' ? null : { mode: credentials.ssl_mode, servername: credentials.host },
    address: { host: credentials.host, port: credentials.port, vetted },
    expiresAt: null,
  };
};
