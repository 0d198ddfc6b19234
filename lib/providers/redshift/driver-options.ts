import { StageClock } from '../verdict.js';
import type { DriverOptionsBuilder } from '../driver-options.js';
import { networkPolicyOf, vetHost } from '../network-guard.js';
import { resolvedWireDriver } from '../pg-wire/client-options.js';

/**
 * `pg.ClientConfig` for Redshift: the stored password, or with IAM a temporary password for the
 * customer's role (assumed with the organization's external id, as the test does: iam.ts).
 */
export const redshiftDriverOptions: DriverOptionsBuilder<'redshift'> = async (definition, { limits, signal }) => {
  const { credentials } = definition;
  const address = await vetHost(credentials.host, credentials.port, networkPolicyOf(limits));
  const iam = credentials.auth_method === 'iam';
  // The AWS clients load only for an IAM connection, as in the probe.
  const login = iam
    ? await (await import('./iam.js')).temporaryLogin(definition, limits, signal, new StageClock())
    : { user: credentials.username!, password: credentials.password! };
  const lifetimeSeconds = iam ? (await import('../aws/role-session.js')).DURATION_SECONDS : undefined;
  return resolvedWireDriver(
    {
      host: credentials.host,
      address,
      port: credentials.port,
      database: credentials.database,
      user: login.user,
      password: login.password,
      sslMode: credentials.ssl_mode,
      caCertificate: credentials.ca_certificate,
    },
    lifetimeSeconds === undefined ? null : new Date(Date.now() + lifetimeSeconds * 1000).toISOString(),
  );
};
