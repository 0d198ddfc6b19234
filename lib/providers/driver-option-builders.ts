import type { Provider } from '../schema/connection.js';
import type { DriverOptionsBuilder } from './driver-options.js';

/**
 * Each provider's driver options for the resolve function, loaded on demand like the probes (no
 * driver is imported by any of them; a Redshift IAM resolve loads the AWS clients it calls).
 */
export const DRIVER_OPTIONS: { [P in Provider]: () => Promise<DriverOptionsBuilder<P>> } = {
  postgres: async () => (await import('./postgres/driver-options.js')).postgresDriverOptions,
  snowflake: async () => (await import('./snowflake/driver-options.js')).snowflakeDriverOptions,
  bigquery: async () => (await import('./bigquery/driver-options.js')).bigqueryDriverOptions,
  mysql: async () => (await import('./mysql/driver-options.js')).mysqlDriverOptions,
  redshift: async () => (await import('./redshift/driver-options.js')).redshiftDriverOptions,
  clickhouse: async () => (await import('./clickhouse/driver-options.js')).clickhouseDriverOptions,
  databricks: async () => (await import('./databricks/driver-options.js')).databricksDriverOptions,
  athena: async () => (await import('./athena/driver-options.js')).athenaDriverOptions,
  trino: async () => (await import('./trino/driver-options.js')).trinoDriverOptions,
  motherduck: async () => (await import('./motherduck/driver-options.js')).motherduckDriverOptions,
};
