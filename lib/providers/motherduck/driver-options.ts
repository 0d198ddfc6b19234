import type { DriverOptionsBuilder } from '../driver-options.js';
import { DUCKDB_HARDENING, motherduckPath } from './settings.js';

/**
 * `@duckdb/node-api` `DuckDBInstance.create(path, config)`: the MotherDuck path of the database and
 * the token as configuration (never in the path or SQL), with the settings the test opens DuckDB
 * with (settings.ts). The worker chooses its own directories; no address: DuckDB's MotherDuck
 * extension reaches MotherDuck's own service.
 */
export const motherduckDriverOptions: DriverOptionsBuilder<'motherduck'> = (definition) => {
  const { token, database } = definition.credentials;
  return Promise.resolve({
    driver: '@duckdb/node-api',
    options: {
      path: motherduckPath(database),
      config: { ...DUCKDB_HARDENING, motherduck_token: token },
      schema: definition.dataset_id,
    },
    tls: null,
    address: null,
    expiresAt: null,
  });
};
