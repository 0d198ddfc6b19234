import type { TrinoCatalogs } from '../fakes/trino-server.js';

/**
 * The Trino account of the tests: the seed body (test/helpers/bodies.ts) connects to the stand-in
 * the global setup starts with it (test/setup/trino-stand-in.ts); probe tests start their own with
 * the same catalogs and certificate.
 */
export const TEST_TRINO = {
  username: 'wc_analyst',
  password: 'trino-canary-Pässwörd:9f3c',
  catalog: 'lakehouse',
  schema: 'analytics',
  /** A schema only another user may list. */
  privateSchema: 'finance',
  missingSchema: 'scratch_missing',
  missingCatalog: 'nowhere',
} as const;

export const TEST_TRINO_CATALOGS: TrinoCatalogs = {
  [TEST_TRINO.catalog]: {
    [TEST_TRINO.schema]: { tables: ['orders', 'customers', 'events'] },
    [TEST_TRINO.privateSchema]: { tables: ['ledger'], readers: ['wc_controller'] },
    empty: { tables: [] },
  },
  system: { runtime: { tables: ['nodes', 'queries'] } },
};

export const TEST_TRINO_USERS: Record<string, string> = {
  [TEST_TRINO.username]: TEST_TRINO.password,
  wc_controller: 'other-canary-pass-41',
};

/** The seed stand-in's port (global setup). */
export function testTrinoPort(): number {
  const port = Number(process.env.TRINO_TEST_PORT);
  if (!port) throw new Error('TRINO_TEST_PORT is not set: run the tests through jest (global setup starts the Trino stand-in)');
  return port;
}

/** The stand-ins' certificate (for `localhost` only, no IP address) and key, its CA and an unrelated CA, as PEM. */
export function testTrinoTls(): { cert: string; key: string; ca: string; otherCa: string } {
  const tls = {
    cert: process.env.TRINO_TEST_TLS_CERT ?? '',
    key: process.env.TRINO_TEST_TLS_KEY ?? '',
    ca: process.env.TRINO_TEST_CA_CERT ?? '',
    otherCa: process.env.TRINO_TEST_OTHER_CA_CERT ?? '',
  };
  if (!tls.cert || !tls.key || !tls.ca) throw new Error('TRINO_TEST_TLS_* are not set: run the tests through jest (global setup)');
  return tls;
}
