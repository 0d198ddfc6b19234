import { withAwsCalls } from './aws-call-timer.js';
import { contextFor, eventFor, loadHandler } from './invoke.js';
import { percentile, round } from './stats.js';

export interface WarmLatency {
  functionName: string;
  requests: number;
  p50: number;
  p95: number;
  p99: number;
  /** The handler's own time: duration minus time waiting on DynamoDB and KMS. */
  overheadP50: number;
  overheadP99: number;
  awsCalls: string[];
  /** Whether every request made exactly the same AWS calls. */
  callsStable: boolean;
  statuses: number[];
}

/**
 * Warm handlers, in process, against the local DynamoDB and KMS: each round creates, reads,
 * tests and deletes one connection, so every call works on real data. Each round is its own
 * organization, so the per-organization test limit counts every test and refuses none.
 */
export async function measureWarmLatency(rounds: number, connectionBody: unknown): Promise<WarmLatency[]> {
  const order = ['create-connection', 'get-connection', 'test-connection', 'delete-connection'];
  const handlers = new Map(await Promise.all(order.map(async (name) => [name, await loadHandler(name)] as const)));
  const samples = new Map(
    order.map((name) => [name, { total: [] as number[], overhead: [] as number[], calls: new Set<string>(), statuses: new Set<number>() }]),
  );

  for (let index = -20; index < rounds; index += 1) {
    const org = `org-bench-${index}`;
    for (const name of order) {
      const event = eventFor(name, org, name === 'create-connection' ? connectionBody : undefined);
      const startedAt = performance.now();
      const { result, calls } = await withAwsCalls(() => handlers.get(name)!(event, contextFor(name)));
      const total = performance.now() - startedAt;
      if (index < 0) continue; // warm-up
      const sample = samples.get(name)!;
      sample.total.push(total);
      sample.overhead.push(total - calls.waitingMs);
      sample.calls.add(calls.names.join(','));
      sample.statuses.add(result.statusCode);
    }
  }
  return order.map((name) => {
    const sample = samples.get(name)!;
    const [calls = ''] = [...sample.calls];
    return {
      functionName: name,
      requests: sample.total.length,
      p50: round(percentile(sample.total, 50), 2),
      p95: round(percentile(sample.total, 95), 2),
      p99: round(percentile(sample.total, 99), 2),
      overheadP50: round(percentile(sample.overhead, 50), 3),
      overheadP99: round(percentile(sample.overhead, 99), 3),
      awsCalls: calls ? calls.split(',') : [],
      callsStable: sample.calls.size === 1,
      statuses: [...sample.statuses],
    };
  });
}
