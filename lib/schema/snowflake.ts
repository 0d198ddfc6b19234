import * as v from 'valibot';
import { secret, text } from './fields.js';

export const DEFAULT_SNOWFLAKE_SCHEMA = 'PUBLIC';
const IDENTIFIER_MAX = 255;

/**
 * `orgname-account_name` or a legacy locator with optional region and cloud (`xy12345.us-east-2.aws`).
 * Strict on purpose: the account becomes part of a hostname, so it must never carry another host.
 */
const ACCOUNT_IDENTIFIER = /^(?:[A-Za-z][A-Za-z0-9]*-[A-Za-z0-9_]+|[A-Za-z0-9]+(?:\.[A-Za-z0-9-]+){0,2})$/;
const ACCOUNT_MESSAGE = "must be an account identifier such as 'myorg-myaccount' or 'xy12345.us-east-2.aws' (without .snowflakecomputing.com)";

export const snowflakeAccount = v.pipe(
  v.string(),
  v.maxLength(255, 'must be at most 255 characters'),
  v.regex(ACCOUNT_IDENTIFIER, ACCOUNT_MESSAGE),
);

export const snowflakeCredentials = v.strictObject({
  account: v.optional(snowflakeAccount),
  username: text(IDENTIFIER_MAX),
  password: secret(1_024),
  warehouse: text(IDENTIFIER_MAX),
  database: text(IDENTIFIER_MAX),
  schema: v.optional(text(IDENTIFIER_MAX), DEFAULT_SNOWFLAKE_SCHEMA),
  role: v.optional(text(IDENTIFIER_MAX)),
});

export const snowflakeConnection = v.pipe(
  v.strictObject({
    provider: v.literal('snowflake'),
    project_id: v.optional(v.nullable(snowflakeAccount)),
    dataset_id: v.optional(v.nullable(text(IDENTIFIER_MAX))),
    credentials: snowflakeCredentials,
  }),
  v.forward(
    v.check((input) => Boolean(input.project_id ?? input.credentials.account), 'is required: give the account identifier here or in credentials.account'),
    ['project_id'],
  ),
  v.forward(
    v.check(
      (input) => !input.project_id || !input.credentials.account || input.project_id.toLowerCase() === input.credentials.account.toLowerCase(),
      'must match credentials.account',
    ),
    ['project_id'],
  ),
  v.transform((input) => {
    const account = (input.credentials.account ?? input.project_id) as string;
    return {
      provider: input.provider,
      project_id: account,
      dataset_id: input.dataset_id ?? input.credentials.schema,
      credentials: { ...input.credentials, account },
    };
  }),
);

export type SnowflakeCredentials = v.InferOutput<typeof snowflakeConnection>['credentials'];
