import { composeService } from '../lib/composition.js';
import { loadConfig } from '../lib/config.js';
import { getConnection } from '../lib/connections/get.js';
import { httpEndpoint } from '../lib/http/endpoint.js';
import { ROUTE } from '../lib/routes.js';

const service = composeService(loadConfig(process.env));
const store = service.store();

export const handler = httpEndpoint(ROUTE.get, service.endpoint, async ({ organizationId }) => ({
  statusCode: 200,
  body: { connection: await getConnection(store, organizationId) },
}));
