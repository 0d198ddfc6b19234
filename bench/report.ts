/** Renders bench results as a terminal table and as markdown (docs/benchmarks.md). */
export interface Results {
  machine: { cpus: number; cpuModel: string; memoryGiB: number; node: string };
  /** The Node.js binaries that ran the rows, as the rows name them. */
  nodes: string[];
  command: string;
  date: string;
  deadlineMs: number;
  bundles: { name: string; kind: string; bytes: number; lazyBytes: number; topPackages: [string, number][] }[];
  /** The driver bundles built without the cuts, for their sizes. */
  uncutDrivers: { name: string; bytes: number; lazyBytes: number }[];
  initTimes: { name: string; kind: string; node: string; readyMs: number; importMs: number; cpuMs: number; samples: number }[];
  /** The snowflake probe uncut, then with each cut of infra/bundle-cuts.ts taken in turn (full runs only). */
  cutSteps: {
    name: string;
    /** A cut, or an edit (`removed` the text taken out of `module`; no importer). */
    cuts: { module: string; importedFrom: string; feature: string; safeBecause: string; removed?: string }[];
    bytes: number;
    topPackages: [string, number][];
    times: { node: string; readyMs: number; importMs: number; cpuMs: number; samples: number }[];
  }[];
  latency: {
    node: string;
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
  verdicts: { node: string; target: string; who: string; ms: number; outcome: string; withinBudget?: boolean }[];
  memory: { node: string; functionName: string; invocations: number; peakRssMb: number; configuredMb: number }[];
}

const TARGET_RATIO: Record<string, number> = {
  'create-connection': 0.25,
  'get-connection': 0.25,
  'delete-connection': 0.25,
  'test-connection': 0.35,
  'snowflake probe': 0.3,
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

/** Rows of one Node.js after another would hide the comparison: each name's rows sit together. */
function byName<T>(rows: T[], name: (row: T) => string): T[] {
  const order = [...new Set(rows.map(name))];
  return order.flatMap((key) => rows.filter((row) => name(row) === key));
}

export function render(results: Results): { text: string; markdown: string; markdownTables: string } {
  const monolithTime = (node: string) => results.initTimes.find((time) => time.name === 'monolith' && time.node === node);
  const monolith = (node: string) => monolithTime(node)?.readyMs ?? NaN;
  const monolithCpu = (node: string) => monolithTime(node)?.cpuMs ?? NaN;
  const sections: [string, { text: string; markdown: string }][] = [
    [
      `Init time (median of ${results.initTimes[0]?.samples ?? 0} fresh processes per Node.js)`,
      table(
        // The target is on the ready time, as first set; the CPU ratio is the steadier one on a busy machine.
        ['bundle', 'Node.js', 'ready (ms)', 'import (ms)', 'CPU (ms)', 'x monolith', 'x monolith (CPU)', 'target'],
        byName(results.initTimes, (time) => time.name).map((time) => {
          const target = TARGET_RATIO[time.name];
          const ratio = time.readyMs / monolith(time.node);
          return [
            time.name,
            time.node,
            time.readyMs,
            time.importMs,
            time.cpuMs,
            ratio.toFixed(2),
            (time.cpuMs / monolithCpu(time.node)).toFixed(2),
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
          bundle.topPackages
            .slice(0, 4)
            .map(([name, bytes]) => `${name} ${kib(bytes)}`)
            .join(', '),
        ]),
      ),
    ],
    ...(results.cutSteps.length > 0 ? [cutStepSection(results)] : []),
    [
      'Warm latency, in process against the local DynamoDB and KMS (ms)',
      table(
        ['function', 'Node.js', 'requests', 'p50', 'p95', 'p99', 'overhead p50', 'overhead p99', 'AWS calls'],
        byName(results.latency, (row) => row.functionName).map((row) => [
          row.functionName,
          row.node,
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
        ['target', 'who', 'Node.js', 'ms', 'outcome', 'within deadline + 250 ms'],
        byName(results.verdicts, (row) => `${row.target}\n${row.who}`).map((row) => [
          row.target,
          row.who,
          row.node,
          row.ms,
          row.outcome,
          row.withinBudget === undefined ? '' : row.withinBudget ? 'yes' : 'NO',
        ]),
      ),
    ],
    [
      'Memory',
      table(
        ['function', 'Node.js', 'invocations', 'peak RSS (MB)', 'memory size set (MB)'],
        byName(results.memory, (row) => row.functionName).map((row) => [
          row.functionName,
          row.node,
          row.invocations,
          row.peakRssMb,
          row.configuredMb,
        ]),
      ),
    ],
  ];
  const header = `${results.command} on ${results.machine.cpus} x ${results.machine.cpuModel}, ${results.machine.memoryGiB} GiB, Node.js ${results.nodes.join(' and ')}, ${results.date}`;
  return {
    text: `${header}\n\n${sections.map(([title, body]) => `${title}\n${body.text}`).join('\n\n')}\n`,
    markdown: `${header}\n\n${sections.map(([title, body]) => `**${title}**\n\n${body.markdown}`).join('\n\n')}\n`,
    markdownTables: `${sections.map(([title, body]) => `**${title}**\n\n${body.markdown}`).join('\n\n')}\n`,
  };
}

/**
 * The snowflake probe uncut, then each cut taken in turn: bytes read at init, and per Node.js the
 * ready time and the CPU time until ready, with what the step saved in CPU time (a step's saving
 * in wall time is smaller than the noise of a busy machine; its CPU time is steadier).
 */
function cutStepSection(results: Results): [string, { text: string; markdown: string }] {
  const steps = results.cutSteps;
  const time = (step: Results['cutSteps'][number], node: string) => step.times.find((candidate) => candidate.node === node);
  const samples = steps[0]?.times[0]?.samples ?? 0;
  return [
    `What each cut saves: the snowflake probe uncut, then with each cut of infra/bundle-cuts.ts taken in turn (median of ${samples} fresh processes per Node.js)`,
    table(
      [
        'step',
        'cut (imported from)',
        'read at init',
        'saved',
        ...results.nodes.flatMap((node) => [`ready (ms), ${node}`, 'CPU (ms)', 'CPU saved (ms)']),
      ],
      steps.map((step, index) => {
        const previous = steps[index - 1];
        return [
          index === 0 ? 'uncut' : String(index),
          index === 0
            ? ''
            : step.cuts
                .map((cut) => (cut.removed ? `${cut.removed} removed from ${cut.module}` : `${cut.module} (${cut.importedFrom})`))
                .join(', '),
          kib(step.bytes),
          previous ? kib(previous.bytes - step.bytes) : '',
          ...results.nodes.flatMap((node) => {
            const now = time(step, node);
            const before = previous && time(previous, node);
            return [now?.readyMs ?? '', now?.cpuMs ?? '', before && now ? (before.cpuMs - now.cpuMs).toFixed(1) : ''];
          }),
        ];
      }),
    ),
  ];
}
