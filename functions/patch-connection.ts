import { auditLog, composeEndpoint, connectionStore, credentialCipher } from '../lib/composition.js';
import { entityTag } from '../lib/connections/view.js';
import { loadConfig } from '../lib/config.js';
import { patchConnection } from '../lib/connections/patch.js';
import { httpEndpoint } from '../lib/http/endpoint.js';
import { parseIfMatch } from '../lib/http/if-match.js';
import { ROUTE } from '../lib/routes.js';

const config = loadConfig(process.env);
const deps = { store: connectionStore(config), cipher: credentialCipher(config), audit: auditLog(config) };

/** PATCH of the active connection (the seed's single-connection users). */
export const handler = httpEndpoint(ROUTE.patch, composeEndpoint(config), async ({ organizationId, subject, body, headers }) => {
  const connection = await patchConnection(deps, organizationId, {
    target: undefined,
    body,
    ifMatch: parseIfMatch(headers['if-match']),
    subject,
  });
  return { statusCode: 200, body: { connection }, headers: { ETag: entityTag(connection) } };
});
