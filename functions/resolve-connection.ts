import { auditLog, connectionStore, credentialCipher } from '../lib/composition.js';
import { loadConfig } from '../lib/config.js';
import { resolveConnection } from '../lib/connections/resolve.js';
import { setLogLevel } from '../lib/log.js';

const config = loadConfig(process.env);
setLogLevel(config.logLevel);
const trail = auditLog(config);
if (!trail) throw new Error('The resolve function needs its audit table (AUDIT_TABLE_NAME)');
const deps = {
  store: connectionStore(config),
  cipher: credentialCipher(config),
  limits: config.probe,
  audit: trail,
  deploymentId: config.deploymentId,
};

/**
 * Reached by Lambda Invoke only (no HTTP route), by the principals the deployer names. The event is
 * the request ({organization_id, connection_id?, caller, purpose}); the answer is `{ok: true, ...}`
 * with driver options, or `{ok: false, code, error}`, never a function error for a refusal.
 */
export const handler = (event: unknown) => resolveConnection(deps, event);
