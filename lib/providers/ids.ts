/**
 * The providers' ids, on their own so that functions that only need the names (get, delete: they
 * validate stored items) do not load every provider's schema. The registry (registry.ts) is keyed by
 * exactly these ids: a provider added in one place and not the other does not compile.
 */
export const PROVIDER_IDS = [
  'postgres',
  'snowflake',
  'bigquery',
  'mysql',
  'redshift',
  'databricks',
  'clickhouse',
  'trino',
  'athena',
  'motherduck',
] as const;
export type ProviderId = (typeof PROVIDER_IDS)[number];
