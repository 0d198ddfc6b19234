import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { Bundle } from './bundles.js';
import { median, round } from './stats.js';

const run = promisify(execFile);
const CHILD = join(import.meta.dirname, 'child-init.mjs');

export interface InitTime {
  name: string;
  kind: Bundle['kind'];
  /** Median time from the start of a fresh Node process until the handler module is loaded. */
  readyMs: number;
  /** Median time spent importing the bundle alone. */
  importMs: number;
  samples: number;
}

/** Each bundle is loaded in `samples` fresh processes, interleaved so machine noise spreads evenly. */
export async function measureInitTimes(bundles: Bundle[], samples: number, env: NodeJS.ProcessEnv): Promise<InitTime[]> {
  const results = new Map(bundles.map((bundle) => [bundle.name, { ready: [] as number[], imported: [] as number[] }]));
  for (let round_ = 0; round_ < samples; round_ += 1) {
    for (const bundle of bundles) {
      const { stdout } = await run(process.execPath, [CHILD, bundle.file], { env });
      const sample = JSON.parse(stdout) as { importMs: number; sinceProcessStartMs: number };
      results.get(bundle.name)!.ready.push(sample.sinceProcessStartMs);
      results.get(bundle.name)!.imported.push(sample.importMs);
    }
  }
  return bundles.map((bundle) => {
    const { ready, imported } = results.get(bundle.name)!;
    return { name: bundle.name, kind: bundle.kind, readyMs: round(median(ready)), importMs: round(median(imported)), samples };
  });
}
