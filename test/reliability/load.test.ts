import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { mkdir, writeFile } from 'node:fs/promises';
import { Agent } from 'node:http';
import { percentile } from '../../bench/stats.js';
import { ROUTE, routeKey, type Route } from '../../lib/routes.js';
import { postgresBody, SECRETS } from '../helpers/bodies.js';
import { startTestApi, type TestApi } from '../helpers/transports.js';
import { rawRequest } from './support/raw-http.js';
import { FULL_SCALE, scaled } from './support/scale.js';

/**
 * 50 concurrent clients send a mix of creates, gets, tests and deletes to the local server for a
 * fixed time. Asserted: no error at all. Reported (not asserted): throughput and latency.
 */
const CLIENTS = 50;
const DURATION_MS = scaled(5_000, 30_000);
/** Each route, how often it is called (per cent), and the statuses that count as a correct answer. */
const MIX: [Route, number, number[]][] = [
  [ROUTE.create, 20, [201]],
  [ROUTE.get, 50, [200]],
  [ROUTE.test, 20, [200, 404]],
  [ROUTE.delete, 10, [204, 404]],
];
const EXPECTED: Record<string, number[]> = Object.fromEntries(MIX.map(([route, , statuses]) => [routeKey(route), statuses]));

let testApi: TestApi;
beforeAll(async () => {
  testApi = await startTestApi();
});
afterAll(async () => {
  await testApi.close();
});

function pick(random: number): [string, string] {
  let threshold = random * 100;
  for (const [route, weight] of MIX) {
    if (threshold < weight) return [route.method, route.path];
    threshold -= weight;
  }
  return [ROUTE.get.method, ROUTE.get.path];
}

describe(`${CLIENTS} concurrent clients for ${DURATION_MS / 1000} s`, () => {
  test(
    'mixed requests: zero errors; throughput and p99 reported',
    async () => {
      const body = Buffer.from(JSON.stringify(postgresBody()));
      const latencies: number[] = [];
      const byRoute: Record<string, number[]> = {};
      const unexpected: string[] = [];
      const deadline = performance.now() + DURATION_MS;
      const keepAlive = new Agent({ keepAlive: true, maxSockets: CLIENTS });

      await Promise.all(
        Array.from({ length: CLIENTS }, async (_, client) => {
          const authorization = `Bearer ${await testApi.issuer.sign({ sub: `load-${client}`, org_id: `org-load-${client % 10}` })}`;
          while (performance.now() < deadline) {
            const [method, path] = pick(Math.random());
            const startedAt = performance.now();
            try {
              const response = await rawRequest(
                testApi.api.url,
                {
                  method,
                  path,
                  headers: {
                    authorization,
                    ...(method === ROUTE.create.method && path === ROUTE.create.path ? { 'content-type': 'application/json' } : {}),
                  },
                  ...(method === ROUTE.create.method && path === ROUTE.create.path ? { body } : {}),
                },
                10_000,
                keepAlive,
              );
              latencies.push(performance.now() - startedAt);
              (byRoute[`${method} ${path}`] ??= []).push(performance.now() - startedAt);
              if (!EXPECTED[`${method} ${path}`]!.includes(response.status))
                unexpected.push(`${method} ${path} -> ${response.status} ${response.body.slice(0, 200)}`);
              for (const secret of SECRETS) if (response.body.includes(secret)) unexpected.push(`${method} ${path} leaked a secret`);
            } catch (error) {
              unexpected.push(`${method} ${path} -> ${(error as Error).message}`);
            }
          }
        }),
      );

      keepAlive.destroy();
      const sorted = [...latencies].sort((a, b) => a - b);
      const report = {
        scale: FULL_SCALE ? 'full' : 'ci',
        clients: CLIENTS,
        duration_s: DURATION_MS / 1000,
        requests: latencies.length,
        errors: unexpected.length,
        throughput_rps: Math.round(latencies.length / (DURATION_MS / 1000)),
        p50_ms: Math.round(percentile(sorted, 50) * 10) / 10,
        p95_ms: Math.round(percentile(sorted, 95) * 10) / 10,
        p99_ms: Math.round(percentile(sorted, 99) * 10) / 10,
        p50_ms_by_route: Object.fromEntries(
          Object.entries(byRoute).map(([route, values]) => [
            route,
            Math.round(
              percentile(
                values.sort((x, y) => x - y),
                50,
              ),
            ),
          ]),
        ),
      };
      await mkdir('.bench', { recursive: true });
      await writeFile(`.bench/load-${report.scale}.json`, JSON.stringify(report, null, 2));
      process.stderr.write(`load: ${JSON.stringify(report)}\n`);

      expect(unexpected.slice(0, 5)).toEqual([]);
      expect(latencies.length).toBeGreaterThan(CLIENTS);
    },
    DURATION_MS + 60_000,
  );
});
