import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { BuildOptions } from 'esbuild';
import { BUNDLE_CUTS, BUNDLE_EDITS, type BundleCut, type BundleEdit } from './bundle-cuts.js';
import { bundleCuts } from './bundle-cuts-plugin.js';

/**
 * How every Lambda bundle is built. The CDK stack (through lambda-bundling.ts) and any script that
 * builds or measures bundles read these settings, so what is measured is what is deployed.
 * Kept free of aws-cdk-lib so a benchmark can import it cheaply.
 */

/** esbuild target of the Lambda runtime (Runtime.NODEJS_24_X in service-function.ts). */
export const NODE_TARGET = 'node24';

/**
 * Optional native add-ons the drivers try to load and cope without. `pg` loads pg-native only
 * when `pg.native` is used; bundling it would fail (it needs a compiled libpq binding).
 * snowflake-sdk loads its native "minicore" through eval('require'), which esbuild never sees.
 * @databricks/sql loads `lz4-napi` only for LZ4-compressed results and its Rust kernel only with
 * `useKernel`; the probe asks for neither (lib/providers/databricks/driver.ts).
 */
export const OPTIONAL_NATIVE_MODULES: readonly string[] = ['pg-native', 'lz4-napi', '@databricks/databricks-sql-kernel-*'];

/**
 * Native bindings a bundle loads at run time with require(): left external, and copied into the
 * function package beside the bundle (node_modules/<package>), for the Lambda runtime's platform
 * (arm64, service-function.ts), in exactly the bundles whose code references them (`requiredBy`).
 * npm installs only the host's platform package; the Lambda's comes from infra/lambda-natives,
 * which the root postinstall installs from the npm registry with --cpu=arm64 (scripts/install-lambda-natives.mjs).
 * @duckdb/node-api loads `@duckdb/node-bindings-<platform>/duckdb.node`, which loads libduckdb.so
 * beside it (its RUNPATH is $ORIGIN).
 */
export const LAMBDA_NATIVE_BINDINGS = [
  {
    requiredBy: 'node_modules/@duckdb/node-bindings/',
    package: '@duckdb/node-bindings-linux-arm64',
    files: ['package.json', 'duckdb.node', 'libduckdb.so'],
  },
] as const;
const NATIVE_BINDING_EXTERNALS = ['@duckdb/node-bindings-*'];
export const LAMBDA_NATIVES_DIR = fileURLToPath(new URL('./lambda-natives/node_modules/', import.meta.url));

/**
 * Copies the bindings the bundle's inputs need into `outdir/node_modules`; returns the packages copied.
 * Throws when one is missing: a function without its binding must not be deployed.
 */
export function copyNativeBindings(inputs: readonly string[], outdir: string, from = LAMBDA_NATIVES_DIR): string[] {
  const copied: string[] = [];
  for (const binding of LAMBDA_NATIVE_BINDINGS) {
    if (!inputs.some((input) => input.includes(binding.requiredBy))) continue;
    const source = join(from, binding.package);
    if (!existsSync(join(source, 'package.json')))
      throw new Error(`${binding.package} is not installed in ${from}: run npm ci (its postinstall installs the Lambda's native bindings)`);
    const target = join(outdir, 'node_modules', binding.package);
    mkdirSync(target, { recursive: true });
    for (const file of binding.files) copyFileSync(join(source, file), join(target, file));
    copied.push(binding.package);
  }
  return copied;
}

/**
 * The bundles are ES modules, but CommonJS dependencies bundled into them still call require()
 * for Node built-ins; esbuild's shim forwards to a `require` in scope, which this banner creates.
 */
export const REQUIRE_BANNER =
  "import { createRequire as __bundleCreateRequire } from 'node:module'; const require = __bundleCreateRequire(import.meta.url);";

/**
 * Supplies __dirname and __filename to CommonJS dependencies that read them at load time (the
 * `open` package under snowflake-sdk does). Injected rather than put in the banner, so esbuild
 * renames around any bundled module that declares the same names itself.
 */
export const ESM_SHIMS_FILE = fileURLToPath(new URL('./esm-shims.ts', import.meta.url));

/**
 * The bundle's entry file in the function package (handler `index.handler`): Lambda's Node
 * runtime loads .mjs as an ES module without a package.json beside it.
 */
export const BUNDLE_FILE_NAME = 'index.mjs';

export const LAMBDA_BUNDLE = {
  platform: 'node',
  target: NODE_TARGET,
  format: 'esm',
  /** Packages that ship both builds resolve to their ES module build. */
  mainFields: ['module', 'main'],
  minify: true,
  /** Minifying would otherwise rename classes, and errors name themselves after their class (lib/errors.ts). */
  keepNames: true,
  /** A .map beside the bundle; the functions run with NODE_OPTIONS=--enable-source-maps. */
  sourcemap: true,
  /** Stack traces need positions, not sources; leaving them out halves the map. */
  sourcesContent: false,
  banner: REQUIRE_BANNER,
  inject: [ESM_SHIMS_FILE],
  /**
   * The AWS SDK is bundled, not taken from the runtime: the functions run the pinned, tested SDK
   * version, and a bundled, minified SDK loads faster than the runtime's copy.
   */
  external: OPTIONAL_NATIVE_MODULES,
} as const;

/**
 * The bundle of one function, written to `outdir` as the stack deploys it: index.mjs plus, where
 * the code imports dynamically (the test function's providers), one chunk per dynamic import.
 * Code splitting is what keeps a driver's code out of the files a cold start reads: without it
 * esbuild inlines every dynamically imported module, and the test function would parse all three
 * drivers (4 MB) on every cold start, whichever one the connection needs.
 */
export function esbuildOptions(
  entry: string,
  outdir: string,
  { cuts = BUNDLE_CUTS, edits = BUNDLE_EDITS }: { cuts?: readonly BundleCut[]; edits?: readonly BundleEdit[] } = {},
): BuildOptions {
  return {
    entryPoints: { index: entry },
    outdir,
    splitting: true,
    outExtension: { '.js': '.mjs' },
    chunkNames: 'chunks/[name]-[hash]',
    bundle: true,
    platform: LAMBDA_BUNDLE.platform,
    target: LAMBDA_BUNDLE.target,
    format: LAMBDA_BUNDLE.format,
    mainFields: [...LAMBDA_BUNDLE.mainFields],
    minify: LAMBDA_BUNDLE.minify,
    keepNames: LAMBDA_BUNDLE.keepNames,
    sourcemap: LAMBDA_BUNDLE.sourcemap,
    sourcesContent: LAMBDA_BUNDLE.sourcesContent,
    banner: { js: LAMBDA_BUNDLE.banner },
    inject: [...LAMBDA_BUNDLE.inject],
    external: [...LAMBDA_BUNDLE.external, ...NATIVE_BINDING_EXTERNALS],
    /** Driver code the probes never run is left out (bundle-cuts.ts); none only for references. */
    plugins: [bundleCuts({ cuts, edits })],
  };
}

const PROJECT_ROOT = fileURLToPath(new URL('..', import.meta.url));
const BUILD_SCRIPT = fileURLToPath(new URL('./build-bundle.ts', import.meta.url));

/**
 * Builds one function's bundle with esbuildOptions, synchronously, for CDK's local bundling.
 * esbuild runs plugins (the cuts) only in its asynchronous API, so the build runs in a child
 * process (build-bundle.ts, through tsx like the CDK app itself) and this waits for it.
 */
export function buildBundleSync(entry: string, outdir: string): void {
  execFileSync(process.execPath, ['--import', 'tsx', BUILD_SCRIPT, entry, outdir], { cwd: PROJECT_ROOT, stdio: 'inherit' });
}
