import type * as v from 'valibot';
import { athenaConnection } from './athena/schema.js';
import { bigqueryConnection } from './bigquery/schema.js';
import { clickhouseConnection } from './clickhouse/schema.js';
import { databricksConnection } from './databricks/schema.js';
import { motherduckConnection } from './motherduck/schema.js';
import { mysqlConnection } from './mysql/schema.js';
import { postgresConnection } from './postgres/schema.js';
import { redshiftConnection } from './redshift/schema.js';
import { snowflakeConnection } from './snowflake/schema.js';
import { trinoConnection } from './trino/schema.js';
import { PROVIDER_IDS, type ProviderId } from './ids.js';

/**
 * The body of POST /connections for each provider. Apart from the registry (registry.ts) so that
 * only the functions that take a connection in (create, patch) load the request schemas; the test
 * and resolve functions open stored definitions, against the stored shapes alone.
 */
const REQUEST_SCHEMA_OF = {
  postgres: postgresConnection,
  snowflake: snowflakeConnection,
  bigquery: bigqueryConnection,
  mysql: mysqlConnection,
  redshift: redshiftConnection,
  databricks: databricksConnection,
  clickhouse: clickhouseConnection,
  trino: trinoConnection,
  athena: athenaConnection,
  motherduck: motherduckConnection,
} as const satisfies Record<ProviderId, v.GenericSchema | v.GenericSchemaAsync>;

/** Every provider's request schema, in PROVIDER_IDS order, for the `provider` variant (lib/schema/connection.ts). */
export const REQUEST_SCHEMAS = PROVIDER_IDS.map((id) => REQUEST_SCHEMA_OF[id]) as (typeof REQUEST_SCHEMA_OF)[ProviderId][];
