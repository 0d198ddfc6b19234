/**
 * Run in a fresh process (tsx): calls the handlers in order and reports which warehouse drivers
 * Node has loaded after each step. Drivers are CommonJS, so they show up in require.cache.
 */
import { createRequire } from 'node:module';
import { lambdaContext, routeEvent } from '../../local/http-api-event.js';
import { PROVIDER_IDS, PROVIDERS } from '../../lib/providers/registry.js';
import { routeOf } from '../../lib/routes.js';
import { loadHandler } from '../../local/load-handler.js';

/** Every provider's driver package (lib/providers/registry.ts), each once: PostgreSQL and Redshift share `pg`. */
const DRIVERS = [...new Set(PROVIDER_IDS.map((id) => PROVIDERS[id].driver))];
const cache = createRequire(import.meta.url).cache;
const loaded = () => DRIVERS.filter((driver) => Object.keys(cache).some((file) => file.includes(`/node_modules/${driver}/`)));

const body = JSON.parse(process.argv[2] ?? '{}') as unknown;
const report: Record<string, string[]> = {};

async function call(functionName: string, payload?: unknown): Promise<number> {
  const route = routeOf(functionName);
  const handler = await loadHandler(route);
  const event = routeEvent(route, {
    claims: { org_id: 'org-driver-isolation' },
    ...(payload === undefined ? {} : { body: JSON.stringify(payload) }),
  });
  const result = (await handler(event, lambdaContext(route))) as { statusCode: number };
  report[functionName] = loaded();
  return result.statusCode;
}

const statuses = [
  await call('create-connection', body),
  await call('get-connection'),
  await call('test-connection'),
  await call('delete-connection'),
];
process.stdout.write(`${JSON.stringify({ statuses, loadedAfter: report })}\n`);
