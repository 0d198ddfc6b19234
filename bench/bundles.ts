import { build, type Metafile } from 'esbuild';
import { join, resolve } from 'node:path';
import { esbuildOptions } from '../infra/bundling.js';
import { ROUTES } from '../lib/routes.js';

/** Bundles built exactly as the CDK stack builds them (infra/bundling.ts), plus the references. */
export interface Bundle {
  name: string;
  kind: 'function' | 'reference' | 'driver';
  file: string;
  /** The entry file: what a cold start reads. */
  bytes: number;
  /** Chunks loaded only by a dynamic import (the test function's drivers). */
  lazyBytes: number;
  /** The largest packages in the entry file, by bytes of output. */
  topPackages: [string, number][];
}

const ROOT = resolve(import.meta.dirname, '..');

export const BUNDLE_SOURCES: { name: string; kind: Bundle['kind']; entry: string }[] = [
  ...ROUTES.map((route) => ({ name: route.functionName, kind: 'function' as const, entry: route.entry })),
  { name: 'empty handler', kind: 'reference', entry: 'bench/entries/empty.ts' },
  { name: 'monolith', kind: 'reference', entry: 'bench/entries/monolith.ts' },
  { name: 'pg probe', kind: 'driver', entry: 'bench/entries/postgres-driver.ts' },
  { name: 'snowflake probe', kind: 'driver', entry: 'bench/entries/snowflake-driver.ts' },
  { name: 'bigquery probe', kind: 'driver', entry: 'bench/entries/bigquery-driver.ts' },
];

export async function buildBundles(outDir: string): Promise<Bundle[]> {
  const bundles: Bundle[] = [];
  for (const source of BUNDLE_SOURCES) {
    const dir = join(outDir, source.name.replace(/\W+/g, '-'));
    const file = join(dir, 'index.mjs');
    const result = await build({ ...esbuildOptions(join(ROOT, source.entry), dir), metafile: true, logLevel: 'error' });
    const outputs = result.metafile!.outputs;
    const atInit = filesReadAtInit(outputs);
    const bytesOf = (names: string[]) => names.reduce((sum, name) => sum + (outputs[name]?.bytes ?? 0), 0);
    const code = Object.keys(outputs).filter((name) => !name.endsWith('.map'));
    bundles.push({
      ...source,
      file,
      bytes: bytesOf(atInit),
      lazyBytes: bytesOf(code.filter((name) => !atInit.includes(name))),
      topPackages: topPackages({ inputs: {}, outputs: Object.fromEntries(atInit.map((name) => [name, outputs[name]!])) }),
    });
  }
  return bundles;
}

/** The entry file and every chunk it imports statically, transitively: what a cold start loads. */
function filesReadAtInit(outputs: Metafile['outputs']): string[] {
  const entry = Object.keys(outputs).find((name) => name.endsWith('/index.mjs') && !name.includes('/chunks/'))!;
  const seen = new Set<string>([entry]);
  const queue = [entry];
  while (queue.length > 0) {
    for (const imported of outputs[queue.pop()!]!.imports) {
      if (imported.kind === 'import-statement' && !imported.external && !seen.has(imported.path)) {
        seen.add(imported.path);
        queue.push(imported.path);
      }
    }
  }
  return [...seen];
}

function topPackages(metafile: Metafile): [string, number][] {
  const byPackage = new Map<string, number>();
  for (const output of Object.values(metafile.outputs)) {
    for (const [input, { bytesInOutput }] of Object.entries(output.inputs)) {
      const match = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(input);
      const name = match?.[1] ?? '(project code)';
      byPackage.set(name, (byPackage.get(name) ?? 0) + bytesInOutput);
    }
  }
  return [...byPackage.entries()].sort((a, b) => b[1] - a[1]).slice(0, 4);
}
