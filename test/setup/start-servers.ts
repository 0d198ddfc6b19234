import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startLocalBackends } from '../../local/runtime.js';
import { asSuperuser, startTestPostgres } from './postgres-server.js';
import { TEST_POSTGRES } from './test-postgres-fixture.js';
import { startTestMariadb } from './mariadb-server.js';
import { TEST_MYSQL_SETUP_SQL } from './test-mysql-fixture.js';
import { startSeedTrino } from './trino-stand-in.js';

/**
 * Starts what every test talks to: dynalite and the local KMS (in memory), and a private
 * PostgreSQL cluster with a role, a database and schemas made for the tests, and a private MariaDB
 * server with its own (test/setup/test-mysql-fixture.ts). Settings reach the
 * test workers through the environment.
 */
export default async function globalSetup(): Promise<void> {
  // npm run test:deployed talks to AWS only.
  if (process.env.JEST_SKIP_LOCAL_SERVERS) return;
  // Where the run's one `cdk synth` goes (test/setup/synthesized-assembly.ts).
  process.env.TEST_ASSEMBLY_ROOT = mkdtempSync(join(tmpdir(), 'warehouse-connections-assembly-'));
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
  process.env.LOG_LEVEL ??= 'info';
  // Whatever loads snowflake-sdk in the tests must not make it probe cloud metadata or call STS.
  process.env.SNOWFLAKE_DISABLE_PLATFORM_DETECTION = 'true';
  const [backends, postgres, mariadb, trino] = await Promise.all([
    startLocalBackends({ tableName: 'warehouse-connections-test' }),
    startTestPostgres({ tls: true }),
    startTestMariadb({ tls: true, initSql: TEST_MYSQL_SETUP_SQL }),
    startSeedTrino(),
  ]);
  await asSuperuser(postgres, 'postgres', async (client) => {
    await client.query(`CREATE ROLE ${TEST_POSTGRES.username} LOGIN PASSWORD '${TEST_POSTGRES.password}'`);
    await client.query(`CREATE DATABASE ${TEST_POSTGRES.database} OWNER ${TEST_POSTGRES.username}`);
    await client.query(`CREATE ROLE ${TEST_POSTGRES.iamAdminUsername} LOGIN CREATEROLE PASSWORD '${TEST_POSTGRES.iamAdminPassword}'`);
    await client.query(`GRANT ${TEST_POSTGRES.username} TO ${TEST_POSTGRES.iamAdminUsername} WITH ADMIN OPTION`);
    await client.query(`CREATE ROLE ${TEST_POSTGRES.limitedUsername} LOGIN PASSWORD '${TEST_POSTGRES.password}' CONNECTION LIMIT 0`);
    await client.query(`CREATE DATABASE ${TEST_POSTGRES.privateDatabase}`);
    await client.query(`REVOKE CONNECT ON DATABASE ${TEST_POSTGRES.privateDatabase} FROM PUBLIC`);
    await client.query(`CREATE DATABASE ${TEST_POSTGRES.closedDatabase} ALLOW_CONNECTIONS false`);
  });
  await asSuperuser(postgres, TEST_POSTGRES.database, async (client) => {
    await client.query(`CREATE SCHEMA ${TEST_POSTGRES.schema} AUTHORIZATION ${TEST_POSTGRES.username}`);
    await client.query(`CREATE SCHEMA ${TEST_POSTGRES.lockedSchema}`);
    await client.query(`REVOKE ALL ON SCHEMA ${TEST_POSTGRES.lockedSchema} FROM PUBLIC`);
  });
  // The test servers live on loopback, which the SSRF guard refuses unless allow-listed.
  process.env.WAREHOUSE_ALLOWED_CIDRS = '127.0.0.0/8,::1/128';
  // Tests run many connection tests per organization; the per-organization limit is tested on its
  // own (test/api/test-rate-limit.test.ts) and at its defaults in the deployment rehearsal.
  process.env.WAREHOUSE_TEST_RATE_PER_MINUTE ??= '0';
  process.env.PG_TEST_HOST = postgres.host;
  process.env.PG_TEST_PORT = String(postgres.port);
  process.env.PG_TEST_CA_CERT = postgres.certificates!.caCertificate;
  process.env.PG_TEST_OTHER_CA_CERT = postgres.certificates!.otherCaCertificate;
  process.env.MYSQL_TEST_HOST = mariadb.host;
  process.env.MYSQL_TEST_PORT = String(mariadb.port);
  process.env.MYSQL_TEST_CA_CERT = mariadb.certificates!.caCertificate;
  process.env.MYSQL_TEST_OTHER_CA_CERT = mariadb.certificates!.otherCaCertificate;
  (globalThis as Record<string, unknown>).__warehouseTestServers = { backends, postgres, mariadb, trino };
}
