import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, test } from '@jest/globals';
import { build, type Metafile } from 'esbuild';
import { ROUTES } from '../../lib/routes.js';
import { PROVIDER_IDS } from '../../lib/providers/ids.js';
import { BUNDLE_FILE_NAME, copyNativeBindings, esbuildOptions, REQUIRE_BANNER } from '../../infra/bundling.js';
import { PROJECT_ROOT } from './synthesize.js';

/**
 * The bundles as the stack builds them (infra/bundling.ts), built with esbuild directly: what each
 * one contains, and that each loads and answers in Node as an ES module.
 */
const outdir = mkdtempSync(join(tmpdir(), 'warehouse-connections-bundles-'));
afterAll(() => rmSync(outdir, { recursive: true, force: true }));

const DRIVERS = ['pg', 'snowflake-sdk', '@google-cloud/bigquery', '@duckdb/node-api'];
/**
 * The modules that load and run drivers: the probe runner and loaders, and each provider's folder but
 * its schemas (create validates with them). lib/providers also holds small helpers any function may use.
 */
const PROBE_MODULE = new RegExp(
  `^lib/providers/(probe|probe-loaders)\\.ts$|^lib/providers/(${PROVIDER_IDS.join('|')})/(?!(schema|stored)\\.ts$)`,
);

const bundles = new Map(
  await Promise.all(
    ROUTES.map(async (route) => {
      const functionDir = join(outdir, route.functionName);
      const outfile = join(functionDir, BUNDLE_FILE_NAME);
      const { metafile } = await build({
        ...esbuildOptions(join(PROJECT_ROOT, route.entry), functionDir),
        metafile: true,
        logLevel: 'silent',
      });
      // As build-bundle.ts does for the stack: the native bindings the bundle's code loads.
      copyNativeBindings(Object.keys(metafile.inputs), functionDir);
      return [route.functionName, { outfile, metafile: metafile as Metafile }] as const;
    }),
  ),
);

function bundleOf(functionName: string) {
  const bundle = bundles.get(functionName);
  if (!bundle) throw new Error(`No bundle for ${functionName}`);
  return bundle;
}

function packagesIn(metafile: Metafile): Set<string> {
  const packages = new Set<string>();
  for (const input of Object.keys(metafile.inputs)) {
    const path = input.split('node_modules/').at(-1);
    if (path === undefined || path === input) continue;
    const parts = path.split('/');
    packages.add(path.startsWith('@') ? `${parts[0]}/${parts[1]}` : (parts[0] ?? ''));
  }
  return packages;
}

const sources = (metafile: Metafile) => Object.keys(metafile.inputs).filter((input) => !input.includes('node_modules/'));

/** Runs a module script in a fresh Node process, offline, and returns what it printed. */
function runInNode(script: string, env: Record<string, string> = {}): string {
  return execFileSync(process.execPath, ['--enable-source-maps', '--input-type=module', '-e', script], {
    env: { PATH: process.env.PATH ?? '', AWS_REGION: 'us-east-1', AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true', ...env },
    encoding: 'utf8',
    timeout: 30_000,
  });
}

describe('what each bundle contains', () => {
  test('the test function carries the pg driver, loaded on demand', () => {
    const { metafile } = bundleOf('test-connection');
    expect(packagesIn(metafile)).toContain('pg');
    expect(sources(metafile)).toContain('lib/providers/postgres/probe.ts');
    expect(packagesIn(metafile)).not.toContain('pg-native');
  });

  test.each(['create-connection', 'get-connection', 'delete-connection'])('%s carries no driver and no probe code', (functionName) => {
    const { metafile } = bundleOf(functionName);
    for (const driver of DRIVERS) expect(packagesIn(metafile)).not.toContain(driver);
    expect(sources(metafile).filter((source) => PROBE_MODULE.test(source))).toEqual([]);
  });

  test.each(ROUTES.map((route) => route.functionName))('%s is an ES module that can require(), with a source map', (functionName) => {
    const { outfile } = bundleOf(functionName);
    const code = readFileSync(outfile, 'utf8');
    expect(code.startsWith(REQUIRE_BANNER)).toBe(true);
    expect(code).toMatch(/\/\/# sourceMappingURL=index\.mjs\.map\s*$/);
    expect(JSON.parse(readFileSync(`${outfile}.map`, 'utf8'))).toMatchObject({ version: 3 });
  });
});

describe('the test function reads a driver only when a connection needs it', () => {
  /** The inputs of the files a cold start reads: the entry file and the chunks it imports statically. */
  function loadedAtInit(metafile: Metafile): Metafile {
    const entry = Object.keys(metafile.outputs).find((name) => name.endsWith(`/${BUNDLE_FILE_NAME}`) && !name.includes('/chunks/'))!;
    const files = new Set([entry]);
    for (const file of files) {
      for (const imported of metafile.outputs[file]!.imports)
        if (imported.kind === 'import-statement' && !imported.external) files.add(imported.path);
    }
    return {
      inputs: Object.fromEntries([...files].flatMap((file) => Object.keys(metafile.outputs[file]!.inputs).map((input) => [input, {}]))),
    } as unknown as Metafile;
  }
  const packagesLoadedAtInit = (metafile: Metafile) => packagesIn(loadedAtInit(metafile));

  test('a cold start loads the stored shapes only, no request schema: a new provider does not grow it', () => {
    const atInit = sources(loadedAtInit(bundleOf('test-connection').metafile));
    const storedShapes = atInit.filter((source) => /^lib\/providers\/[a-z]+\/stored\.ts$/.test(source));
    expect(storedShapes).toHaveLength(PROVIDER_IDS.length);
    expect(atInit.filter((source) => /^lib\/providers\/[a-z]+\/schema\.ts$|request-schemas\.ts$/.test(source))).toEqual([]);
  });

  test('no driver is in the entry file or its static imports; each driver sits in its own lazy chunk', () => {
    const { metafile } = bundleOf('test-connection');
    const atInit = packagesLoadedAtInit(metafile);
    for (const driver of DRIVERS) expect(atInit).not.toContain(driver);
    const chunksWithDrivers = Object.keys(metafile.outputs).filter((name) =>
      DRIVERS.some((driver) => Object.keys(metafile.outputs[name]!.inputs).some((input) => input.includes(`node_modules/${driver}/`))),
    );
    expect(chunksWithDrivers.length).toBeGreaterThanOrEqual(1);
    expect(chunksWithDrivers.every((name) => name.includes('/chunks/'))).toBe(true);
  });
});

describe('each bundle runs', () => {
  test('every handler loads and refuses a request without a verified identity (401)', () => {
    const paths = ROUTES.map((route) => bundleOf(route.functionName).outfile);
    const script = `
      const statuses = [];
      for (const path of ${JSON.stringify(paths)}) {
        const { handler } = await import(path);
        const event = { version: '2.0', routeKey: '$default', rawPath: '/', headers: {}, requestContext: { requestId: 'r-1', http: { method: 'GET', path: '/' } }, isBase64Encoded: false };
        statuses.push((await handler(event, {})).statusCode);
      }
      process.stdout.write(JSON.stringify(statuses));`;
    // Offline: no credentials, and the handlers refuse before any AWS call.
    const output = runInNode(script, {
      TABLE_NAME: 'connections',
      KMS_KEY_ID: 'arn:aws:kms:us-east-1:111122223333:key/test',
      LOG_LEVEL: 'silent',
    });
    expect(JSON.parse(output)).toEqual(ROUTES.map(() => 401));
  }, 60_000);
});

describe('the drivers bundle on their own with the shared settings', () => {
  // The test function loads them from its lazy chunks (exercised end to end by the deployment
  // rehearsal, test/rehearsal); this builds them alone, so a settings change that breaks one
  // (snowflake-sdk needs the __dirname shim) is named here first.
  test('snowflake-sdk and @google-cloud/bigquery bundle, load and build clients without a network', async () => {
    const driversDir = join(outdir, 'drivers');
    const outfile = join(driversDir, BUNDLE_FILE_NAME);
    const contents = `
      export async function clients() {
        const snowflake = (await import('snowflake-sdk')).default;
        snowflake.configure({ logLevel: 'OFF' });
        const connection = snowflake.createConnection({ account: 'example-account', username: 'u', password: 'p' });
        const { BigQuery } = await import('@google-cloud/bigquery');
        const bigquery = new BigQuery({ projectId: 'example', credentials: { client_email: 'x@example.iam.gserviceaccount.com', private_key: 'none' } });
        return [typeof connection.connect, typeof bigquery.query];
      }`;
    const { entryPoints: _entry, ...options } = esbuildOptions('unused', driversDir);
    await build({
      ...options,
      splitting: false,
      outdir: undefined,
      outfile,
      stdin: { contents, resolveDir: PROJECT_ROOT, loader: 'ts', sourcefile: 'drivers.ts' },
      logLevel: 'silent',
    });
    const output = runInNode(
      `const { clients } = await import(${JSON.stringify(outfile)}); process.stdout.write(JSON.stringify(await clients()));`,
      {
        SNOWFLAKE_DISABLE_MINICORE: 'true',
        // Loading snowflake-sdk otherwise probes cloud metadata addresses and STS.
        SNOWFLAKE_DISABLE_PLATFORM_DETECTION: 'true',
      },
    );
    expect(JSON.parse(output)).toEqual(['function', 'function']);
  }, 60_000);
});

describe('the DuckDB binding (MotherDuck) reaches the test function only, built for the Lambda runtime', () => {
  /** ELF e_machine of AArch64 (EM_AARCH64): the Lambda functions run on arm64 (infra/service-function.ts). */
  const EM_AARCH64 = 183;
  const bindingDir = (functionName: string) => join(outdir, functionName, 'node_modules/@duckdb/node-bindings-linux-arm64');

  test('the test function package holds an aarch64 duckdb.node and libduckdb.so where the chunk that requires it finds them', () => {
    const dir = join(outdir, 'test-connection');
    const chunk = readdirSync(join(dir, 'chunks'))
      .map((name) => join(dir, 'chunks', name))
      .find((file) => file.endsWith('.mjs') && readFileSync(file, 'utf8').includes('@duckdb/node-bindings-linux-arm64/duckdb.node'));
    expect(chunk).toBeDefined();
    const resolved = createRequire(chunk!).resolve('@duckdb/node-bindings-linux-arm64/duckdb.node');
    expect(resolved).toBe(join(bindingDir('test-connection'), 'duckdb.node'));
    for (const file of ['duckdb.node', 'libduckdb.so']) {
      const elf = readFileSync(join(bindingDir('test-connection'), file)).subarray(0, 20);
      expect(elf.subarray(0, 4).toString('latin1')).toBe('\x7fELF');
      expect(elf.readUInt16LE(18)).toBe(EM_AARCH64);
    }
  });

  test('the chunk with the binding is not one a cold start reads, and no other function carries it', () => {
    const { metafile } = bundleOf('test-connection');
    const entry = Object.entries(metafile.outputs).find(([name]) => name.endsWith(`/${BUNDLE_FILE_NAME}`) && !name.includes('/chunks/'))!;
    expect(Object.keys(entry[1].inputs).some((input) => input.includes('@duckdb/'))).toBe(false);
    for (const route of ROUTES.filter((candidate) => candidate.functionName !== 'test-connection'))
      expect(existsSync(bindingDir(route.functionName))).toBe(false);
  });
});
