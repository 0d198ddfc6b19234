import { composeEndpoint } from '../lib/composition.js';
import { loadConfig } from '../lib/config.js';
import { awsIdentity } from '../lib/connections/aws-identity.js';
import { httpEndpoint } from '../lib/http/endpoint.js';
import { ROUTE } from '../lib/routes.js';

const config = loadConfig(process.env);

export const handler = httpEndpoint(ROUTE.awsIdentity, composeEndpoint(config), async ({ organizationId }) => ({
  statusCode: 200,
  body: awsIdentity(organizationId, config.deploymentId, config.probeRoleArn, config.resolverRoleArn),
}));
