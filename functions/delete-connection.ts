import { deleteConnection } from '../lib/connections/delete.js';
import { httpEndpoint } from '../lib/http/endpoint.js';
import { ROUTE } from '../lib/routes.js';
import { connectionStore } from '../lib/services.js';

const store = connectionStore();

export const handler = httpEndpoint(ROUTE.delete, async ({ organizationId }) => {
  await deleteConnection(store, organizationId);
  return { statusCode: 204 };
});
