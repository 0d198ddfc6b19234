import { deleteConnection } from '../lib/connections/delete.js';
import { httpEndpoint } from '../lib/http/endpoint.js';
import { connectionStore } from '../lib/services.js';

const store = connectionStore();

export const handler = httpEndpoint({ name: 'delete-connection', jsonBody: false }, async ({ organizationId }) => {
  await deleteConnection(store, organizationId);
  return { statusCode: 204 };
});
