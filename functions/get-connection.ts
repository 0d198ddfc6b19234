import { getConnection } from '../lib/connections/get.js';
import { httpEndpoint } from '../lib/http/endpoint.js';
import { ROUTE } from '../lib/routes.js';
import { connectionStore } from '../lib/services.js';

const store = connectionStore();

export const handler = httpEndpoint(ROUTE.get, async ({ organizationId }) => ({
  statusCode: 200,
  body: { connection: await getConnection(store, organizationId) },
}));
