import { networkPolicyOf, vetHost } from '../network-guard.js';
import { testOverWire } from '../pg-wire/session.js';
import type { Probe } from '../probe.js';
import { postgresCodes } from './failures.js';

/** Connects with `pg` to the vetted address, runs SELECT 1, then checks that the schema in dataset_id exists and is usable. */
export const probePostgres: Probe = async (definition, limits, signal, stages) => {
  if (definition.provider !== 'postgres') throw new Error('probePostgres needs a postgres connection');
  const { credentials } = definition;
  stages.begin('resolve');
  const address = await vetHost(credentials.host, credentials.port, networkPolicyOf(limits));
  await testOverWire({
    login: {
      host: credentials.host,
      address,
      port: credentials.port,
      database: credentials.database,
      user: credentials.username,
      password: credentials.password,
      sslMode: credentials.ssl_mode,
      caCertificate: credentials.ca_certificate,
    },
    schema: definition.dataset_id,
    grantee: credentials.username,
    limits,
    signal,
    stages,
    ownCodes: postgresCodes,
  });
};
