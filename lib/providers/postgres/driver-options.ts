import type { DriverOptionsBuilder } from '../driver-options.js';
import { networkPolicyOf, vetHost } from '../network-guard.js';
import { resolvedWireDriver } from '../pg-wire/client-options.js';

/** `pg.ClientConfig`: to the vetted address, TLS checked against the name the customer gave. */
export const postgresDriverOptions: DriverOptionsBuilder<'postgres'> = async (definition, { limits }) => {
  const { credentials } = definition;
  const address = await vetHost(credentials.host, credentials.port, networkPolicyOf(limits));
  return resolvedWireDriver(
    {
      host: credentials.host,
      address,
      port: credentials.port,
      database: credentials.database,
      user: credentials.username,
      password: credentials.password,
      sslMode: credentials.ssl_mode,
      caCertificate: credentials.ca_certificate,
    },
    null,
  );
};
