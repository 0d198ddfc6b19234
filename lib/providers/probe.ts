import type { ConnectionDefinition, Provider } from '../schema/connection.js';
import { errorFields, log } from '../log.js';
import { withDeadline } from './deadline.js';
import { ProbeFailure, type ProbeLimits, type Verdict } from './verdict.js';

/** Opens a connection, runs a lightweight query, closes; throws on failure. */
export type Probe = (definition: ConnectionDefinition, limits: ProbeLimits, signal: AbortSignal) => Promise<void>;

/**
 * Loads the probe of one provider. Each import is dynamic, so a function only ever loads the
 * driver of the connection it tests, and the other functions never load any.
 */
export async function loadProbe(provider: Provider): Promise<Probe> {
  switch (provider) {
    case 'postgres':
      return (await import('./postgres.js')).probePostgres;
    case 'snowflake':
      return (await import('./snowflake.js')).probeSnowflake;
    case 'bigquery':
      return (await import('./bigquery.js')).probeBigQuery;
    default: {
      const unknown: never = provider;
      throw new Error(`No probe for provider ${String(unknown)}`);
    }
  }
}

/** Runs a probe within the deadline and turns every outcome into a verdict. */
export async function runProbe(probe: Probe, definition: ConnectionDefinition, limits: ProbeLimits): Promise<Verdict> {
  try {
    await withDeadline(limits.deadlineMs, (signal) => probe(definition, limits, signal));
    return { success: true, code: 'ok' };
  } catch (error) {
    if (error instanceof ProbeFailure) return { success: false, code: error.code, error: error.message };
    log.error('probe.unexpected_error', { provider: definition.provider, ...errorFields(error) });
    return { success: false, code: 'warehouse_error', error: 'The connection test failed for an unexpected reason.' };
  }
}
