import { auditLog, composeEndpoint, connectionStore } from '../lib/composition.js';
import { loadConfig } from '../lib/config.js';
import { deleteConnection } from '../lib/connections/delete.js';
import { httpEndpoint } from '../lib/http/endpoint.js';
import { parseIfMatch } from '../lib/http/if-match.js';
import { connectionIdOf } from '../lib/http/path-parameters.js';
import { ROUTE } from '../lib/routes.js';

const config = loadConfig(process.env);
const store = connectionStore(config);
const audit = auditLog(config);

export const handler = httpEndpoint(ROUTE.deleteNamed, composeEndpoint(config), async (request) => {
  await deleteConnection(store, request.organizationId, {
    target: connectionIdOf(request),
    ifMatch: parseIfMatch(request.headers['if-match']),
    subject: request.subject,
    audit,
  });
  return { statusCode: 204 };
});
