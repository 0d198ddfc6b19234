import { execFile } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { Bundle } from './bundles.js';
import { eventFor, route } from './invoke.js';
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
  statuses: number[];
}

/** Each function bundle in its own process of each Node.js, invoked `invocations` times against the local backends. */
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
      await writeFile(
        eventFile,
        JSON.stringify(eventFor(bundle.name, org, bundle.name === 'create-connection' ? connectionBody : undefined)),
      );
      const { stdout } = await run(
        node.path,
        [join(import.meta.dirname, 'child-memory.mjs'), bundle.file, eventFile, String(invocations)],
        {
          env,
          maxBuffer: 1 << 20,
        },
      );
      const sample = JSON.parse(stdout) as { maxRssMb: number; statuses: number[] };
      results.push({
        functionName: bundle.name,
        node: nodeLabel(node),
        invocations,
        peakRssMb: round(sample.maxRssMb),
        configuredMb: route(bundle.name).memoryMb,
        statuses: sample.statuses,
      });
    }
  }
  return results;
}
