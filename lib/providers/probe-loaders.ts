import type { Probe } from './probe.js';
import type { ProviderId } from './ids.js';

/**
 * Each provider's probe, loaded by dynamic import when a connection of that provider is tested:
 * esbuild puts each probe and its driver in a lazy chunk of the test function's bundle, so a cold
 * start reads no driver and a test loads only its own. Kept apart from the registry because only
 * the test function may reference the chunks; keyed by ProviderId, so a provider without a probe
 * does not compile.
 */
const PROBE_LOADERS: Record<ProviderId, () => Promise<Probe>> = {
  postgres: async () => (await import('./postgres/probe.js')).probePostgres,
  snowflake: async () => (await import('./snowflake/probe.js')).probeSnowflake,
  bigquery: async () => (await import('./bigquery/probe.js')).probeBigQuery,
  redshift: async () => (await import('./redshift/probe.js')).probeRedshift,
  mysql: async () => (await import('./mysql/probe.js')).probeMysql,
  databricks: async () => (await import('./databricks/probe.js')).probeDatabricks,
  clickhouse: async () => (await import('./clickhouse/probe.js')).probeClickhouse,
  trino: async () => (await import('./trino/probe.js')).probeTrino,
  athena: async () => (await import('./athena/probe.js')).probeAthena,
  motherduck: async () => (await import('./motherduck/probe.js')).probeMotherduck,
};

export function loadProbe(provider: ProviderId): Promise<Probe> {
  return PROBE_LOADERS[provider]();
}
