import { describe, expect, test } from '@jest/globals';
import { redshiftBody, SECRETS } from '../helpers/bodies.js';
import { redshiftIamBody } from '../helpers/redshift-iam.js';
import { parseConnectionRequest } from '../../lib/schema/connection.js';
import { useTestApi } from '../helpers/transports.js';

/** Every rule of the Redshift schema: a 400 naming the field, nothing stored; and the defaults applied. */
const { transport } = useTestApi();
const handler = transport('handler');
const ORG = 'org-redshift-validation';
const names = { cluster: 'analytics', workgroup: 'reporting', dbUser: 'looker_ro', roleName: 'warehouse-reader' };
const world = { names, roleArn: (name = names.roleName) => `arn:aws:iam::123456789012:role/${name}` };
const provisioned = (overrides: Record<string, unknown> = {}, top: Record<string, unknown> = {}) =>
  redshiftIamBody(world, 'provisioned', overrides, top);
const serverless = (overrides: Record<string, unknown> = {}) => redshiftIamBody(world, 'serverless', overrides);

describe('an invalid Redshift body is a 400 naming the field', () => {
  test.each<[string, unknown, string, RegExp]>([
    ['an unknown credentials field', redshiftBody({}, { sslrootcert: '/etc/ca.pem' }), 'credentials.sslrootcert', /not a known field/],
    ['a caller-chosen external id', provisioned({ external_id: 'wc-chosen-by-me' }), 'credentials.external_id', /not a known field/],
    ['an unknown auth_method', redshiftBody({}, { auth_method: 'okta' }), 'credentials.auth_method', /'password' or 'iam'/],
    [
      'a password connection without a password',
      redshiftBody({}, { password: undefined }),
      'credentials.password',
      /required when auth_method is 'password'/,
    ],
    [
      'a password connection without a username',
      redshiftBody({}, { username: undefined }),
      'credentials.username',
      /required when auth_method is 'password'/,
    ],
    [
      'a password connection with a role',
      redshiftBody({}, { role_arn: world.roleArn() }),
      'credentials.role_arn',
      /only used when auth_method is 'iam'/,
    ],
    [
      'a password connection with a cluster',
      redshiftBody({}, { cluster_identifier: 'analytics' }),
      'credentials.cluster_identifier',
      /only used when auth_method is 'iam'/,
    ],
    [
      'an IAM connection with a password',
      provisioned({ password: 'iam-canary-password' }),
      'credentials.password',
      /must not be set when auth_method is 'iam'/,
    ],
    [
      'an IAM connection with a username',
      provisioned({ username: 'admin' }),
      'credentials.username',
      /must not be set when auth_method is 'iam'/,
    ],
    [
      'an IAM connection without a role',
      provisioned({ role_arn: undefined }),
      'credentials.role_arn',
      /required when auth_method is 'iam'/,
    ],
    [
      'a role ARN that is a user',
      provisioned({ role_arn: 'arn:aws:iam::123456789012:user/alice' }),
      'credentials.role_arn',
      /IAM role ARN/,
    ],
    ['a role ARN with a short account', provisioned({ role_arn: 'arn:aws:iam::1234:role/reader' }), 'credentials.role_arn', /IAM role ARN/],
    ['a role ARN with a wildcard', provisioned({ role_arn: 'arn:aws:iam::123456789012:role/*' }), 'credentials.role_arn', /IAM role ARN/],
    [
      'a role of another partition than the region',
      provisioned({ region: 'cn-north-1' }),
      'credentials.role_arn',
      /partition \(arn:aws-cn:iam/,
    ],
    ['an IAM connection without a region', provisioned({ region: undefined }), 'credentials.region', /required when auth_method is 'iam'/],
    ['a region that is not one', provisioned({ region: 'US East' }), 'credentials.region', /AWS region such as 'us-east-1'/],
    [
      'a region other than the one in the endpoint name',
      provisioned({ host: 'analytics.abc123xyz.eu-west-1.redshift.amazonaws.com', region: 'us-east-1' }),
      'credentials.region',
      /must be the region in the host name \('eu-west-1'\)/,
    ],
    [
      'an IAM connection without a cluster or workgroup',
      provisioned({ cluster_identifier: undefined, db_user: undefined }),
      'credentials.cluster_identifier',
      /or workgroup_name/,
    ],
    [
      'a cluster and a workgroup',
      provisioned({ workgroup_name: 'reporting' }),
      'credentials.workgroup_name',
      /must not be set together with cluster_identifier/,
    ],
    [
      'a cluster identifier with capitals',
      provisioned({ cluster_identifier: 'Analytics' }),
      'credentials.cluster_identifier',
      /cluster identifier/,
    ],
    [
      'a cluster identifier with a double hyphen',
      provisioned({ cluster_identifier: 'a--b' }),
      'credentials.cluster_identifier',
      /single hyphens/,
    ],
    ['a cluster without db_user', provisioned({ db_user: undefined }), 'credentials.db_user', /required with cluster_identifier/],
    ['a db_user with a colon', provisioned({ db_user: 'IAM:looker' }), 'credentials.db_user', /database user name/],
    ['auto_create that is a string', provisioned({ auto_create: 'yes' }), 'credentials.auto_create', /true or false/],
    ['a workgroup with a db_user', serverless({ db_user: 'looker_ro' }), 'credentials.db_user', /only used with cluster_identifier/],
    ['a workgroup with auto_create', serverless({ auto_create: true }), 'credentials.auto_create', /only used with cluster_identifier/],
    ['a workgroup name with capitals', serverless({ workgroup_name: 'Reporting' }), 'credentials.workgroup_name', /workgroup name/],
    [
      'a CA certificate where nothing is verified',
      redshiftBody({}, { ca_certificate: '-----BEGIN CERTIFICATE-----\nAA\n-----END CERTIFICATE-----' }),
      'credentials.ca_certificate',
      /PEM certificates/,
    ],
    ['a host that is a socket path', redshiftBody({}, { host: '/tmp/.s.PGSQL.5439' }), 'credentials.host', /hostname or an IP/],
  ])('%s', async (_, body, field, message) => {
    const response = await handler.call({ org: ORG, method: 'POST', body });

    expect(response.status).toBe(400);
    expect(response.body).toMatchObject({ code: 'validation_failed', field });
    const details = response.body!.details as { field: string; message: string }[];
    expect(details.find((detail) => detail.field === field)?.message).toMatch(message);
    for (const secret of [...SECRETS, 'iam-canary-password']) expect(response.rawBody).not.toContain(secret);
    const read = await handler.call({ org: ORG, method: 'GET' });
    expect(read.body!.connection).toBeNull();
  });
});

describe('a valid Redshift body is accepted, with its defaults applied', () => {
  test.each<[string, () => Record<string, unknown>, Record<string, unknown>]>([
    [
      'password: port 5439, ssl_mode require, schema public',
      () => redshiftBody({ dataset_id: undefined }, { port: undefined, ssl_mode: undefined }),
      { dataset_id: 'public', credentials: expect.objectContaining({ auth_method: 'password', port: 5439, ssl_mode: 'require' }) },
    ],
    [
      'IAM, provisioned, on a Redshift endpoint name of its region: port 5439, auto_create false',
      () => provisioned({ host: 'analytics.abc123xyz.us-east-1.redshift.amazonaws.com', port: undefined }),
      { credentials: expect.objectContaining({ auth_method: 'iam', auto_create: false, db_user: 'looker_ro', port: 5439 }) },
    ],
    [
      'IAM, Serverless, in GovCloud: no auto_create',
      () => serverless({ region: 'us-gov-west-1', role_arn: 'arn:aws-us-gov:iam::123456789012:role/reader' }),
      { credentials: expect.not.objectContaining({ auto_create: expect.anything() }) },
    ],
  ])('%s', async (_, body, expected) => {
    expect(await parseConnectionRequest(body())).toMatchObject({ provider: 'redshift', ...expected });
    const org = `${ORG}-ok-${Math.random().toString(36).slice(2, 8)}`;
    const response = await handler.call({ org, method: 'POST', body: body() });
    expect(response.status).toBe(201);
    for (const secret of SECRETS) expect(response.rawBody).not.toContain(secret);
  });
});
