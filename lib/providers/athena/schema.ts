import * as v from 'valibot';
import { text } from '../../schema/fields.js';
import { region, roleArn, rolePartitionProblem } from '../aws/fields.js';

export const DEFAULT_ATHENA_WORKGROUP = 'primary';
export const DEFAULT_ATHENA_CATALOG = 'AwsDataCatalog';

/** Athena's rule for workgroup names. */
const WORKGROUP = /^[A-Za-z0-9._-]{1,128}$/;
/** Data catalog names: letters, digits, `_`, `@` and `-`, at most 127 (AwsDataCatalog, a cross-account Glue catalog, a connector). */
const CATALOG = /^[A-Za-z0-9_@-]{1,127}$/;
/** Glue database names: letters, digits, `_` and `-` (Athena reads them case-insensitively); never a quote or a dot. */
const DATABASE = /^[A-Za-z0-9_-]{1,255}$/;

/**
 * An S3 bucket name (3–63 lower-case letters, digits, dots and hyphens, a letter or digit at each
 * end, no `..`, `.-` or `-.`, not an IP address, none of S3's reserved prefixes and suffixes).
 */
const BUCKET = /^(?!xn--|sthree-|amzn-s3-demo-)(?!.*(?:\.\.|\.-|-\.))(?!\d{1,3}(?:\.\d{1,3}){3}$)[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;
const BUCKET_RESERVED_SUFFIX = /(?:-s3alias|--ol-s3|\.mrap|--x-s3|--table-s3)$/;
/** A key prefix of S3's safe characters, in `/`-separated segments, never `.` or `..`. */
const PREFIX_SEGMENT = /^(?!\.{1,2}$)[A-Za-z0-9!_.*'()-]{1,255}$/;
const OUTPUT_LOCATION_MAX = 1_024;
const OUTPUT_LOCATION_RULE =
  "must be an S3 location such as 's3://my-bucket/athena-results/' (a bucket name, an optional prefix, a final '/')";

/** `s3://bucket/` or `s3://bucket/prefix/…/`: where Athena writes the test's query results. */
export function parseOutputLocation(value: string): { bucket: string; prefix: string } | undefined {
  const match = /^s3:\/\/([^/]+)\/(.*)$/.exec(value);
  if (!match || value.length > OUTPUT_LOCATION_MAX || !value.endsWith('/')) return undefined;
  const [, bucket = '', prefix = ''] = match;
  if (!BUCKET.test(bucket) || BUCKET_RESERVED_SUFFIX.test(bucket)) return undefined;
  if (
    prefix !== '' &&
    !prefix
      .slice(0, -1)
      .split('/')
      .every((segment) => PREFIX_SEGMENT.test(segment))
  )
    return undefined;
  return { bucket, prefix };
}

const outputLocation = v.pipe(
  v.string(),
  v.check((value) => parseOutputLocation(value) !== undefined, OUTPUT_LOCATION_RULE),
);

/**
 * Nothing here is secret: the service assumes `role_arn` with the organization's external id. The
 * role, its region, the workgroup and the output location say where the test runs and where its
 * results are written; the catalog (with `dataset_id`, the database) says what it looks at.
 */
export const athenaCredentials = v.pipe(
  v.strictObject({
    role_arn: roleArn,
    region,
    workgroup: v.optional(
      v.pipe(v.string(), v.regex(WORKGROUP, 'must be a workgroup name: 1 to 128 letters, digits, dots, hyphens and underscores')),
      DEFAULT_ATHENA_WORKGROUP,
    ),
    output_location: v.optional(outputLocation),
    catalog: v.optional(
      v.pipe(v.string(), v.regex(CATALOG, 'must be a data catalog name: 1 to 127 letters, digits, underscores, hyphens and @')),
      DEFAULT_ATHENA_CATALOG,
    ),
  }),
  v.forward(
    v.rawCheck(({ dataset, addIssue }) => {
      if (!dataset.typed) return;
      const problem = rolePartitionProblem(dataset.value.role_arn, dataset.value.region);
      if (problem !== undefined) addIssue({ message: problem });
    }),
    ['role_arn'],
  ),
);

/** `dataset_id` is the database (Glue) whose tables the test lists. */
export const athenaConnection = v.pipe(
  v.strictObject({
    provider: v.literal('athena'),
    project_id: v.optional(v.nullable(text(255))),
    dataset_id: v.pipe(v.string(), v.regex(DATABASE, 'must be a database name: 1 to 255 letters, digits, underscores and hyphens')),
    credentials: athenaCredentials,
  }),
  v.transform((input) => ({
    provider: input.provider,
    project_id: input.project_id ?? null,
    dataset_id: input.dataset_id,
    credentials: input.credentials,
    settings: {},
  })),
);

export { athenaStored } from './stored.js';
