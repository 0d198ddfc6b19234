/**
 * Built as a second entry point beside the test function's (snowflake-bundle.test.ts): runs the
 * Snowflake probe as the test function does (loadProbe, then runProbe under the deadline), so the
 * probe comes from the bundle's own lazy Snowflake chunk, cut as the stack deploys it.
 */
import { runProbe } from '../../lib/providers/probe.js';
import { loadProbe } from '../../lib/providers/probe-loaders.js';
import type { ProbeLimits, Verdict } from '../../lib/providers/verdict.js';
import type { ConnectionDefinition } from '../../lib/schema/connection.js';

export async function testSnowflakeConnection(definition: ConnectionDefinition, limits: ProbeLimits): Promise<Verdict> {
  return runProbe(await loadProbe('snowflake'), definition, limits);
}
