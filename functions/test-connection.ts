import { composeEndpoint, connectionStore, credentialCipher } from '../lib/composition.js';
import { loadConfig } from '../lib/config.js';
import { testConnection } from '../lib/connections/test.js';
import { httpEndpoint } from '../lib/http/endpoint.js';
import { ROUTE } from '../lib/routes.js';

const config = loadConfig(process.env);
const deps = {
  store: connectionStore(config),
  cipher: credentialCipher(config),
  limits: config.probe,
  testLimit: config.testLimit,
  deploymentId: config.deploymentId,
};

export const handler = httpEndpoint(ROUTE.test, composeEndpoint(config), async ({ organizationId }) => {
  const result = await testConnection(deps, organizationId);
  return { statusCode: result.success ? 200 : 400, body: { ...result } };
});
