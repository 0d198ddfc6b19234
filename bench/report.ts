/** Renders bench results as a terminal table and as markdown (docs/benchmarks.md). */
interface Results {
  machine: { cpus: number; cpuModel: string; memoryGiB: number; node: string };
  command: string;
  date: string;
  deadlineMs: number;
  bundles: { name: string; kind: string; bytes: number; lazyBytes: number; topPackages: [string, number][] }[];
  initTimes: { name: string; kind: string; readyMs: number; importMs: number; samples: number }[];
  latency: {
    functionName: string;
    requests: number;
    p50: number;
    p95: number;
    p99: number;
    overheadP50: number;
    overheadP99: number;
    awsCalls: string[];
    statuses: number[];
  }[];
  verdicts: { target: string; who: string; ms: number; outcome: string; withinBudget?: boolean }[];
  memory: { functionName: string; invocations: number; peakRssMb: number; configuredMb: number }[];
}

const TARGET_RATIO: Record<string, number> = {
  'create-connection': 0.25,
  'get-connection': 0.25,
  'delete-connection': 0.25,
  'test-connection': 0.35,
};

function table(headers: string[], rows: (string | number)[][]): { text: string; markdown: string } {
  const cells = [headers, ...rows.map((row) => row.map(String))];
  const widths = headers.map((_, column) => Math.max(...cells.map((row) => row[column]!.length)));
  const text = cells.map((row) => row.map((cell, column) => cell.padEnd(widths[column]!)).join('  ')).join('\n');
  const markdown = [
    `| ${headers.join(' | ')} |`,
    `| ${headers.map(() => '---').join(' | ')} |`,
    ...rows.map((row) => `| ${row.join(' | ')} |`),
  ].join('\n');
  return { text, markdown };
}

const kib = (bytes: number) => `${(bytes / 1024).toFixed(0)} KiB`;

export function render(results: Results): { text: string; markdown: string; markdownTables: string } {
  const monolith = results.initTimes.find((time) => time.name === 'monolith')?.readyMs ?? NaN;
  const sections: [string, { text: string; markdown: string }][] = [
    [
      `Init time (median of ${results.initTimes[0]?.samples ?? 0} fresh processes)`,
      table(
        ['bundle', 'ready (ms)', 'import (ms)', 'x monolith', 'target'],
        results.initTimes.map((time) => {
          const target = TARGET_RATIO[time.name];
          const ratio = time.readyMs / monolith;
          return [
            time.name,
            time.readyMs,
            time.importMs,
            ratio.toFixed(2),
            target === undefined ? '' : `<= ${target} ${ratio <= target ? 'met' : 'MISSED'}`,
          ];
        }),
      ),
    ],
    [
      'Bundle size',
      table(
        ['bundle', 'read at init', 'lazy chunks', 'largest parts read at init'],
        results.bundles.map((bundle) => [
          bundle.name,
          kib(bundle.bytes),
          bundle.lazyBytes ? kib(bundle.lazyBytes) : '',
          bundle.topPackages.map(([name, bytes]) => `${name} ${kib(bytes)}`).join(', '),
        ]),
      ),
    ],
    [
      'Warm latency, in process against the local DynamoDB and KMS (ms)',
      table(
        ['function', 'requests', 'p50', 'p95', 'p99', 'overhead p50', 'overhead p99', 'AWS calls'],
        results.latency.map((row) => [
          row.functionName,
          row.requests,
          row.p50,
          row.p95,
          row.p99,
          row.overheadP50,
          row.overheadP99,
          `${row.awsCalls.length}: ${row.awsCalls.join(', ')}`,
        ]),
      ),
    ],
    [
      `Time to a verdict (test deadline ${results.deadlineMs} ms)`,
      table(
        ['target', 'who', 'ms', 'outcome', 'within deadline + 250 ms'],
        results.verdicts.map((row) => [
          row.target,
          row.who,
          row.ms,
          row.outcome,
          row.withinBudget === undefined ? '' : row.withinBudget ? 'yes' : 'NO',
        ]),
      ),
    ],
    [
      'Memory',
      table(
        ['function', 'invocations', 'peak RSS (MB)', 'memory size set (MB)'],
        results.memory.map((row) => [row.functionName, row.invocations, row.peakRssMb, row.configuredMb]),
      ),
    ],
  ];
  const header = `${results.command} on ${results.machine.cpus} x ${results.machine.cpuModel}, ${results.machine.memoryGiB} GiB, Node ${results.machine.node}, ${results.date}`;
  return {
    text: `${header}\n\n${sections.map(([title, body]) => `${title}\n${body.text}`).join('\n\n')}\n`,
    markdown: `${header}\n\n${sections.map(([title, body]) => `**${title}**\n\n${body.markdown}`).join('\n\n')}\n`,
    markdownTables: `${sections.map(([title, body]) => `**${title}**\n\n${body.markdown}`).join('\n\n')}\n`,
  };
}
