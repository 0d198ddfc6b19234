import { composeService } from '../lib/composition.js';
import { loadConfig } from '../lib/config.js';
import { testConnection } from '../lib/connections/test.js';
import { httpEndpoint } from '../lib/http/endpoint.js';
import { ROUTE } from '../lib/routes.js';

const service = composeService(loadConfig(process.env));
const deps = {
  store: service.store(),
  cipher: service.cipher(),
  limits: service.probeLimits,
  testLimit: service.testLimit,
  deploymentId: service.deploymentId,
};

export const handler = httpEndpoint(ROUTE.test, service.endpoint, async ({ organizationId }) => {
  const result = await testConnection(deps, organizationId);
  return { statusCode: result.success ? 200 : 400, body: { ...result } };
});
