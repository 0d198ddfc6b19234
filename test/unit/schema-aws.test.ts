import { describe, expect, test } from '@jest/globals';
import {
  accepted,
  type Body,
  type Case,
  caCertificateField,
  checkCases,
  MINIMAL,
  nullableTextField,
  OMIT,
  parsed,
  picklistField,
  portField,
  refused,
  ROLE_ARN,
  sslModeField,
  stringField,
  unknownFields,
  withFields,
} from './schema-cases.js';

/** The request schemas of the providers that assume a customer's AWS role: Redshift (with IAM) and Athena. */
const ROLE_MESSAGE = "must be an IAM role ARN such as 'arn:aws:iam::123456789012:role/warehouse-reader'";
const REGION_MESSAGE = "must be an AWS region such as 'us-east-1'";
const partitionMessage = (partition: string) => `must be a role of the region's partition (arn:${partition}:iam::…)`;

/** role_arn and region (lib/providers/aws/fields.ts), in a body whose other fields accept them. */
function roleAndRegionFields(base: Body): Case[] {
  const role = (value: unknown) => withFields(base, { 'credentials.role_arn': value });
  const path = 'credentials.role_arn';
  return [
    accepted('a role with a path', role('arn:aws:iam::222233334444:role/service-role/team/reader')),
    accepted('a role name of 64 characters', role(`arn:aws:iam::222233334444:role/${'r'.repeat(64)}`)),
    accepted('a role name with +=,.@_-', role('arn:aws:iam::222233334444:role/a+b=c,d.e@f_g-h')),
    refused('a role name of 65 characters', role(`arn:aws:iam::222233334444:role/${'r'.repeat(65)}`), path, ROLE_MESSAGE),
    refused('an account id of 11 digits', role('arn:aws:iam::22223333444:role/reader'), path, ROLE_MESSAGE),
    refused('a user, not a role', role('arn:aws:iam::222233334444:user/reader'), path, ROLE_MESSAGE),
    refused('another service', role('arn:aws:s3:::acme-bucket'), path, ROLE_MESSAGE),
    refused('an unknown partition', role('arn:aws-iso:iam::222233334444:role/reader'), path, ROLE_MESSAGE),
    refused('junk before the ARN', role(` ${ROLE_ARN}`), path, ROLE_MESSAGE),
    refused('junk after the ARN', role(`${ROLE_ARN}/`), path, ROLE_MESSAGE),
    refused('a role ARN of 2049 characters', role('a'.repeat(2_049)), path, 'must be at most 2048 characters'),
    refused('a role ARN that is a number', role(42), path, 'must be a string'),
    ...['US-EAST-1', 'us-east', 'us-east-100', 'useast-1', 'us-east-1a', ' us-east-1'].map((region) =>
      refused(`region ${JSON.stringify(region)}`, withFields(base, { 'credentials.region': region }), 'credentials.region', REGION_MESSAGE),
    ),
  ];
}

describe('Redshift', () => {
  const password = MINIMAL.redshift;
  const CLUSTER_HOST = 'examplecluster.abc123xyz789.us-west-2.redshift.amazonaws.com';
  const SERVERLESS_HOST = 'reporting.222233334444.us-east-1.redshift-serverless.amazonaws.com';
  const cluster: Body = {
    provider: 'redshift',
    credentials: {
      host: CLUSTER_HOST,
      database: 'dev',
      auth_method: 'iam',
      role_arn: ROLE_ARN,
      region: 'us-west-2',
      cluster_identifier: 'examplecluster',
      db_user: 'reader',
    },
  };
  const serverless: Body = {
    provider: 'redshift',
    credentials: {
      host: SERVERLESS_HOST,
      database: 'dev',
      auth_method: 'iam',
      role_arn: ROLE_ARN,
      region: 'us-east-1',
      workgroup_name: 'reporting',
    },
  };
  const ONLY_IAM = "is only used when auth_method is 'iam'";
  const NOT_WITH_IAM = "must not be set when auth_method is 'iam': the service gets temporary database credentials itself";

  test('IAM with a cluster: auto_create defaults to false, the port to 5439, ssl_mode to require', async () => {
    expect(await parsed(cluster)).toEqual({
      provider: 'redshift',
      project_id: null,
      dataset_id: 'public',
      credentials: { ...(cluster.credentials as Body), port: 5439, ssl_mode: 'require', auto_create: false },
      settings: {},
    });
    expect(await parsed(withFields(cluster, { 'credentials.auto_create': true }))).toMatchObject({ credentials: { auto_create: true } });
  });

  test('IAM with a Serverless workgroup: no auto_create', async () => {
    const definition = await parsed(serverless);
    expect(definition).toEqual({
      provider: 'redshift',
      project_id: null,
      dataset_id: 'public',
      credentials: { ...(serverless.credentials as Body), port: 5439, ssl_mode: 'require' },
      settings: {},
    });
    expect(definition.credentials).not.toHaveProperty('auto_create');
  });

  test('a password body is kept as given, without auto_create', async () => {
    const body = withFields(password, {
      project_id: 'dw',
      dataset_id: 'sales',
      'credentials.port': 5440,
      'credentials.ssl_mode': 'disable',
    });
    const definition = await parsed(body);
    expect(definition).toEqual({ ...body, credentials: { ...(body.credentials as Body), auth_method: 'password' }, settings: {} });
    expect(definition.credentials).not.toHaveProperty('auto_create');
  });

  describe('fields', () => {
    checkCases([
      ...portField(password),
      ...stringField(password, 'credentials.database', 127, 'text'),
      ...stringField(password, 'credentials.username', 127, 'text'),
      ...stringField(password, 'credentials.password', 1_024, 'secret'),
      ...nullableTextField(password, 'project_id', 255),
      ...nullableTextField(password, 'dataset_id', 127),
      ...sslModeField(password),
      ...caCertificateField(password, false),
      ...caCertificateField(cluster, false).slice(0, 4),
      refused(
        'a host that is a path',
        withFields(password, { 'credentials.host': '/tmp/.s.PGSQL.5439' }),
        'credentials.host',
        'must be a hostname or an IP address',
      ),
      ...picklistField(
        password,
        'credentials.auth_method',
        ['password'],
        ['IAM', 'iam_role', 'token', 'Password', ''],
        "must be 'password' or 'iam'",
      ),
      accepted("credentials.auth_method 'iam'", cluster),
      ...unknownFields(cluster, ['secret_arn', 'duration_seconds', 'external_id', 'profile']),
      ...roleAndRegionFields(cluster),
    ]);
  });

  describe('which fields go with which auth_method', () => {
    const pw = (field: string, value: unknown) => withFields(password, { [`credentials.${field}`]: value });
    const iam = (changes: Record<string, unknown>, base = cluster) =>
      withFields(base, Object.fromEntries(Object.entries(changes).map(([field, value]) => [`credentials.${field}`, value])));
    checkCases([
      refused('password auth without username', pw('username', OMIT), 'credentials.username', "is required when auth_method is 'password'"),
      refused('password auth without password', pw('password', OMIT), 'credentials.password', "is required when auth_method is 'password'"),
      refused('password auth with role_arn', pw('role_arn', ROLE_ARN), 'credentials.role_arn', ONLY_IAM),
      refused('password auth with region', pw('region', 'us-west-2'), 'credentials.region', ONLY_IAM),
      refused(
        'password auth with cluster_identifier',
        pw('cluster_identifier', 'examplecluster'),
        'credentials.cluster_identifier',
        ONLY_IAM,
      ),
      refused('password auth with workgroup_name', pw('workgroup_name', 'reporting'), 'credentials.workgroup_name', ONLY_IAM),
      refused('password auth with db_user', pw('db_user', 'reader'), 'credentials.db_user', ONLY_IAM),
      refused('password auth with auto_create', pw('auto_create', false), 'credentials.auto_create', ONLY_IAM),
      refused('IAM with username', iam({ username: 'reader' }), 'credentials.username', NOT_WITH_IAM),
      refused('IAM with password', iam({ password: 'rs-canary-password' }), 'credentials.password', NOT_WITH_IAM),
      refused(
        'IAM without role_arn',
        iam({ role_arn: OMIT }),
        'credentials.role_arn',
        "is required when auth_method is 'iam': the role the service assumes",
      ),
      refused(
        'IAM without region',
        iam({ region: OMIT }),
        'credentials.region',
        "is required when auth_method is 'iam': the region of the cluster or workgroup",
      ),
      refused(
        'IAM without cluster_identifier or workgroup_name',
        iam({ cluster_identifier: OMIT, db_user: OMIT }),
        'credentials.cluster_identifier',
        "is required when auth_method is 'iam' (or workgroup_name, for Redshift Serverless)",
      ),
      refused(
        'IAM with both cluster_identifier and workgroup_name',
        iam({ workgroup_name: 'reporting' }),
        'credentials.workgroup_name',
        'must not be set together with cluster_identifier: give one, for Redshift Serverless or a provisioned cluster',
      ),
      refused('IAM with a cluster and no db_user', iam({ db_user: OMIT }), 'credentials.db_user', 'is required with cluster_identifier'),
      refused(
        'IAM with a workgroup and db_user',
        iam({ db_user: 'reader' }, serverless),
        'credentials.db_user',
        'is only used with cluster_identifier (Redshift Serverless names the user after the role)',
      ),
      refused(
        'IAM with a workgroup and auto_create',
        iam({ auto_create: true }, serverless),
        'credentials.auto_create',
        'is only used with cluster_identifier',
      ),
      refused('auto_create that is not a boolean', iam({ auto_create: 'yes' }), 'credentials.auto_create', 'must be true or false'),
    ]);
  });

  describe('the role is of the region’s partition', () => {
    const at = (region: string, role: string, host: string) =>
      withFields(cluster, { 'credentials.region': region, 'credentials.role_arn': role, 'credentials.host': host });
    const CN_HOST = 'examplecluster.abc123xyz789.cn-north-1.redshift.amazonaws.com.cn';
    const GOV_HOST = 'examplecluster.abc123xyz789.us-gov-west-1.redshift.amazonaws.com';
    checkCases([
      accepted('a China role in a China region', at('cn-north-1', 'arn:aws-cn:iam::222233334444:role/reader', CN_HOST)),
      accepted('a GovCloud role in a GovCloud region', at('us-gov-west-1', 'arn:aws-us-gov:iam::222233334444:role/reader', GOV_HOST)),
      refused(
        'a commercial role in a China region',
        at('cn-north-1', ROLE_ARN, CN_HOST),
        'credentials.role_arn',
        partitionMessage('aws-cn'),
      ),
      refused(
        'a commercial role in a GovCloud region',
        at('us-gov-west-1', ROLE_ARN, GOV_HOST),
        'credentials.role_arn',
        partitionMessage('aws-us-gov'),
      ),
      refused(
        'a GovCloud role in a commercial region',
        at('us-west-2', 'arn:aws-us-gov:iam::222233334444:role/reader', CLUSTER_HOST),
        'credentials.role_arn',
        partitionMessage('aws'),
      ),
    ]);
  });

  describe('the region is the one in a Redshift endpoint name', () => {
    const at = (host: string, region: string) => withFields(cluster, { 'credentials.host': host, 'credentials.region': region });
    const wrong = (named: string) => `must be the region in the host name ('${named}')`;
    checkCases([
      refused('another region than the cluster endpoint’s', at(CLUSTER_HOST, 'us-east-1'), 'credentials.region', wrong('us-west-2')),
      refused('another region than the Serverless endpoint’s', at(SERVERLESS_HOST, 'us-west-2'), 'credentials.region', wrong('us-east-1')),
      refused(
        'another region than an endpoint with a final dot',
        at(`${CLUSTER_HOST}.`, 'us-east-1'),
        'credentials.region',
        wrong('us-west-2'),
      ),
      refused(
        'another region than a two-digit one',
        at('c.abc.ap-southeast-10.redshift.amazonaws.com', 'ap-southeast-1'),
        'credentials.region',
        wrong('ap-southeast-10'),
      ),
      refused(
        'another region than a GovCloud endpoint’s',
        at('c.abc.us-gov-west-1.redshift.amazonaws.com', 'us-west-1'),
        'credentials.region',
        wrong('us-gov-west-1'),
      ),
      refused(
        'another region than a China endpoint’s',
        withFields(at('c.abc.cn-north-1.redshift.amazonaws.com.cn', 'cn-northwest-1'), {
          'credentials.role_arn': 'arn:aws-cn:iam::222233334444:role/reader',
        }),
        'credentials.region',
        wrong('cn-north-1'),
      ),
      refused(
        'another region than an endpoint in capitals (named in lower case)',
        at(CLUSTER_HOST.toUpperCase(), 'us-east-1'),
        'credentials.region',
        wrong('us-west-2'),
      ),
      accepted('the region of an endpoint in capitals', at(CLUSTER_HOST.toUpperCase(), 'us-west-2')),
      accepted('any region with a host that is not an endpoint', at('warehouse.example.com', 'eu-west-1')),
      accepted('any region with an endpoint name followed by another domain', at(`${CLUSTER_HOST}.example.org`, 'eu-west-1')),
      accepted('any region with an IP address', at('192.0.2.10', 'eu-west-1')),
    ]);
  });

  describe('cluster_identifier, db_user and workgroup_name', () => {
    const field = (name: string, value: unknown, base = cluster) => withFields(base, { [`credentials.${name}`]: value });
    const CLUSTER_MESSAGE = 'must be a cluster identifier: lower-case letters, digits and single hyphens, starting with a letter';
    const DB_USER_MESSAGE = 'must be a database user name of 1 to 64 letters, digits or _+.@-, starting with a letter';
    const WORKGROUP_MESSAGE = 'must be a workgroup name: 3 to 64 lower-case letters, digits and hyphens';
    checkCases([
      accepted('cluster_identifier of one letter', field('cluster_identifier', 'a')),
      accepted('cluster_identifier with single hyphens and digits', field('cluster_identifier', 'ex-ample-1')),
      accepted('cluster_identifier of 63 characters', field('cluster_identifier', 'c'.repeat(63))),
      refused(
        'cluster_identifier of 64 characters',
        field('cluster_identifier', 'c'.repeat(64)),
        'credentials.cluster_identifier',
        'must be at most 63 characters',
      ),
      ...['', 'ex--ample', '1cluster', '-cluster', 'cluster-', 'Cluster', 'clus_ter', 'cluster.x'].map((value) =>
        refused(
          `cluster_identifier ${JSON.stringify(value)}`,
          field('cluster_identifier', value),
          'credentials.cluster_identifier',
          CLUSTER_MESSAGE,
        ),
      ),
      accepted('db_user of one letter', field('db_user', 'r')),
      accepted('db_user of 64 characters', field('db_user', `R${'e'.repeat(63)}`)),
      accepted('db_user with _+.@- and digits', field('db_user', 'Reader_1+x.y@z-w')),
      ...['', `R${'e'.repeat(64)}`, '1reader', '_reader', 'reader:admin', 'reader/admin', 'read er'].map((value) =>
        refused(
          `db_user ${JSON.stringify(value.length > 20 ? `${value.length} characters` : value)}`,
          field('db_user', value),
          'credentials.db_user',
          DB_USER_MESSAGE,
        ),
      ),
      accepted('workgroup_name of 3 characters', field('workgroup_name', 'a-1', serverless)),
      accepted('workgroup_name of 64 characters', field('workgroup_name', 'w'.repeat(64), serverless)),
      ...['ab', 'w'.repeat(65), 'Reporting', 'report_ing', 'report.ing', ' reporting'].map((value) =>
        refused(
          `workgroup_name ${JSON.stringify(value.length > 20 ? `${value.length} characters` : value)}`,
          field('workgroup_name', value, serverless),
          'credentials.workgroup_name',
          WORKGROUP_MESSAGE,
        ),
      ),
    ]);
  });
});

describe('Athena', () => {
  const base = MINIMAL.athena;
  const credential = (field: string, value: unknown) => withFields(base, { [`credentials.${field}`]: value });

  test('a full body is kept as given', async () => {
    const body = withFields(base, {
      project_id: 'analytics-account',
      'credentials.workgroup': 'analysts',
      'credentials.output_location': 's3://acme-athena-results/warehouse-connections/',
      'credentials.catalog': 'glue@222233334444',
    });
    expect(await parsed(body)).toEqual({ ...body, settings: {} });
  });

  describe('fields', () => {
    const WORKGROUP_MESSAGE = 'must be a workgroup name: 1 to 128 letters, digits, dots, hyphens and underscores';
    const CATALOG_MESSAGE = 'must be a data catalog name: 1 to 127 letters, digits, underscores, hyphens and @';
    const DATABASE_MESSAGE = 'must be a database name: 1 to 255 letters, digits, underscores and hyphens';
    checkCases([
      ...nullableTextField(base, 'project_id', 255),
      ...unknownFields(base, ['access_key_id', 'secret_access_key', 'external_id', 'endpoint']),
      ...roleAndRegionFields(base),
      accepted(
        'a China role in a China region',
        withFields(base, { 'credentials.region': 'cn-north-1', 'credentials.role_arn': 'arn:aws-cn:iam::222233334444:role/reader' }),
      ),
      refused(
        'a commercial role in a China region',
        credential('region', 'cn-northwest-1'),
        'credentials.role_arn',
        partitionMessage('aws-cn'),
      ),
      refused(
        'a commercial role in a GovCloud region',
        credential('region', 'us-gov-east-1'),
        'credentials.role_arn',
        partitionMessage('aws-us-gov'),
      ),
      accepted('workgroup of 128 characters with . _ -', credential('workgroup', `a.b_c-${'w'.repeat(122)}`)),
      ...['', 'w'.repeat(129), 'ana lysts', 'analysts/x', 'analysts@x', ':analysts'].map((value) =>
        refused(
          `workgroup ${JSON.stringify(value.length > 20 ? `${value.length} characters` : value)}`,
          credential('workgroup', value),
          'credentials.workgroup',
          WORKGROUP_MESSAGE,
        ),
      ),
      accepted('catalog of 127 characters with _ @ -', credential('catalog', `a_b@c-${'c'.repeat(121)}`)),
      ...['', 'c'.repeat(128), 'aws.catalog', 'aws catalog', 'aws"catalog', 'aws/catalog'].map((value) =>
        refused(
          `catalog ${JSON.stringify(value.length > 20 ? `${value.length} characters` : value)}`,
          credential('catalog', value),
          'credentials.catalog',
          CATALOG_MESSAGE,
        ),
      ),
      accepted('dataset_id of 255 characters with _ -', withFields(base, { dataset_id: `a_b-${'d'.repeat(251)}` })),
      ...['', 'd'.repeat(256), 'sales.orders', 'sales"', 'sales orders', '`sales`'].map((value) =>
        refused(
          `dataset_id ${JSON.stringify(value.length > 20 ? `${value.length} characters` : value)}`,
          withFields(base, { dataset_id: value }),
          'dataset_id',
          DATABASE_MESSAGE,
        ),
      ),
      refused('dataset_id null (it names the database)', withFields(base, { dataset_id: null }), 'dataset_id', 'must be a string'),
    ]);
  });

  describe('output_location: s3://bucket/ and an optional prefix, ending in /', () => {
    const RULE = "must be an S3 location such as 's3://my-bucket/athena-results/' (a bucket name, an optional prefix, a final '/')";
    const at = (value: unknown) => credential('output_location', value);
    const ok = (rule: string, value: string) => accepted(`output_location ${rule}`, at(value));
    const no = (rule: string, value: unknown) => refused(`output_location ${rule}`, at(value), 'credentials.output_location', RULE);
    // 12 + 4 * 251 + 8 = 1024 characters.
    const longest = `s3://bucket/${`${'p'.repeat(250)}/`.repeat(4)}${'q'.repeat(7)}/`;
    checkCases([
      ok('a bucket alone', 's3://bucket/'),
      ok('a bucket and a prefix', 's3://my-bucket/athena-results/'),
      ok('a bucket with dots and a deep prefix', 's3://my.bucket.2/a/b/c/'),
      ok('a bucket of 3 characters', 's3://abc/'),
      ok('a bucket of 63 characters', `s3://${'b'.repeat(63)}/`),
      ok('a bucket that starts like an IP address', 's3://192.168.1.1-logs/'),
      ok('a bucket with a reserved suffix inside it', 's3://acme-s3alias-logs/'),
      ok("a prefix with !_.*'()-", "s3://bucket/a!_.*'()-b/"),
      ok('a segment of three dots, and one starting with a dot', 's3://bucket/.../.hidden/'),
      ok('a segment of 255 characters', `s3://bucket/${'s'.repeat(255)}/`),
      ok('of 1024 characters', longest),
      no('of 1025 characters', longest.replace('q', 'qq')),
      no('of 256 characters in one segment', `s3://bucket/${'s'.repeat(256)}/`),
      no('without the final /', 's3://bucket/athena-results'),
      no('a bucket without /', 's3://bucket'),
      no('another scheme', 'https://bucket/'),
      no('S3 in capitals', 'S3://bucket/'),
      no('junk before s3://', 'xs3://bucket/'),
      no('a newline inside the prefix', 's3://bucket/a/\nb/'),
      no('a bucket in capitals', 's3://Bucket/'),
      no('a bucket of 2 characters', 's3://ab/'),
      no('a bucket of 64 characters', `s3://${'b'.repeat(64)}/`),
      no('a bucket starting with a hyphen', 's3://-bucket/'),
      no('a bucket ending with a hyphen', 's3://bucket-/'),
      no('a bucket ending with a dot', 's3://bucket./'),
      no('a bucket with ..', 's3://my..bucket/'),
      no('a bucket with .-', 's3://my.-bucket/'),
      no('a bucket with -.', 's3://my-.bucket/'),
      no('a bucket that is an IP address', 's3://192.168.1.1/'),
      no('a bucket with an underscore', 's3://my_bucket/'),
      ...['xn--bucket', 'sthree-bucket', 'amzn-s3-demo-bucket'].map((bucket) =>
        no(`a bucket with the reserved prefix of ${bucket}`, `s3://${bucket}/`),
      ),
      ...['acme-s3alias', 'acme--ol-s3', 'acme.mrap', 'acme--x-s3', 'acme--table-s3'].map((bucket) =>
        no(`the reserved suffix of ${bucket}`, `s3://${bucket}/`),
      ),
      no('an empty segment', 's3://bucket//'),
      no('an empty segment inside', 's3://bucket/a//b/'),
      no('a segment .', 's3://bucket/./'),
      no('a segment ..', 's3://bucket/a/../'),
      no('a space in the prefix', 's3://bucket/a b/'),
      no('a ? in the prefix', 's3://bucket/a?b/'),
      no('empty', ''),
      refused('output_location a number', at(42), 'credentials.output_location', 'must be a string'),
    ]);
  });
});
