import { auditLog, composeEndpoint, connectionStore } from '../lib/composition.js';
import { loadConfig } from '../lib/config.js';
import { deleteConnection } from '../lib/connections/delete.js';
import { httpEndpoint } from '../lib/http/endpoint.js';
import { ROUTE } from '../lib/routes.js';

const config = loadConfig(process.env);
const store = connectionStore(config);
const audit = auditLog(config);

export const handler = httpEndpoint(ROUTE.delete, composeEndpoint(config), async ({ organizationId, subject }) => {
  await deleteConnection(store, organizationId, { subject, audit });
  return { statusCode: 204 };
});
