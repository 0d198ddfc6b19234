import type { render } from './report.js';

/**
 * docs/benchmarks.md, written by `npm run bench -- --markdown` from the run's own results: the
 * tables, and reading notes whose figures come from the same results, so the page cannot drift
 * from what was measured.
 */
type Results = Parameters<typeof render>[0];

export function benchmarksPage(results: Results, tables: string): string {
  const ready = (name: string) => results.initTimes.find((time) => time.name === name)?.readyMs ?? Number.NaN;
  const ratio = (name: string) => ready(name) / ready('monolith');
  const range = (names: string[]) => {
    const ratios = names.map(ratio);
    return `${Math.min(...ratios).toFixed(2)}–${Math.max(...ratios).toFixed(2)}×`;
  };
  const latency = (name: string) => results.latency.find((row) => row.functionName === name);
  const calls = results.latency
    .map((row) => `${row.functionName.replace(/-connection$/, '')} ${row.awsCalls.length} (${row.awsCalls.join(', ')})`)
    .join('; ');
  const memory = results.memory.map((row) => row.peakRssMb);
  const driverRows = results.initTimes.filter((time) => time.kind === 'driver').map((time) => `${time.name} ${time.readyMs} ms`);

  return `# Benchmarks

\`npm run bench\` builds the four function bundles with the stack's own esbuild configuration
(\`infra/bundling.ts\`), plus two references built the same way (an empty handler, the floor, and a
monolith with all four handlers and all three drivers imported statically), and measures all of the
below in one run. \`--json\` prints the results for machines; \`--markdown\` prints them and writes
this page. \`npm run bench -- --quick\` runs in about 30 s and is part of CI: it asserts that the
bench runs and that the AWS calls per request hold, never a time.

Latest run: \`${results.command}\` on ${results.machine.cpus} × ${results.machine.cpuModel}, ${results.machine.memoryGiB} GiB,
Node.js ${results.machine.node}, ${results.date}.

![Init times](bench-init-times.svg)

${tables}
## How to read it

- **Init**: from a fresh Node process to a loaded handler, median of ${results.initTimes[0]?.samples ?? 0} processes per
  bundle, interleaved. Create, get and delete cost ${range(['create-connection', 'get-connection', 'delete-connection'])} the monolith
  (target ≤ 0.25); the test function ${ratio('test-connection').toFixed(2)}× (target ≤ 0.35). Each driver's cost appears only in
  its provider's row (${driverRows.join(', ')}), paid by the first test of that provider only.
- **Why the test function is small**: the bundles are built with esbuild code splitting. Without it
  esbuild inlines every dynamically imported module and the test function would read all three
  drivers at every cold start; with it, each driver sits in a lazy chunk the first test of that
  provider loads.
- **Warm latency** is measured in process against dynalite and the local KMS, with an SDK middleware
  on the service's own clients timing and counting every call. The *overhead* is the handler's own
  time with the waits on DynamoDB and KMS taken out: p50 ${latency('get-connection')?.overheadP50} ms for get,
  ${latency('delete-connection')?.overheadP50} ms for delete, ${latency('create-connection')?.overheadP50} ms for create. The test
  function's overhead includes the Postgres probe against a refused port. Each round is its own
  organization, so the per-organization test limit admits every test and its call is counted.
- **Calls per request**, counted by the same middleware: ${calls}. The fault-injection
  tests count them at the wire as well.
- **Time to a verdict**: the service answers within its deadline plus 250 ms on every target; each
  driver left to its defaults was still waiting when the benchmark stopped it at 30 s.
- **Memory**: peak RSS after ${results.memory[0]?.invocations ?? 0} invocations is ${Math.min(...memory)}–${Math.max(...memory)} MB. Create,
  get and delete run with 256 MB. The test function gets 1,024 MB not for memory but for CPU, which
  Lambda allocates in proportion to memory: loading a driver and the TLS, SCRAM and JWT work of a
  test are CPU-bound.

What a request costs in AWS, from these durations: [deploying.md](deploying.md#7-what-it-costs).
`;
}
