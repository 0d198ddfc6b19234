import { composeService } from '../lib/composition.js';
import { loadConfig } from '../lib/config.js';
import { createConnection } from '../lib/connections/create.js';
import { httpEndpoint } from '../lib/http/endpoint.js';
import { ROUTE } from '../lib/routes.js';

const service = composeService(loadConfig(process.env));
const deps = { store: service.store(), cipher: service.cipher() };

export const handler = httpEndpoint(ROUTE.create, service.endpoint, async ({ organizationId, body }) => ({
  statusCode: 201,
  body: await createConnection(deps, organizationId, body),
}));
