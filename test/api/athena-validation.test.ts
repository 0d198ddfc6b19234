import { describe, expect, test } from '@jest/globals';
import { parseConnectionRequest } from '../../lib/schema/connection.js';
import { athenaBody } from '../helpers/bodies.js';
import { useTestApi } from '../helpers/transports.js';

/** Every rule of the Athena schema: a 400 naming the field, nothing stored; and the defaults applied. */
const { transport } = useTestApi();
const handler = transport('handler');
const ORG = 'org-athena-validation';
const at = (output_location: unknown) => athenaBody({}, { output_location });

describe('an invalid Athena body is a 400 naming the field', () => {
  test.each<[string, unknown, string, RegExp]>([
    ['an unknown top-level field', { ...athenaBody(), endpoint_url: 'http://127.0.0.1:9000' }, 'endpoint_url', /not a known field/],
    ['a caller-chosen external id', athenaBody({}, { external_id: 'wc-chosen-by-me' }), 'credentials.external_id', /not a known field/],
    ['static AWS keys', athenaBody({}, { access_key_id: 'AKIAIOSFODNN7EXAMPLE' }), 'credentials.access_key_id', /not a known field/],
    ['an endpoint of its own', athenaBody({}, { endpoint: 'https://athena.example.com' }), 'credentials.endpoint', /not a known field/],
    ['a JDBC connection string', athenaBody({}, { url: 'jdbc:awsathena://AwsRegion=us-east-1' }), 'credentials.url', /not a known field/],
    ['no role', athenaBody({}, { role_arn: undefined }), 'credentials.role_arn', /./],
    [
      'a user instead of a role',
      athenaBody({}, { role_arn: 'arn:aws:iam::222233334444:user/alice' }),
      'credentials.role_arn',
      /IAM role ARN/,
    ],
    [
      'a role with a malformed account',
      athenaBody({}, { role_arn: 'arn:aws:iam::2222:role/reader' }),
      'credentials.role_arn',
      /IAM role ARN/,
    ],
    [
      "a role of another partition than the region's",
      athenaBody({}, { region: 'cn-north-1' }),
      'credentials.role_arn',
      /role of the region's partition \(arn:aws-cn:iam::…\)/,
    ],
    ['no region', athenaBody({}, { region: undefined }), 'credentials.region', /./],
    ['a region that is a host', athenaBody({}, { region: 'athena.us-east-1.amazonaws.com' }), 'credentials.region', /AWS region/],
    ['a workgroup with a slash', athenaBody({}, { workgroup: 'team/analysts' }), 'credentials.workgroup', /workgroup name/],
    ['a workgroup over 128 characters', athenaBody({}, { workgroup: 'w'.repeat(129) }), 'credentials.workgroup', /workgroup name/],
    ['a catalog with a quote', athenaBody({}, { catalog: 'AwsDataCatalog"' }), 'credentials.catalog', /data catalog name/],
    ['no database', athenaBody({ dataset_id: undefined }), 'dataset_id', /./],
    ['a database with a backtick', athenaBody({ dataset_id: 'analytics` DROP' }), 'dataset_id', /database name/],
    ['a database with a dot', athenaBody({ dataset_id: 'other_catalog.analytics' }), 'dataset_id', /database name/],
    [
      'an output location over HTTP',
      at('https://acme-athena-results.s3.amazonaws.com/results/'),
      'credentials.output_location',
      /S3 location/,
    ],
    ['an output location that is a local path', at('/tmp/athena-results/'), 'credentials.output_location', /S3 location/],
    ['an output location that is a file URL', at('file:///var/task/results/'), 'credentials.output_location', /S3 location/],
    ['an output location without the final slash', at('s3://acme-athena-results/results'), 'credentials.output_location', /final '\/'/],
    ['an output location without a key part', at('s3://acme-athena-results'), 'credentials.output_location', /S3 location/],
    ['a bucket name with capitals', at('s3://Acme-Results/r/'), 'credentials.output_location', /S3 location/],
    ['a bucket name that is an IP address', at('s3://192.168.10.20/r/'), 'credentials.output_location', /S3 location/],
    ['a bucket name with two dots in a row', at('s3://acme..results/r/'), 'credentials.output_location', /S3 location/],
    ['a bucket name too short', at('s3://ab/r/'), 'credentials.output_location', /S3 location/],
    ['an access point alias', at('s3://reports-ap-abc123-s3alias/r/'), 'credentials.output_location', /S3 location/],
    ['a prefix that climbs up', at('s3://acme-athena-results/a/../b/'), 'credentials.output_location', /S3 location/],
    ['a prefix with an empty segment', at('s3://acme-athena-results/a//b/'), 'credentials.output_location', /S3 location/],
    ['a prefix with a query string', at('s3://acme-athena-results/r?x=1/'), 'credentials.output_location', /S3 location/],
    ['a prefix with a space', at('s3://acme-athena-results/my results/'), 'credentials.output_location', /S3 location/],
    [
      'an output location over 1024 characters',
      at(`s3://acme-athena-results/${'p/'.repeat(512)}`),
      'credentials.output_location',
      /S3 location/,
    ],
    ['an output location that is not a string', at(['s3://acme-athena-results/r/']), 'credentials.output_location', /./],
  ])('%s', async (_, body, field, message) => {
    const response = await handler.call({ org: ORG, method: 'POST', body });

    expect(response.status).toBe(400);
    expect(response.body).toMatchObject({ code: 'validation_failed', field });
    const details = response.body!.details as { field: string; message: string }[];
    expect(details.find((detail) => detail.field === field)?.message).toMatch(message);
    const read = await handler.call({ org: ORG, method: 'GET' });
    expect(read.body!.connection).toBeNull();
  });
});

describe('a valid Athena body is accepted, with its defaults applied', () => {
  test.each<[string, () => Record<string, unknown>, Record<string, unknown>]>([
    [
      'workgroup primary and catalog AwsDataCatalog by default; no output location (the workgroup has one)',
      () => athenaBody({}, { workgroup: undefined, catalog: undefined, output_location: undefined }),
      { credentials: { role_arn: expect.any(String), region: 'us-east-1', workgroup: 'primary', catalog: 'AwsDataCatalog' } },
    ],
    [
      'an output location at the root of a bucket, a database with a hyphen',
      () => athenaBody({ dataset_id: 'pre-prod_events' }, { output_location: 's3://acme.athena-results/' }),
      { dataset_id: 'pre-prod_events', credentials: expect.objectContaining({ output_location: 's3://acme.athena-results/' }) },
    ],
    [
      'GovCloud, with a role of its partition and a deep prefix',
      () =>
        athenaBody(
          {},
          {
            region: 'us-gov-west-1',
            role_arn: 'arn:aws-us-gov:iam::123456789012:role/team/athena-reader',
            output_location: 's3://gov-results-1/athena/warehouse-connections/2026/',
          },
        ),
      { credentials: expect.objectContaining({ region: 'us-gov-west-1' }) },
    ],
  ])('%s', async (_, body, expected) => {
    expect(await parseConnectionRequest(body())).toMatchObject({ provider: 'athena', project_id: null, settings: {}, ...expected });
    const org = `${ORG}-ok-${Math.random().toString(36).slice(2, 8)}`;
    const response = await handler.call({ org, method: 'POST', body: body() });
    expect(response.status).toBe(201);
  });
});
