import { composeService } from '../lib/composition.js';
import { loadConfig } from '../lib/config.js';
import { deleteConnection } from '../lib/connections/delete.js';
import { httpEndpoint } from '../lib/http/endpoint.js';
import { ROUTE } from '../lib/routes.js';

const service = composeService(loadConfig(process.env));
const store = service.store();

export const handler = httpEndpoint(ROUTE.delete, service.endpoint, async ({ organizationId }) => {
  await deleteConnection(store, organizationId);
  return { statusCode: 204 };
});
