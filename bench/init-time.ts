import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { Bundle } from './bundles.js';
import { nodeLabel, type BenchNode } from './nodes.js';
import { median, round } from './stats.js';

const run = promisify(execFile);
const CHILD = join(import.meta.dirname, 'child-init.mjs');

export interface InitTime {
  name: string;
  kind: Bundle['kind'];
  /** The Node.js that ran it (version and role). */
  node: string;
  /** Median time from the start of a fresh Node process until the handler module is loaded. */
  readyMs: number;
  /** Median time spent importing the bundle alone. */
  importMs: number;
  /** Median CPU time (user and system) of the process until ready: steadier than wall time on a busy machine. */
  cpuMs: number;
  samples: number;
}

/**
 * Each bundle is loaded in `samples` fresh processes of each Node.js, interleaved (bundle by
 * bundle, Node by Node, round by round) so machine noise spreads evenly over every row.
 */
export async function measureInitTimes(
  bundles: Pick<Bundle, 'name' | 'kind' | 'file'>[],
  samples: number,
  env: NodeJS.ProcessEnv,
  nodes: BenchNode[],
): Promise<InitTime[]> {
  const key = (bundle: Pick<Bundle, 'name'>, node: BenchNode) => `${bundle.name}\n${node.version}`;
  const results = new Map<string, { ready: number[]; imported: number[]; cpu: number[] }>();
  for (let round_ = 0; round_ < samples; round_ += 1) {
    for (const bundle of bundles) {
      for (const node of nodes) {
        const { stdout } = await run(node.path, [CHILD, bundle.file], { env });
        const sample = JSON.parse(stdout) as { importMs: number; sinceProcessStartMs: number; cpuMs: number };
        const series = results.get(key(bundle, node)) ?? { ready: [], imported: [], cpu: [] };
        series.ready.push(sample.sinceProcessStartMs);
        series.imported.push(sample.importMs);
        series.cpu.push(sample.cpuMs);
        results.set(key(bundle, node), series);
      }
    }
  }
  return nodes.flatMap((node) =>
    bundles.map((bundle) => {
      const { ready, imported, cpu } = results.get(key(bundle, node))!;
      return {
        name: bundle.name,
        kind: bundle.kind,
        node: nodeLabel(node),
        readyMs: round(median(ready)),
        importMs: round(median(imported)),
        cpuMs: round(median(cpu)),
        samples,
      };
    }),
  );
}
