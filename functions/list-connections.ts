import { composeEndpoint, connectionStore } from '../lib/composition.js';
import { loadConfig } from '../lib/config.js';
import { listConnections } from '../lib/connections/list.js';
import { httpEndpoint } from '../lib/http/endpoint.js';
import { ROUTE } from '../lib/routes.js';

const config = loadConfig(process.env);
const store = connectionStore(config);

export const handler = httpEndpoint(ROUTE.list, composeEndpoint(config), async ({ organizationId, query }) => ({
  statusCode: 200,
  body: await listConnections(store, organizationId, query),
}));
