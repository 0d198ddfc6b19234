import { auditLog, composeEndpoint, connectionStore, credentialCipher } from '../lib/composition.js';
import { entityTag } from '../lib/connections/view.js';
import { loadConfig } from '../lib/config.js';
import { patchConnection } from '../lib/connections/patch.js';
import { httpEndpoint } from '../lib/http/endpoint.js';
import { parseIfMatch } from '../lib/http/if-match.js';
import { connectionIdOf } from '../lib/http/path-parameters.js';
import { ROUTE } from '../lib/routes.js';

const config = loadConfig(process.env);
const deps = { store: connectionStore(config), cipher: credentialCipher(config), audit: auditLog(config) };

export const handler = httpEndpoint(ROUTE.patchNamed, composeEndpoint(config), async (request) => {
  const connection = await patchConnection(deps, request.organizationId, {
    target: connectionIdOf(request),
    body: request.body,
    ifMatch: parseIfMatch(request.headers['if-match']),
    subject: request.subject,
  });
  return { statusCode: 200, body: { connection }, headers: { ETag: entityTag(connection) } };
});
