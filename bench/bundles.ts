import { build, type Metafile } from 'esbuild';
import { join, resolve } from 'node:path';
import { BUNDLE_CUTS, BUNDLE_EDITS, type BundleCut, type BundleEdit } from '../infra/bundle-cuts.js';
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
  /** The ten largest packages in the files read at init, by bytes of output. */
  topPackages: [string, number][];
}

const ROOT = resolve(import.meta.dirname, '..');

export interface BundleSource {
  name: string;
  kind: Bundle['kind'];
  entry: string;
  /** The stack's cuts and edits (infra/bundle-cuts.ts) unless given. */
  cuts?: readonly BundleCut[];
  edits?: readonly BundleEdit[];
}

export const SNOWFLAKE_PROBE_ENTRY = 'bench/entries/snowflake-driver.ts';

export const BUNDLE_SOURCES: BundleSource[] = [
  ...ROUTES.map((route) => ({ name: route.functionName, kind: 'function' as const, entry: route.entry })),
  { name: 'empty handler', kind: 'reference', entry: 'bench/entries/empty.ts' },
  // What a single Lambda app with the drivers as published pays: the yardstick of every ratio, so
  // it stays uncut (cutting it too would move the yardstick, not the functions).
  { name: 'monolith', kind: 'reference', entry: 'bench/entries/monolith.ts', cuts: [], edits: [] },
  { name: 'pg probe', kind: 'driver', entry: 'bench/entries/postgres-driver.ts' },
  { name: 'snowflake probe', kind: 'driver', entry: SNOWFLAKE_PROBE_ENTRY },
  { name: 'bigquery probe', kind: 'driver', entry: 'bench/entries/bigquery-driver.ts' },
];

/** The driver bundles without the cuts: what the cuts save in bytes, lazy chunks included. */
export const UNCUT_DRIVER_SOURCES: BundleSource[] = BUNDLE_SOURCES.filter((source) => source.kind === 'driver').map((source) => ({
  ...source,
  cuts: [],
  edits: [],
}));

export async function buildBundles(outDir: string, sources: BundleSource[] = BUNDLE_SOURCES): Promise<Bundle[]> {
  const bundles: Bundle[] = [];
  for (const source of sources) {
    const dir = join(outDir, source.name.replace(/\W+/g, '-'));
    const file = join(dir, 'index.mjs');
    const options = esbuildOptions(join(ROOT, source.entry), dir, {
      ...(source.cuts ? { cuts: source.cuts } : {}),
      ...(source.edits ? { edits: source.edits } : {}),
    });
    const result = await build({ ...options, metafile: true, logLevel: 'error' });
    const outputs = result.metafile!.outputs;
    const atInit = filesReadAtInit(outputs);
    const bytesOf = (names: string[]) => names.reduce((sum, name) => sum + (outputs[name]?.bytes ?? 0), 0);
    const code = Object.keys(outputs).filter((name) => !name.endsWith('.map'));
    bundles.push({
      name: source.name,
      kind: source.kind,
      file,
      bytes: bytesOf(atInit),
      lazyBytes: bytesOf(code.filter((name) => !atInit.includes(name))),
      topPackages: topPackages({ inputs: {}, outputs: Object.fromEntries(atInit.map((name) => [name, outputs[name]!])) }),
    });
  }
  return bundles;
}

/** One step of taking the cuts in: the Snowflake probe built with the cuts (or edits) up to and including this step's. */
export interface CutStep {
  /** The modules this step cuts (one cut, or a few with the same reason), or the edits it makes. */
  cuts: (BundleCut | BundleEdit)[];
  bundle: Bundle;
}

/**
 * The Snowflake probe built with no cut, then with each cut taken in turn (BUNDLE_CUTS order;
 * consecutive cuts of one importer for one reason as one step), then with the edits, so each
 * step's saving is its own.
 */
export async function buildCutSteps(outDir: string): Promise<{ uncut: Bundle; steps: CutStep[] }> {
  const groups: BundleCut[][] = [];
  for (const cut of BUNDLE_CUTS) {
    const last = groups.at(-1)?.[0];
    if (last && last.importedFrom === cut.importedFrom && last.safeBecause === cut.safeBecause) groups.at(-1)!.push(cut);
    else groups.push([cut]);
  }
  const buildWith = (name: string, cuts: readonly BundleCut[], edits: readonly BundleEdit[]) =>
    buildBundles(outDir, [{ name, kind: 'driver', entry: SNOWFLAKE_PROBE_ENTRY, cuts, edits }]).then(([bundle]) => bundle!);
  const uncut = await buildWith('snowflake probe, uncut', [], []);
  const steps: CutStep[] = [];
  for (const [index, cuts] of groups.entries()) {
    steps.push({ cuts, bundle: await buildWith(`snowflake probe, cut step ${index + 1}`, groups.slice(0, index + 1).flat(), []) });
  }
  if (BUNDLE_EDITS.length > 0)
    steps.push({
      cuts: [...BUNDLE_EDITS],
      bundle: await buildWith(`snowflake probe, cut step ${groups.length + 1}`, BUNDLE_CUTS, BUNDLE_EDITS),
    });
  return { uncut, steps };
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
  return [...byPackage.entries()].sort((a, b) => b[1] - a[1]).slice(0, 10);
}
