import { auditLog, composeEndpoint, connectionStore } from '../lib/composition.js';
import { loadConfig } from '../lib/config.js';
import { listAudit } from '../lib/connections/audit-history.js';
import { httpEndpoint } from '../lib/http/endpoint.js';
import { ROUTE } from '../lib/routes.js';

const config = loadConfig(process.env);
const deps = { store: connectionStore(config), audit: auditLog(config) };

export const handler = httpEndpoint(ROUTE.audit, composeEndpoint(config), async ({ organizationId, query }) => ({
  statusCode: 200,
  body: await listAudit(deps, organizationId, query),
}));
