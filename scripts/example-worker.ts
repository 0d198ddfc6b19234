import { LambdaClient } from '@aws-sdk/client-lambda';
import pg from 'pg';
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';
import { resolveConnection } from '../lib/client/resolve-client.js';

/**
 * A query worker as the platform's own would be (docs/consumers.md): it resolves an organization's
 * connection through the resolve function, connects with what it got, runs `SELECT 1`, closes.
 * Only PostgreSQL and Redshift here (both `pg`); other drivers take their options the same way.
 *
 *   WAREHOUSE_CONSUMER_PRINCIPALS=local-worker npm start     # the local runtime, with one consumer
 *   AWS_ACCESS_KEY_ID=local-worker AWS_SECRET_ACCESS_KEY=local AWS_REGION=us-east-1 \
 *   AWS_ENDPOINT_URL_LAMBDA=http://127.0.0.1:3000 npx tsx scripts/example-worker.ts --org acme
 */
export async function runExampleWorker(options: {
  lambda: LambdaClient;
  functionName: string;
  organizationId: string;
  connectionId?: string;
}): Promise<{ connectionId: string; result: number }> {
  const resolved = await resolveConnection(options.lambda, options.functionName, {
    organizationId: options.organizationId,
    ...(options.connectionId === undefined ? {} : { connectionId: options.connectionId }),
    caller: 'example-worker',
    purpose: 'SELECT 1 (the docs/consumers.md example)',
  });
  if (resolved.driver !== 'pg') throw new Error(`This example speaks pg only; the connection is ${resolved.connection.provider}`);
  const client = new pg.Client(resolved.driverOptions as pg.ClientConfig);
  await client.connect();
  try {
    const { rows } = await client.query<{ result: number }>('SELECT 1 AS result');
    return { connectionId: resolved.connection.id, result: rows[0]!.result };
  } finally {
    await client.end();
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const { values } = parseArgs({ options: { org: { type: 'string' }, connection: { type: 'string' }, function: { type: 'string' } } });
  if (!values.org) {
    console.error('usage: example-worker --org <organization id> [--connection <id>] [--function resolve-connection]');
    process.exit(2);
  }
  const lambda = new LambdaClient({});
  runExampleWorker({
    lambda,
    functionName: values.function ?? 'resolve-connection',
    organizationId: values.org,
    ...(values.connection ? { connectionId: values.connection } : {}),
  })
    .then(({ connectionId, result }) => console.log(`connection ${connectionId}: SELECT 1 returned ${result}`))
    .catch((error: unknown) => {
      console.error(`${(error as Error).name}: ${(error as Error).message}`);
      process.exitCode = 1;
    })
    .finally(() => lambda.destroy());
}
