import { auditLog, composeEndpoint, connectionStore, credentialCipher } from '../lib/composition.js';
import { loadConfig } from '../lib/config.js';
import { testConnection } from '../lib/connections/test.js';
import { httpEndpoint } from '../lib/http/endpoint.js';
import { connectionIdOf } from '../lib/http/path-parameters.js';
import { ROUTE } from '../lib/routes.js';

const config = loadConfig(process.env);
const deps = {
  store: connectionStore(config),
  cipher: credentialCipher(config),
  limits: config.probe,
  testLimit: config.testLimit,
  deploymentId: config.deploymentId,
  audit: auditLog(config),
};

/**
 * Both test routes: the active connection (POST /connections/test) and one by id (POST
 * /connections/named/{connection_id}/test). One function, so one role may decrypt.
 */
export const handler = httpEndpoint(ROUTE.test, composeEndpoint(config), async (request) => {
  const target = request.pathParameters.connection_id === undefined ? undefined : connectionIdOf(request);
  const result = await testConnection(deps, request.organizationId, target, request.subject);
  return { statusCode: result.success ? 200 : 400, body: { ...result } };
});
