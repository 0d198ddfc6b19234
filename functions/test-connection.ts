import { testConnection } from '../lib/connections/test.js';
import { httpEndpoint } from '../lib/http/endpoint.js';
import { ROUTE } from '../lib/routes.js';
import { connectionStore, credentialCipher, probeLimits, testLimit } from '../lib/services.js';

const deps = { store: connectionStore(), cipher: credentialCipher(), limits: probeLimits, testLimit };

export const handler = httpEndpoint(ROUTE.test, async ({ organizationId }) => {
  const result = await testConnection(deps, organizationId);
  return { statusCode: result.success ? 200 : 400, body: { ...result } };
});
