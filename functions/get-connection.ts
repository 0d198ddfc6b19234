import { composeEndpoint, connectionStore } from '../lib/composition.js';
import { loadConfig } from '../lib/config.js';
import { getConnection } from '../lib/connections/get.js';
import { httpEndpoint } from '../lib/http/endpoint.js';
import { ROUTE } from '../lib/routes.js';

const config = loadConfig(process.env);
const store = connectionStore(config);

export const handler = httpEndpoint(ROUTE.get, composeEndpoint(config), async ({ organizationId }) => {
  const { connection, etag } = await getConnection(store, organizationId);
  return { statusCode: 200, body: { connection }, ...(etag ? { headers: { ETag: etag } } : {}) };
});
