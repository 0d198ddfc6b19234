import { auditLog, composeEndpoint, connectionStore } from '../lib/composition.js';
import { loadConfig } from '../lib/config.js';
import { activateConnection } from '../lib/connections/activate.js';
import { httpEndpoint } from '../lib/http/endpoint.js';
import { connectionIdOf } from '../lib/http/path-parameters.js';
import { entityTag } from '../lib/connections/view.js';
import { ROUTE } from '../lib/routes.js';

const config = loadConfig(process.env);
const deps = { store: connectionStore(config), audit: auditLog(config) };

export const handler = httpEndpoint(ROUTE.activate, composeEndpoint(config), async (request) => {
  const connection = await activateConnection(deps, request.organizationId, connectionIdOf(request), request.subject);
  return { statusCode: 200, body: { connection }, headers: { ETag: entityTag(connection) } };
});
