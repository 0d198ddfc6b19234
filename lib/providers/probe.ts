import type { ConnectionDefinition } from '../schema/connection.js';
import { errorFields, log } from '../log.js';
import { withDeadline } from './deadline.js';
import { ProbeFailure, StageClock, type ProbeLimits, type Verdict } from './verdict.js';

/** Opens a connection, runs a lightweight query, closes; throws on failure. Marks each stage as it begins. */
export type Probe = (definition: ConnectionDefinition, limits: ProbeLimits, signal: AbortSignal, stages: StageClock) => Promise<void>;

/** Runs a probe within the deadline and turns every outcome into a verdict. */
export async function runProbe(probe: Probe, definition: ConnectionDefinition, limits: ProbeLimits): Promise<Verdict> {
  const stages = new StageClock();
  try {
    await withDeadline(limits.deadlineMs, (signal) => probe(definition, limits, signal, stages));
    return { success: true, code: 'ok', stages: stages.finish(true) };
  } catch (error) {
    if (error instanceof ProbeFailure) {
      return {
        success: false,
        code: error.code,
        error: error.message,
        ...(error.hint ? { hint: error.hint } : {}),
        stages: stages.finish(false),
      };
    }
    log.error('probe.unexpected_error', { provider: definition.provider, ...errorFields(error) });
    return {
      success: false,
      code: 'warehouse_error',
      error: 'The connection test failed for an unexpected reason.',
      stages: stages.finish(false),
    };
  }
}
