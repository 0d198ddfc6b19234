/** The accounts and databases (schemas) that global setup creates in the test MariaDB server. */
export const TEST_MYSQL = {
  username: 'wc_tester',
  password: 'my-canary-Qh4!v#Lm8$secret',
  database: 'warehouse',
  /** A second schema the test user may read. */
  schema: 'analytics',
  /** A schema the test user holds no privilege on (1044). */
  privateSchema: 'private_db',
  /** Covered by a pattern grant (`scratch\_%`), so the server tells the user it does not exist (1049). */
  missingSchema: 'scratch_missing',
  /** A user whose connection limit is -1: every login is refused with 1226. */
  limitedUsername: 'wc_limited',
  /** A user of MariaDB's ed25519 authentication, which mysql2 does not speak. */
  ed25519Username: 'wc_ed25519',
} as const;

/** What the server runs from its init file before it accepts a connection. */
export const TEST_MYSQL_SETUP_SQL: readonly string[] = [
  `CREATE DATABASE ${TEST_MYSQL.database}`,
  `CREATE DATABASE ${TEST_MYSQL.schema}`,
  `CREATE DATABASE ${TEST_MYSQL.privateSchema}`,
  `CREATE USER '${TEST_MYSQL.username}'@'%' IDENTIFIED BY '${TEST_MYSQL.password}'`,
  `GRANT ALL ON \`${TEST_MYSQL.database}\`.* TO '${TEST_MYSQL.username}'@'%'`,
  `GRANT SELECT ON \`${TEST_MYSQL.schema}\`.* TO '${TEST_MYSQL.username}'@'%'`,
  `GRANT SELECT ON \`scratch\\_%\`.* TO '${TEST_MYSQL.username}'@'%'`,
  `CREATE USER '${TEST_MYSQL.limitedUsername}'@'%' IDENTIFIED BY '${TEST_MYSQL.password}' WITH MAX_USER_CONNECTIONS -1`,
  `GRANT SELECT ON \`${TEST_MYSQL.database}\`.* TO '${TEST_MYSQL.limitedUsername}'@'%'`,
  `INSTALL SONAME 'auth_ed25519'`,
  `CREATE USER '${TEST_MYSQL.ed25519Username}'@'%' IDENTIFIED VIA ed25519 USING PASSWORD('${TEST_MYSQL.password}')`,
  `GRANT SELECT ON \`${TEST_MYSQL.database}\`.* TO '${TEST_MYSQL.ed25519Username}'@'%'`,
];

export function testMysqlAddress(): { host: string; port: number } {
  const host = process.env.MYSQL_TEST_HOST;
  const port = Number(process.env.MYSQL_TEST_PORT);
  if (!host || !port)
    throw new Error('MYSQL_TEST_HOST/MYSQL_TEST_PORT are not set: run the tests through jest (global setup starts MariaDB)');
  return { host, port };
}

/** The PEM of the CA that signed the test server's certificate (for `localhost` only), and an unrelated CA. */
export function testMysqlCertificateAuthorities(): { ca: string; otherCa: string } {
  return { ca: process.env.MYSQL_TEST_CA_CERT ?? '', otherCa: process.env.MYSQL_TEST_OTHER_CA_CERT ?? '' };
}
