import { composeEndpoint, connectionStore } from '../lib/composition.js';
import { loadConfig } from '../lib/config.js';
import { getNamedConnection } from '../lib/connections/get.js';
import { httpEndpoint } from '../lib/http/endpoint.js';
import { connectionIdOf } from '../lib/http/path-parameters.js';
import { ROUTE } from '../lib/routes.js';

const config = loadConfig(process.env);
const store = connectionStore(config);

export const handler = httpEndpoint(ROUTE.getNamed, composeEndpoint(config), async (request) => {
  const { connection, etag } = await getNamedConnection(store, request.organizationId, connectionIdOf(request));
  return { statusCode: 200, body: { connection }, headers: { ETag: etag } };
});
