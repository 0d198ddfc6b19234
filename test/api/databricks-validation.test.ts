import { describe, expect, test } from '@jest/globals';
import { parseConnectionRequest } from '../../lib/schema/connection.js';
import { CANARY, databricksBody, SECRETS } from '../helpers/bodies.js';
import { useTestApi } from '../helpers/transports.js';

/** Every rule of the Databricks schema: a 400 naming the field, nothing stored; and the defaults applied. */
const { transport } = useTestApi();
const handler = transport('handler');
const ORG = 'org-databricks-validation';
const CLIENT_SECRET = 'dose-canary-client-secret-8c1d';
const CLIENT_ID = '6f1c2a3b-4d5e-4f60-8a9b-0c1d2e3f4a5b';
const WORKSPACE = 'dbc-a1b2c3d4-e5f6.cloud.databricks.com';
const token = (credentials: Record<string, unknown> = {}, top: Record<string, unknown> = {}) =>
  databricksBody(top, { host: WORKSPACE, ...credentials });
const oauth = (credentials: Record<string, unknown> = {}, top: Record<string, unknown> = {}) =>
  token({ token: undefined, auth_method: 'oauth_m2m', client_id: CLIENT_ID, client_secret: CLIENT_SECRET, ...credentials }, top);

describe('an invalid Databricks body is a 400 naming the field', () => {
  test.each<[string, unknown, string, RegExp]>([
    ['an unknown top-level field', { ...token(), warehouse_id: 'x' }, 'warehouse_id', /not a known field/],
    [
      'a connection string',
      token({ connection_string: 'databricks://token:x@host' }),
      'credentials.connection_string',
      /not a known field/,
    ],
    ['a driver option (proxy)', token({ proxy: { host: 'proxy.example.com', port: 3128 } }), 'credentials.proxy', /not a known field/],
    ['a TLS switch', token({ checkServerCertificate: false }), 'credentials', /has a field that is not known \(its name is not shown\)/],
    [
      'a CA file path',
      token({ customCaCert: '/etc/ssl/ca.pem' }),
      'credentials',
      /has a field that is not known \(its name is not shown\)/,
    ],
    [
      'a staging path',
      token({ stagingAllowedLocalPath: '/tmp' }),
      'credentials',
      /has a field that is not known \(its name is not shown\)/,
    ],
    ['a port', token({ port: 8443 }), 'credentials.port', /not a known field/],
    ['a missing host', token({ host: undefined }), 'credentials.host', /is required/],
    [
      'a host with a scheme',
      token({ host: `https://${WORKSPACE}` }),
      'credentials.host',
      /host name, such as .* \(no https:\/\/, path or port\)/,
    ],
    ['a host with a path', token({ host: `${WORKSPACE}/sql` }), 'credentials.host', /no https:\/\/, path or port/],
    ['a host with a port', token({ host: `${WORKSPACE}:443` }), 'credentials.host', /no https:\/\/, path or port/],
    ['a host that is an IP address', token({ host: '203.0.113.7' }), 'credentials.host', /host name/],
    ['a host that is a short IPv4 form', token({ host: '127.1' }), 'credentials.host', /host name/],
    ['a host with a user part', token({ host: `user@${WORKSPACE}` }), 'credentials.host', /host name/],
    ['a host with a trailing dot', token({ host: `${WORKSPACE}.` }), 'credentials.host', /host name/],
    ['a missing http_path', token({ http_path: undefined }), 'credentials.http_path', /is required/],
    [
      'an http_path of a cluster',
      token({ http_path: 'sql/protocolv1/o/1234567890123456/0123-456789-abcdefgh' }),
      'credentials.http_path',
      /SQL warehouse's HTTP path/,
    ],
    [
      'an http_path with a query string',
      token({ http_path: '/sql/1.0/warehouses/0123456789abcdef?o=123' }),
      'credentials.http_path',
      /HTTP path/,
    ],
    ['an http_path with a short id', token({ http_path: '/sql/1.0/warehouses/0123' }), 'credentials.http_path', /16-character id/],
    [
      'an http_path that is a URL',
      token({ http_path: `https://${WORKSPACE}/sql/1.0/warehouses/0123456789abcdef` }),
      'credentials.http_path',
      /HTTP path/,
    ],
    ['an http_path with a traversal', token({ http_path: '/sql/1.0/warehouses/../../api/2.0/x' }), 'credentials.http_path', /HTTP path/],
    ['a missing catalog', token({ catalog: undefined }), 'credentials.catalog', /is required/],
    ['an empty catalog', token({ catalog: '' }), 'credentials.catalog', /must not be empty/],
    ['a catalog over 255 characters', token({ catalog: 'c'.repeat(256) }), 'credentials.catalog', /at most 255/],
    ['a schema with a control character', token({}, { dataset_id: 'a\nb' }), 'dataset_id', /control characters/],
    ['an unknown auth_method', token({ auth_method: 'oauth_u2m' }), 'credentials.auth_method', /'token' or 'oauth_m2m'/],
    ['a token connection without a token', token({ token: undefined }), 'credentials.token', /required when auth_method is 'token'/],
    ['a token with a NUL byte', token({ token: 'dapi\u0000x' }), 'credentials.token', /NUL/],
    [
      'a token connection with a client secret',
      token({ client_secret: CLIENT_SECRET }),
      'credentials.client_secret',
      /only used when auth_method is 'oauth_m2m'/,
    ],
    [
      'a token connection with a client id',
      token({ client_id: CLIENT_ID }),
      'credentials.client_id',
      /only used when auth_method is 'oauth_m2m'/,
    ],
    ['OAuth without a client id', oauth({ client_id: undefined }), 'credentials.client_id', /required when auth_method is 'oauth_m2m'/],
    ['OAuth with a client id of null', oauth({ client_id: null }), 'credentials.client_id', /required when auth_method is 'oauth_m2m'/],
    [
      'OAuth without a client secret',
      oauth({ client_secret: undefined }),
      'credentials.client_secret',
      /required when auth_method is 'oauth_m2m'/,
    ],
    ['OAuth with a token', oauth({ token: CANARY.databricksToken }), 'credentials.token', /only used when auth_method is 'token'/],
    [
      'OAuth with a client id that is not a UUID',
      oauth({ client_id: 'my-service-principal' }),
      'credentials.client_id',
      /application id \(a UUID\)/,
    ],
    [
      'OAuth on a host outside the Databricks domains the sign-in supports',
      oauth({ host: 'warehouse.example.com' }),
      'credentials.host',
      /must be a workspace on \.cloud\.databricks\.com, .* when auth_method is 'oauth_m2m'/,
    ],
  ])('%s', async (_, body, field, message) => {
    const response = await handler.call({ org: ORG, method: 'POST', body });

    expect(response.status).toBe(400);
    expect(response.body).toMatchObject({ code: 'validation_failed', field });
    const details = response.body!.details as { field: string; message: string }[];
    expect(details.find((detail) => detail.field === field)?.message).toMatch(message);
    for (const secret of [...SECRETS, CLIENT_SECRET]) expect(response.rawBody).not.toContain(secret);
    const read = await handler.call({ org: ORG, method: 'GET' });
    expect(read.body!.connection).toBeNull();
  });
});

describe('a valid Databricks body is accepted, with its defaults applied', () => {
  test.each<[string, () => Record<string, unknown>, Record<string, unknown>]>([
    [
      'a token: auth_method token, dataset_id default, the host lower-cased',
      () => token({ host: WORKSPACE.toUpperCase() }, { dataset_id: undefined }),
      { dataset_id: 'default', credentials: expect.objectContaining({ auth_method: 'token', host: WORKSPACE }) },
    ],
    [
      'OAuth on Azure, with the older endpoints path',
      () => oauth({ host: 'adb-1234567890123456.7.azuredatabricks.net', http_path: '/sql/1.0/endpoints/0123456789abcdef' }),
      { credentials: expect.objectContaining({ auth_method: 'oauth_m2m', client_id: CLIENT_ID }) },
    ],
    [
      'OAuth on GCP',
      () => oauth({ host: '1234567890123456.7.gcp.databricks.com' }),
      { credentials: expect.objectContaining({ auth_method: 'oauth_m2m' }) },
    ],
    [
      'a token with client_id null (as GET shows a token connection): stored as null',
      () => token({ client_id: null }),
      { credentials: expect.objectContaining({ auth_method: 'token', client_id: null }) },
    ],
    [
      'a token on a workspace domain the OAuth sign-in does not cover',
      () => token({ host: 'dbc-a1b2c3d4-e5f6.cloud.databricks.us' }),
      { credentials: expect.objectContaining({ auth_method: 'token' }) },
    ],
  ])('%s', async (_, body, expected) => {
    expect(await parseConnectionRequest(body())).toMatchObject({ provider: 'databricks', ...expected });
    const org = `${ORG}-ok-${Math.random().toString(36).slice(2, 8)}`;
    const response = await handler.call({ org, method: 'POST', body: body() });
    expect(response.status).toBe(201);
    for (const secret of [...SECRETS, CLIENT_SECRET]) expect(response.rawBody).not.toContain(secret);
  });
});
