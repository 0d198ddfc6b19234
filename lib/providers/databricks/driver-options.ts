import type { DriverOptionsBuilder } from '../driver-options.js';
import { networkPolicyOf, vetHost } from '../network-guard.js';

/** Databricks SQL warehouses answer on HTTPS only. */
const DATABRICKS_PORT = 443;

/**
 * `@databricks/sql` `DBSQLClient.connect` options (the workspace host, the warehouse's HTTP path, a
 * personal access token or the service principal's OAuth client id and secret), and the session's
 * catalog and schema for `openSession`. The requests must go to `address.vetted`.
 */
export const databricksDriverOptions: DriverOptionsBuilder<'databricks'> = async (definition, { limits }) => {
  const { credentials } = definition;
  const vetted = await vetHost(credentials.host, DATABRICKS_PORT, networkPolicyOf(limits));
  const authentication =
    credentials.auth_method === 'token'
      ? { token: credentials.token }
      : { authType: 'databricks-oauth', oauthClientId: credentials.client_id, oauthClientSecret: credentials.client_secret };
  return {
    driver: '@databricks/sql',
    options: {
      host: credentials.host,
      path: credentials.http_path,
      ...authentication,
      session: { initialCatalog: credentials.catalog, initialSchema: definition.dataset_id },
    },
    tls: { mode: 'verify-full', servername: credentials.host },
    address: { host: credentials.host, port: DATABRICKS_PORT, vetted },
    expiresAt: null,
  };
};
