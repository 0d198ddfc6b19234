import { testConnection } from '../lib/connections/test.js';
import { httpEndpoint } from '../lib/http/endpoint.js';
import { connectionStore, credentialCipher, probeLimits, testLimit } from '../lib/services.js';

const deps = { store: connectionStore(), cipher: credentialCipher(), limits: probeLimits, testLimit };

export const handler = httpEndpoint({ name: 'test-connection', jsonBody: false }, async ({ organizationId }) => {
  const result = await testConnection(deps, organizationId);
  return { statusCode: result.success ? 200 : 400, body: { ...result } };
});
