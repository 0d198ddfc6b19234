import { resolve } from 'node:path';
import { API_BASE_PATH } from '../lib/routes.js';
import { startLocalRuntime } from './runtime.js';

/** `npm start`: the service on 127.0.0.1:$PORT with DynamoDB and KMS data under $DATA_DIR. */
const port = Number(process.env.PORT ?? 3000);
const dataDir = resolve(process.env.DATA_DIR ?? '.data');

const runtime = await startLocalRuntime({ port, dataDir });
console.log(`warehouse-connections is running at ${runtime.url}${API_BASE_PATH}`);
console.log(`  data:       ${dataDir}`);
console.log(`  DynamoDB:   ${runtime.dynamoDbEndpoint} (dynalite)`);
console.log(`  KMS:        ${runtime.kmsEndpoint} (local stand-in)`);
console.log(
  `  Lambda API: ${runtime.url}/2015-03-31/functions/{name}/invocations (SigV4-signed with access key ${process.env.AWS_ACCESS_KEY_ID} and its secret)`,
);
console.log(`  token:      npm run --silent token -- --org <org_id>`);

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    void runtime.close().finally(() => process.exit(0));
  });
}
