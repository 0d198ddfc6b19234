import { createConnection } from '../lib/connections/create.js';
import { httpEndpoint } from '../lib/http/endpoint.js';
import { ROUTE } from '../lib/routes.js';
import { connectionStore, credentialCipher } from '../lib/services.js';

const deps = { store: connectionStore(), cipher: credentialCipher() };

export const handler = httpEndpoint(ROUTE.create, async ({ organizationId, body }) => ({
  statusCode: 201,
  body: await createConnection(deps, organizationId, body),
}));
