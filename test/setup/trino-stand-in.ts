import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startTrinoStandIn } from '../fakes/trino-server.js';
import { makeTestCertificates } from './certificates.js';
import { TEST_TRINO_CATALOGS, TEST_TRINO_USERS } from './trino-fixture.js';

/**
 * For the global setup: a certificate for `localhost` from a test CA, and a Trino stand-in (HTTPS,
 * password authentication) holding the test account, so that the seed body tests successfully in
 * any test. Its address and the certificates reach the test workers through the environment.
 */
export async function startSeedTrino(): Promise<{ stop(): Promise<void> }> {
  const directory = await mkdtemp(join(tmpdir(), 'warehouse-connections-trino-'));
  const certificates = await makeTestCertificates(directory);
  const [cert, key] = await Promise.all([
    readFile(certificates.serverCertificateFile, 'utf8'),
    readFile(certificates.serverKeyFile, 'utf8'),
  ]);
  await rm(directory, { recursive: true, force: true });
  const server = await startTrinoStandIn({ tls: { cert, key }, users: TEST_TRINO_USERS, catalogs: TEST_TRINO_CATALOGS });
  Object.assign(process.env, {
    TRINO_TEST_PORT: String(server.port),
    TRINO_TEST_TLS_CERT: cert,
    TRINO_TEST_TLS_KEY: key,
    TRINO_TEST_CA_CERT: certificates.caCertificate,
    TRINO_TEST_OTHER_CA_CERT: certificates.otherCaCertificate,
  });
  return { stop: () => server.close() };
}
