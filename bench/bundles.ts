import { build, type Metafile, type Plugin } from 'esbuild';
import { join, resolve } from 'node:path';
import { BUNDLE_CUTS, BUNDLE_EDITS, type BundleCut, type BundleEdit } from '../infra/bundle-cuts.js';
import { esbuildOptions } from '../infra/bundling.js';
import { PROVIDER_IDS, type ProviderId } from '../lib/providers/ids.js';
import { PROVIDERS } from '../lib/providers/registry.js';
import { FUNCTIONS, isRoute, routeKey } from '../lib/routes.js';

/** Bundles built exactly as the CDK stack builds them (infra/bundling.ts), plus the references. */
export interface Bundle {
  name: string;
  kind: 'function' | 'reference' | 'driver';
  file: string;
  /** The entry file: what a cold start reads (for a driver row, what its first test reads). */
  bytes: number;
  /** Chunks loaded only by a dynamic import (the test function's drivers; a driver row's further lazy parts). */
  lazyBytes: number;
  /** The ten largest packages in the files read at init, by bytes of output. */
  topPackages: [string, number][];
}

const ROOT = resolve(import.meta.dirname, '..');

export interface BundleSource {
  name: string;
  kind: Bundle['kind'];
  /** A file relative to the project root, or `virtual:<name>` for an entry written by the bench (VIRTUAL_ENTRIES). */
  entry: string;
  /** The provider of a driver row: its entry is built for it (PROBE_ENTRY's defines). */
  provider?: ProviderId;
  /** The stack's cuts and edits (infra/bundle-cuts.ts) unless given. */
  cuts?: readonly BundleCut[];
  edits?: readonly BundleEdit[];
}

/** One entry for every provider's row, built once per provider with its id and its registry's driver. */
export const PROBE_ENTRY = 'bench/entries/probe.ts';

/** Earlier names of driver rows, kept so the history of docs/benchmarks.md stays comparable. */
const DRIVER_ROW_NAMES: Partial<Record<ProviderId, string>> = { postgres: 'pg probe' };

export const driverRowName = (provider: ProviderId) => DRIVER_ROW_NAMES[provider] ?? `${provider} probe`;

/** A driver row per provider of the registry, whatever providers it holds when the bench runs. */
export const DRIVER_SOURCES: BundleSource[] = PROVIDER_IDS.map((provider) => ({
  name: driverRowName(provider),
  kind: 'driver',
  entry: PROBE_ENTRY,
  provider,
}));

/**
 * A second reference beside the yardstick: every function's handler and every provider's driver
 * imported statically, as one Lambda app would carry them all today (uncut, like the monolith).
 */
function monolithOfEverything(): string {
  const functions = FUNCTIONS.map((spec, index) => ({ spec, name: `handler${index}` }));
  return [
    ...[...new Set(PROVIDER_IDS.map((provider) => PROVIDERS[provider].driver))].map((driver) => `import '${driver}';`),
    ...functions.map(({ spec, name }) => `import { handler as ${name} } from './${spec.entry}';`),
    'const byRoute = {',
    ...functions.flatMap(({ spec, name }) => (isRoute(spec) ? [`  ${JSON.stringify(routeKey(spec))}: ${name},`] : [])),
    '};',
    '/** A route key dispatches to its handler; anything else is a Lambda Invoke of the resolver. */',
    `export const handler = (event, context) => (byRoute[event?.routeKey] ?? ${functions.find(({ spec }) => !isRoute(spec))?.name ?? 'undefined'})(event, context);`,
  ].join('\n');
}

const VIRTUAL_ENTRIES: Record<string, () => string> = { 'monolith-all': monolithOfEverything };

export const BUNDLE_SOURCES: BundleSource[] = [
  // Every function the stack deploys: the routes' and the resolver (Lambda Invoke only).
  ...FUNCTIONS.map((spec) => ({ name: spec.functionName, kind: 'function' as const, entry: spec.entry })),
  { name: 'empty handler', kind: 'reference', entry: 'bench/entries/empty.ts' },
  // What a single Lambda app with the drivers as published pays: the yardstick of every ratio, so
  // it stays uncut (cutting it too would move the yardstick, not the functions). It holds the first
  // four routes and three drivers, as it did when the ratios were first taken; the row after it
  // holds everything, for scale, without moving the yardstick.
  { name: 'monolith', kind: 'reference', entry: 'bench/entries/monolith.ts', cuts: [], edits: [] },
  { name: 'monolith (all functions, all drivers)', kind: 'reference', entry: 'virtual:monolith-all', cuts: [], edits: [] },
  ...DRIVER_SOURCES,
];

/** The driver bundles without the cuts: what the cuts save in bytes, lazy chunks included. */
export const UNCUT_DRIVER_SOURCES: BundleSource[] = DRIVER_SOURCES.map((source) => ({ ...source, cuts: [], edits: [] }));

const SNOWFLAKE_SOURCE = DRIVER_SOURCES.find((source) => source.provider === 'snowflake')!;

/** The bench's own entries, given to esbuild as modules of a namespace of their own. */
const virtualEntries: Plugin = {
  name: 'bench-virtual-entries',
  setup(build) {
    build.onResolve({ filter: /^virtual:/ }, (args) => ({ path: args.path.slice('virtual:'.length), namespace: 'bench-virtual' }));
    build.onLoad({ filter: /.*/, namespace: 'bench-virtual' }, (args) => ({
      contents: VIRTUAL_ENTRIES[args.path]!(),
      loader: 'js',
      resolveDir: ROOT,
    }));
  },
};

export async function buildBundles(outDir: string, sources: BundleSource[] = BUNDLE_SOURCES): Promise<Bundle[]> {
  const bundles: Bundle[] = [];
  for (const source of sources) {
    const dir = join(outDir, source.name.replace(/\W+/g, '-'));
    const file = join(dir, 'index.mjs');
    const virtual = source.entry.startsWith('virtual:');
    const options = esbuildOptions(virtual ? source.entry : join(ROOT, source.entry), dir, {
      ...(source.cuts ? { cuts: source.cuts } : {}),
      ...(source.edits ? { edits: source.edits } : {}),
    });
    const result = await build({
      ...options,
      ...(virtual ? { plugins: [virtualEntries, ...(options.plugins ?? [])] } : {}),
      ...(source.provider ? { define: probeDefines(source.provider) } : {}),
      metafile: true,
      logLevel: 'error',
    });
    const outputs = result.metafile!.outputs;
    const atInit = filesReadAtInit(outputs, source.provider);
    const bytesOf = (names: string[]) => names.reduce((sum, name) => sum + (outputs[name]?.bytes ?? 0), 0);
    // A driver row's bundle holds every provider's probe chunk (its entry's loader names them all):
    // only what its own probe and driver can load later counts as lazy.
    const reachable = source.provider
      ? [
          ...atInit,
          ...reachableFrom(
            outputs,
            atInit.filter((name) => !isEntryFile(name)),
          ),
        ]
      : Object.keys(outputs).filter((name) => !name.endsWith('.map'));
    bundles.push({
      name: source.name,
      kind: source.kind,
      file,
      bytes: bytesOf(atInit),
      lazyBytes: bytesOf(reachable.filter((name) => !atInit.includes(name))),
      topPackages: topPackages({ inputs: {}, outputs: Object.fromEntries(atInit.map((name) => [name, outputs[name]!])) }),
    });
  }
  return bundles;
}

/** What bench/entries/probe.ts loads: this provider's probe, through the loader, and the driver its registry entry names. */
function probeDefines(provider: ProviderId): Record<string, string> {
  return { BENCH_PROVIDER: JSON.stringify(provider), BENCH_DRIVER: JSON.stringify(PROVIDERS[provider].driver) };
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
    buildBundles(outDir, [{ ...SNOWFLAKE_SOURCE, name, cuts, edits }]).then(([bundle]) => bundle!);
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

/**
 * The entry file and every chunk it imports statically, transitively: what a cold start loads. For
 * a driver row, also what its entry's top-level awaits load: the provider's probe chunk (a provider
 * is one folder, lib/providers/<id>/) and its registry's driver, each with their static imports.
 */
function filesReadAtInit(outputs: Metafile['outputs'], provider?: ProviderId): string[] {
  const entry = Object.keys(outputs).find(isEntryFile)!;
  const starts = [entry];
  if (provider) {
    const driver = PROVIDERS[provider].driver;
    const loaded = outputs[entry]!.imports.filter((imported) => imported.kind === 'dynamic-import');
    const probe = loaded.find((imported) => outputs[imported.path]?.entryPoint === `lib/providers/${provider}/probe.ts`);
    // A driver left external (a native add-on) loads from node_modules: no bundled bytes to count.
    const driverChunk = loaded.find(
      (imported) => !imported.external && `/${outputs[imported.path]?.entryPoint ?? ''}`.includes(`/node_modules/${driver}/`),
    );
    const driverExternal = loaded.some((imported) => imported.external && imported.path === driver);
    if (!probe || (!driverChunk && !driverExternal))
      throw new Error(`The ${provider} probe bundle does not load lib/providers/${provider}/probe.ts and ${driver} from its entry`);
    starts.push(probe.path, ...(driverChunk ? [driverChunk.path] : []));
  }
  return closure(outputs, starts, (kind) => kind === 'import-statement');
}

const isEntryFile = (name: string) => name.endsWith('/index.mjs') && !name.includes('/chunks/');

/** Every file the given ones can load, statically or dynamically, themselves included. */
function reachableFrom(outputs: Metafile['outputs'], files: string[]): string[] {
  return closure(outputs, files, (kind) => kind === 'import-statement' || kind === 'dynamic-import');
}

function closure(outputs: Metafile['outputs'], starts: string[], follows: (kind: string) => boolean): string[] {
  const seen = new Set<string>(starts);
  const queue = [...starts];
  while (queue.length > 0) {
    for (const imported of outputs[queue.pop()!]!.imports) {
      if (follows(imported.kind) && !imported.external && !seen.has(imported.path)) {
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
