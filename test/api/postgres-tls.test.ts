import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:net';
import { postgresBody, SECRETS } from '../helpers/bodies.js';
import { useTestApi } from '../helpers/transports.js';
import { testCertificateAuthorities } from '../setup/test-postgres-fixture.js';
import { ROUTE } from '../../lib/routes.js';

const { transport } = useTestApi();
const handler = transport('handler');

const TEST_PATH = ROUTE.test.path;
let plaintextOnly: Server;
let plaintextOnlyPort: number;

beforeAll(async () => {
  // Answers the SSLRequest with 'N', exactly as a PostgreSQL server without TLS does.
  plaintextOnly = createServer((socket) => socket.once('data', () => socket.write('N')));
  await new Promise<void>((resolve) => plaintextOnly.listen(0, '127.0.0.1', resolve));
  plaintextOnlyPort = (plaintextOnly.address() as { port: number }).port;
});
afterAll(async () => {
  await new Promise((resolve) => plaintextOnly.close(resolve));
});

async function verdictFor(credentials: Record<string, unknown>) {
  const org = `org-${randomUUID().slice(0, 8)}`;
  const created = await handler.call({ org, method: 'POST', body: postgresBody({}, credentials) });
  expect(created.status).toBe(201);
  const tested = await handler.call({ org, method: 'POST', path: TEST_PATH });
  for (const secret of SECRETS) expect(tested.rawBody).not.toContain(secret);
  return tested.body;
}

describe('Postgres ssl_mode against a real server with TLS on', () => {
  const { ca, otherCa } = testCertificateAuthorities();

  test.each<[string, Record<string, unknown>]>([
    ['require encrypts without verifying', { ssl_mode: 'require' }],
    ['verify-full with the CA and the certificate’s name', { ssl_mode: 'verify-full', host: 'localhost', ca_certificate: ca }],
    ['verify-ca with the CA, whatever the name', { ssl_mode: 'verify-ca', ca_certificate: ca }],
    ['disable connects in plain text', { ssl_mode: 'disable' }],
  ])('%s: success', async (_, credentials) => {
    expect(await verdictFor(credentials)).toMatchObject({ success: true });
  });

  test.each<[string, () => Record<string, unknown>]>([
    [
      'verify-full when the name does not match the certificate',
      () => ({ ssl_mode: 'verify-full', host: '127.0.0.1', ca_certificate: ca }),
    ],
    ['verify-full without the private CA (system trust store)', () => ({ ssl_mode: 'verify-full', host: 'localhost' })],
    ['verify-ca against an unrelated CA', () => ({ ssl_mode: 'verify-ca', ca_certificate: otherCa })],
    ['require against a server without TLS', () => ({ ssl_mode: 'require', port: plaintextOnlyPort })],
  ])('%s: tls_error', async (_, credentials) => {
    expect(await verdictFor(credentials())).toMatchObject({ success: false, code: 'tls_error', error: expect.stringContaining('TLS') });
  });
});
