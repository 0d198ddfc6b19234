import { execFile } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { Bundle } from './bundles.js';
import { functionOf, isRoute } from '../lib/routes.js';
import { eventFor, invokeEventFor } from './invoke.js';
import { nodeLabel, type BenchNode } from './nodes.js';
import { round } from './stats.js';

const run = promisify(execFile);

export interface MemoryUse {
  functionName: string;
  /** The Node.js that ran it (version and role). */
  node: string;
  invocations: number;
  peakRssMb: number;
  configuredMb: number;
  /** HTTP statuses, or the resolver's answer codes. */
  statuses: (number | string)[];
}

/**
 * Each function bundle in its own process of each Node.js, invoked `invocations` times against the
 * local backends: a route's function with its API Gateway event, the resolver with a Lambda Invoke
 * payload (for an organization without a connection: it answers not found, and audits the call).
 */
export async function measureMemory(
  bundles: Bundle[],
  invocations: number,
  org: string,
  connectionBody: unknown,
  workDir: string,
  env: NodeJS.ProcessEnv,
  nodes: BenchNode[],
): Promise<MemoryUse[]> {
  await mkdir(workDir, { recursive: true });
  const results: MemoryUse[] = [];
  for (const node of nodes) {
    for (const bundle of bundles.filter((candidate) => candidate.kind === 'function')) {
      const eventFile = join(workDir, `${bundle.name}.event.json`);
      const event = isRoute(functionOf(bundle.name))
        ? eventFor(bundle.name, org, bundle.name === 'create-connection' ? connectionBody : undefined)
        : invokeEventFor(org);
      await writeFile(eventFile, JSON.stringify(event));
      const { stdout } = await run(
        node.path,
        [join(import.meta.dirname, 'child-memory.mjs'), bundle.file, eventFile, String(invocations)],
        {
          env,
          maxBuffer: 1 << 20,
        },
      );
      const sample = JSON.parse(stdout) as { maxRssMb: number; statuses: (number | string)[] };
      results.push({
        functionName: bundle.name,
        node: nodeLabel(node),
        invocations,
        peakRssMb: round(sample.maxRssMb),
        configuredMb: functionOf(bundle.name).memoryMb,
        statuses: sample.statuses,
      });
    }
  }
  return results;
}
