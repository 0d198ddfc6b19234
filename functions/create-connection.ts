import { auditLog, composeEndpoint, connectionStore, credentialCipher } from '../lib/composition.js';
import { loadConfig } from '../lib/config.js';
import { createConnection } from '../lib/connections/create.js';
import { httpEndpoint } from '../lib/http/endpoint.js';
import { ROUTE } from '../lib/routes.js';

const config = loadConfig(process.env);
const deps = { store: connectionStore(config), cipher: credentialCipher(config), audit: auditLog(config) };

export const handler = httpEndpoint(ROUTE.create, composeEndpoint(config), async ({ organizationId, subject, body }) => ({
  statusCode: 201,
  body: await createConnection(deps, organizationId, body, subject),
}));
