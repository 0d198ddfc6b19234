import { auditLog, composeEndpoint, connectionStore, credentialCipher } from '../lib/composition.js';
import { entityTag } from '../lib/connections/view.js';
import { loadConfig } from '../lib/config.js';
import { createNamedConnection } from '../lib/connections/create.js';
import { httpEndpoint } from '../lib/http/endpoint.js';
import { ROUTE } from '../lib/routes.js';

const config = loadConfig(process.env);
const deps = { store: connectionStore(config), cipher: credentialCipher(config), audit: auditLog(config) };

export const handler = httpEndpoint(ROUTE.createNamed, composeEndpoint(config), async ({ organizationId, subject, body }) => {
  const connection = await createNamedConnection(deps, organizationId, body, subject);
  return { statusCode: 201, body: { connection }, headers: { ETag: entityTag(connection) } };
});
