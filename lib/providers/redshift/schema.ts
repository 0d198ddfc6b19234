import * as v from 'valibot';
import { REDSHIFT_AUTH_METHODS } from './stored.js';
import { host, port, secret, text } from '../../schema/fields.js';
import { region, roleArn, rolePartitionProblem } from '../aws/fields.js';
import { caCertificate, caCertificateUsed, sslMode } from '../pg-wire/ssl-mode.js';

export const DEFAULT_REDSHIFT_PORT = 5439;
export const DEFAULT_REDSHIFT_SCHEMA = 'public';
/** Redshift identifiers are at most 127 bytes. */
const IDENTIFIER_MAX = 127;

/** Lower-case letters, digits and single hyphens, starting with a letter, not ending with a hyphen (Redshift's rule). */
const CLUSTER_IDENTIFIER = /^[a-z](?:-?[a-z0-9])*$/;
/** GetClusterCredentials' DbUser: a letter, then letters, digits, `_ + . @ -`; never `:` or `/`. */
const DB_USER = /^[A-Za-z][A-Za-z0-9_+.@-]{0,63}$/;
const WORKGROUP_NAME = /^[a-z0-9-]{3,64}$/;
/** The region inside a Redshift endpoint name: `<cluster>.<id>.<region>.redshift.amazonaws.com`, Serverless alike. */
const ENDPOINT_REGION = /\.([a-z]{2}(?:-gov)?-[a-z]+-\d{1,2})\.redshift(?:-serverless)?\.amazonaws\.com(?:\.cn)?\.?$/i;

/** The region a Redshift endpoint name carries, when the host is one. */
export function regionInHost(hostname: string): string | undefined {
  return ENDPOINT_REGION.exec(hostname)?.[1]?.toLowerCase();
}

const fields = v.strictObject({
  host,
  port: v.optional(port, DEFAULT_REDSHIFT_PORT),
  database: text(IDENTIFIER_MAX),
  auth_method: v.optional(v.picklist(REDSHIFT_AUTH_METHODS, "must be 'password' or 'iam'"), 'password'),
  // auth_method 'password'
  username: v.optional(text(IDENTIFIER_MAX)),
  password: v.optional(secret(1_024)),
  // auth_method 'iam'
  role_arn: v.optional(roleArn),
  region: v.optional(region),
  cluster_identifier: v.optional(
    v.pipe(
      v.string(),
      v.maxLength(63, 'must be at most 63 characters'),
      v.regex(CLUSTER_IDENTIFIER, 'must be a cluster identifier: lower-case letters, digits and single hyphens, starting with a letter'),
    ),
  ),
  db_user: v.optional(
    v.pipe(v.string(), v.regex(DB_USER, 'must be a database user name of 1 to 64 letters, digits or _+.@-, starting with a letter')),
  ),
  auto_create: v.optional(v.boolean('must be true or false')),
  workgroup_name: v.optional(
    v.pipe(v.string(), v.regex(WORKGROUP_NAME, 'must be a workgroup name: 3 to 64 lower-case letters, digits and hyphens')),
  ),
  ssl_mode: sslMode,
  ca_certificate: caCertificate,
});

type Fields = v.InferOutput<typeof fields>;
type RuleField = 'username' | 'password' | 'role_arn' | 'region' | 'cluster_identifier' | 'db_user' | 'auto_create' | 'workgroup_name';

const ONLY_IAM = "is only used when auth_method is 'iam'";
const NOT_WITH_IAM = "must not be set when auth_method is 'iam': the service gets temporary database credentials itself";

/** Which field is wrong, and why, for the combinations the field types cannot say on their own. */
const RULES: Record<RuleField, (input: Fields) => string | undefined> = {
  username: (input) => {
    if (input.auth_method === 'iam') return input.username === undefined ? undefined : NOT_WITH_IAM;
    return input.username === undefined ? "is required when auth_method is 'password'" : undefined;
  },
  password: (input) => {
    if (input.auth_method === 'iam') return input.password === undefined ? undefined : NOT_WITH_IAM;
    return input.password === undefined ? "is required when auth_method is 'password'" : undefined;
  },
  role_arn: (input) => {
    if (input.auth_method === 'password') return input.role_arn === undefined ? undefined : ONLY_IAM;
    if (input.role_arn === undefined) return "is required when auth_method is 'iam': the role the service assumes";
    return input.region === undefined ? undefined : rolePartitionProblem(input.role_arn, input.region);
  },
  region: (input) => {
    if (input.auth_method === 'password') return input.region === undefined ? undefined : ONLY_IAM;
    if (input.region === undefined) return "is required when auth_method is 'iam': the region of the cluster or workgroup";
    const named = regionInHost(input.host);
    return named === undefined || named === input.region ? undefined : `must be the region in the host name ('${named}')`;
  },
  cluster_identifier: (input) => {
    if (input.auth_method === 'password') return input.cluster_identifier === undefined ? undefined : ONLY_IAM;
    return input.cluster_identifier === undefined && input.workgroup_name === undefined
      ? "is required when auth_method is 'iam' (or workgroup_name, for Redshift Serverless)"
      : undefined;
  },
  workgroup_name: (input) => {
    if (input.auth_method === 'password') return input.workgroup_name === undefined ? undefined : ONLY_IAM;
    return input.workgroup_name !== undefined && input.cluster_identifier !== undefined
      ? 'must not be set together with cluster_identifier: give one, for Redshift Serverless or a provisioned cluster'
      : undefined;
  },
  db_user: (input) => {
    if (input.auth_method === 'password') return input.db_user === undefined ? undefined : ONLY_IAM;
    if (input.cluster_identifier !== undefined) return input.db_user === undefined ? 'is required with cluster_identifier' : undefined;
    return input.db_user === undefined
      ? undefined
      : 'is only used with cluster_identifier (Redshift Serverless names the user after the role)';
  },
  auto_create: (input) => {
    if (input.auth_method === 'password') return input.auto_create === undefined ? undefined : ONLY_IAM;
    return input.auto_create !== undefined && input.cluster_identifier === undefined ? 'is only used with cluster_identifier' : undefined;
  },
};

function rule(field: RuleField) {
  return v.forward<Fields, v.RawCheckIssue<Fields>, [RuleField]>(
    v.rawCheck<Fields>(({ dataset, addIssue }) => {
      if (!dataset.typed) return;
      const message = RULES[field](dataset.value);
      if (message !== undefined) addIssue({ message });
    }),
    [field],
  );
}

export const redshiftCredentials = v.pipe(
  fields,
  rule('username'),
  rule('password'),
  rule('role_arn'),
  rule('region'),
  rule('cluster_identifier'),
  rule('workgroup_name'),
  rule('db_user'),
  rule('auto_create'),
  v.forward(
    v.check((input) => caCertificateUsed.holds(input), caCertificateUsed.message),
    ['ca_certificate'],
  ),
);

export const redshiftConnection = v.pipe(
  v.strictObject({
    provider: v.literal('redshift'),
    project_id: v.optional(v.nullable(text(255))),
    dataset_id: v.optional(v.nullable(text(IDENTIFIER_MAX))),
    credentials: redshiftCredentials,
  }),
  v.transform((input) => ({
    provider: input.provider,
    project_id: input.project_id ?? null,
    dataset_id: input.dataset_id ?? DEFAULT_REDSHIFT_SCHEMA,
    credentials:
      input.credentials.cluster_identifier === undefined
        ? input.credentials
        : { ...input.credentials, auto_create: input.credentials.auto_create ?? false },
    settings: {},
  })),
);

export { REDSHIFT_AUTH_METHODS };

export { redshiftStored } from './stored.js';
