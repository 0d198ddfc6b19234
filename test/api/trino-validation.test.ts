import { describe, expect, test } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import { parseConnectionRequest } from '../../lib/schema/connection.js';
import { SECRETS, trinoBody } from '../helpers/bodies.js';
import { useTestApi } from '../helpers/transports.js';
import { TEST_TRINO, testTrinoTls } from '../setup/trino-fixture.js';

/** Every rule of the Trino schema: a 400 naming the field, nothing stored; and what it accepts, with its defaults. */
const { transport } = useTestApi();
const handler = transport('handler');
const ORG = 'org-trino-validation';
const PLAIN_HTTP = { ssl_mode: 'disable', ca_certificate: undefined };

describe('an invalid Trino body is a 400 naming the field', () => {
  test.each<[string, unknown, string, RegExp]>([
    [
      'an unknown top-level field',
      { ...trinoBody(), session_properties: { query_max_memory: '1TB' } },
      'session_properties',
      /not a known field/,
    ],
    ['a server URL', trinoBody({}, { server: 'https://trino.example.com' }), 'credentials.server', /not a known field/],
    ['an HTTP scheme field', trinoBody({}, { http_scheme: 'https' }), 'credentials.http_scheme', /not a known field/],
    ['extra headers', trinoBody({}, { extra_headers: { 'X-Trino-Role': 'admin' } }), 'credentials.extra_headers', /not a known field/],
    ['extra credentials', trinoBody({}, { extra_credential: { key: 'value' } }), 'credentials.extra_credential', /not a known field/],
    ['a session schema field', trinoBody({}, { schema: 'other' }), 'credentials.schema', /not a known field/],
    ['a host that is a URL', trinoBody({}, { host: 'https://trino.example.com' }), 'credentials.host', /hostname or an IP/],
    ['a host with a path', trinoBody({}, { host: 'trino.example.com/v1' }), 'credentials.host', /hostname or an IP/],
    ['a port out of range', trinoBody({}, { port: 0 }), 'credentials.port', /1 to 65535/],
    ['a port that is a string', trinoBody({}, { port: '8443' }), 'credentials.port', /1 to 65535/],
    [
      'a password over plain HTTP',
      trinoBody({}, PLAIN_HTTP),
      'credentials.password',
      /must not be set with ssl_mode 'disable': a password is only sent over HTTPS/,
    ],
    ['an empty password', trinoBody({}, { password: '' }), 'credentials.password', /must not be empty/],
    ['a password with a NUL byte', trinoBody({}, { password: 'a\u0000b' }), 'credentials.password', /NUL/],
    ['a username with a colon', trinoBody({}, { username: 'team:analyst' }), 'credentials.username', /must not contain ':'/],
    ['a username that is not ASCII', trinoBody({}, { username: 'analyst-用户' }), 'credentials.username', /printable ASCII/],
    [
      'a username with a trailing space',
      trinoBody({}, { username: 'analyst ' }),
      'credentials.username',
      /without leading or trailing spaces/,
    ],
    ['a username with a line break', trinoBody({}, { username: 'a\r\nX-Trino-Role: admin' }), 'credentials.username', /control characters/],
    ['a missing username', trinoBody({}, { username: undefined }), 'credentials.username', /is required/],
    ['an unknown ssl_mode', trinoBody({}, { ssl_mode: 'https' }), 'credentials.ssl_mode', /must be one of/],
    [
      'a CA certificate given as a path',
      trinoBody({}, { ca_certificate: '/etc/ssl/certs/trino-ca.pem' }),
      'credentials.ca_certificate',
      /PEM certificates/,
    ],
    [
      'a CA certificate where nothing is verified',
      trinoBody({}, { ssl_mode: 'require' }),
      'credentials.ca_certificate',
      /only used with ssl_mode 'verify-ca' or 'verify-full'/,
    ],
    ['a missing catalog', trinoBody({}, { catalog: undefined }), 'credentials.catalog', /is required/],
    ['a catalog with a control character', trinoBody({}, { catalog: 'lake\nhouse' }), 'credentials.catalog', /control characters/],
    ['a missing schema (dataset_id)', trinoBody({ dataset_id: undefined }), 'dataset_id', /is required/],
    ['a schema over 255 characters', trinoBody({ dataset_id: 's'.repeat(256) }), 'dataset_id', /at most 255/],
  ])('%s', async (_, body, field, message) => {
    const org = `${ORG}-${randomUUID().slice(0, 8)}`;
    const response = await handler.call({ org, method: 'POST', body });

    expect(response.status).toBe(400);
    expect(response.body).toMatchObject({ code: 'validation_failed', field });
    const details = response.body!.details as { field: string; message: string }[];
    expect(details.find((detail) => detail.field === field)?.message).toMatch(message);
    for (const secret of SECRETS) expect(response.rawBody).not.toContain(secret);
    expect((await handler.call({ org, method: 'GET' })).body).toEqual(expect.objectContaining({ connection: null }));
  });
});

describe('what the Trino schema accepts', () => {
  test.each<[string, Record<string, unknown>, Record<string, unknown>]>([
    [
      'HTTPS with a password: port 443 and verify-full by default',
      { port: undefined, ssl_mode: undefined },
      { port: 443, ssl_mode: 'verify-full' },
    ],
    [
      'plain HTTP without a password: port 8080',
      { port: undefined, password: undefined, ...PLAIN_HTTP },
      { port: 8080, ssl_mode: 'disable' },
    ],
    ['HTTPS without a password (a cluster without authentication)', { password: undefined }, { ssl_mode: 'verify-full' }],
    ['an IPv6 address', { host: '::1' }, { host: '::1' }],
    ['a password with a colon and letters outside ASCII', { password: 'pässwörd:canary-x9' }, { password: 'pässwörd:canary-x9' }],
  ])('%s', async (_, credentials, expected) => {
    const definition = await parseConnectionRequest(trinoBody({}, credentials));
    expect(definition).toMatchObject({ provider: 'trino', dataset_id: TEST_TRINO.schema, credentials: expected, settings: {} });
  });

  test('the stored definition holds only the fields given, the CA as its PEM content', async () => {
    const definition = await parseConnectionRequest(trinoBody());
    expect(Object.keys(definition.credentials).sort()).toEqual([
      'ca_certificate',
      'catalog',
      'host',
      'password',
      'port',
      'ssl_mode',
      'username',
    ]);
    expect((definition.credentials as { ca_certificate: string }).ca_certificate).toBe(testTrinoTls().ca);
  });
});
