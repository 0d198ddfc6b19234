/** The role, database and schemas that global setup creates in the test cluster. */
export const TEST_POSTGRES = {
  username: 'wc_tester',
  password: 'pg-canary-Zq7!x#Pw9$secret',
  database: 'warehouse',
  schema: 'analytics',
  lockedSchema: 'locked',
  /** A role whose connection limit is 0: every login is refused with 53300. */
  limitedUsername: 'wc_limited',
  /** A database the test role may not CONNECT to (42501). */
  privateDatabase: 'private_db',
  /** A database that accepts no connections at all (55000). */
  closedDatabase: 'closed_db',
  /**
   * May create login roles and make them members of `username` (CREATEROLE, ADMIN OPTION): the
   * Redshift stand-ins issue temporary database passwords with it (test/fakes/temporary-db-users.ts).
   */
  iamAdminUsername: 'wc_iam_admin',
  iamAdminPassword: 'pg-iam-admin-canary-R3d5hift',
} as const;

export function testPostgresAddress(): { host: string; port: number } {
  const host = process.env.PG_TEST_HOST;
  const port = Number(process.env.PG_TEST_PORT);
  if (!host || !port) throw new Error('PG_TEST_HOST/PG_TEST_PORT are not set: run the tests through jest (global setup starts PostgreSQL)');
  return { host, port };
}

/** The PEM of the CA that signed the test server's certificate (for `localhost` only), and an unrelated CA. */
export function testCertificateAuthorities(): { ca: string; otherCa: string } {
  return { ca: process.env.PG_TEST_CA_CERT ?? '', otherCa: process.env.PG_TEST_OTHER_CA_CERT ?? '' };
}
