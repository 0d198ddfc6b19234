import { networkPolicyOf, vetHost } from '../network-guard.js';
import { testOverWire } from '../pg-wire/session.js';
import type { Probe } from '../probe.js';
import { redshiftCodes, type RedshiftDefinition } from './failures.js';

/**
 * Vets the host, gets a login (the stored password, or with IAM auth a temporary password for the
 * customer's role: iam.ts, loaded only then), and runs the PostgreSQL wire test against the vetted
 * address: connect, `SELECT 1`, the schema in dataset_id.
 */
export const probeRedshift: Probe = async (definition, limits, signal, stages) => {
  if (definition.provider !== 'redshift') throw new Error('probeRedshift needs a redshift connection');
  const { credentials } = definition;
  stages.begin('resolve');
  const address = await vetHost(credentials.host, credentials.port, networkPolicyOf(limits));
  signal.throwIfAborted();
  const login =
    credentials.auth_method === 'iam'
      ? await (await import('./iam.js')).temporaryLogin(definition, limits, signal, stages)
      : passwordLogin(definition);
  await testOverWire({
    login: {
      host: credentials.host,
      address,
      port: credentials.port,
      database: credentials.database,
      user: login.user,
      password: login.password,
      sslMode: credentials.ssl_mode,
      caCertificate: credentials.ca_certificate,
    },
    schema: definition.dataset_id,
    grantee: login.grantee,
    limits,
    signal,
    stages,
    ownCodes: redshiftCodes(definition),
  });
};

function passwordLogin(definition: RedshiftDefinition) {
  const { username, password } = definition.credentials;
  if (username === undefined || password === undefined) throw new Error('a password connection without username or password');
  return { user: username, password, grantee: username };
}
