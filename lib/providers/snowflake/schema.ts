import * as v from 'valibot';
import { SNOWFLAKE_AUTH_METHODS } from './stored.js';
import { KEY_REQUIREMENTS, openSigningKey } from '../private-key.js';
import { privateKeyPemText, secret, text } from '../../schema/fields.js';

export const DEFAULT_SNOWFLAKE_SCHEMA = 'PUBLIC';
const IDENTIFIER_MAX = 255;

/**
 * `orgname-account_name` or a legacy locator with optional region and cloud (`xy12345.us-east-2.aws`).
 * Strict on purpose: the account becomes part of a hostname, so it must never carry another host.
 */
const ACCOUNT_IDENTIFIER = /^(?:[A-Za-z][A-Za-z0-9]*-[A-Za-z0-9_]+|[A-Za-z0-9]+(?:\.[A-Za-z0-9]+(?:-[A-Za-z0-9]+)*){0,2})$/;
const ACCOUNT_MESSAGE =
  "must be an account identifier such as 'myorg-myaccount' or 'xy12345.us-east-2.aws' (without the .snowflakecomputing.com or .cn domain)";

export const snowflakeAccount = v.pipe(
  v.string(),
  v.maxLength(255, 'must be at most 255 characters'),
  v.regex(ACCOUNT_IDENTIFIER, ACCOUNT_MESSAGE),
  // The locator pattern would read a pasted domain as region and cloud (acme.snowflakecomputing.com.snowflakecomputing.com).
  v.check((value) => !/(?:^|\.)snowflakecomputing(?:\.|$)/i.test(value), ACCOUNT_MESSAGE),
);

export const snowflakeCredentials = v.pipeAsync(
  v.strictObject({
    account: v.optional(snowflakeAccount),
    username: text(IDENTIFIER_MAX),
    auth_method: v.optional(v.picklist(SNOWFLAKE_AUTH_METHODS, "must be 'password' or 'key_pair'"), 'password'),
    password: v.optional(secret(1_024)),
    // May be encrypted (PKCS#8 "ENCRYPTED PRIVATE KEY"): it is loaded below, with the passphrase.
    private_key: v.optional(privateKeyPemText),
    private_key_passphrase: v.optional(secret(1_024)),
    warehouse: text(IDENTIFIER_MAX),
    database: text(IDENTIFIER_MAX),
    schema: v.optional(text(IDENTIFIER_MAX), DEFAULT_SNOWFLAKE_SCHEMA),
    role: v.optional(text(IDENTIFIER_MAX)),
  }),
  v.forward(
    v.check((input) => input.auth_method !== 'password' || input.password !== undefined, "is required when auth_method is 'password'"),
    ['password'],
  ),
  v.forward(
    v.check((input) => input.auth_method !== 'key_pair' || input.private_key !== undefined, "is required when auth_method is 'key_pair'"),
    ['private_key'],
  ),
  v.forward(
    v.check((input) => input.auth_method !== 'key_pair' || input.password === undefined, "must not be set when auth_method is 'key_pair'"),
    ['password'],
  ),
  v.forward(
    v.check(
      (input) => input.auth_method !== 'password' || (input.private_key === undefined && input.private_key_passphrase === undefined),
      "is only used when auth_method is 'key_pair'",
    ),
    ['private_key'],
  ),
  // The key opens with the passphrase (in a worker process: lib/providers/private-key.ts) and can sign RS256.
  v.forwardAsync(
    v.rawCheckAsync(async ({ dataset, addIssue }) => {
      if (!dataset.typed || dataset.value.private_key === undefined) return;
      const opened = await openSigningKey(dataset.value.private_key, dataset.value.private_key_passphrase);
      if (!opened.ok)
        addIssue({
          message:
            opened.problem === 'unreadable'
              ? `${KEY_REQUIREMENTS.unreadable}: check private_key_passphrase`
              : KEY_REQUIREMENTS[opened.problem],
        });
    }),
    ['private_key'],
  ),
);

export const snowflakeConnection = v.pipeAsync(
  v.strictObjectAsync({
    provider: v.literal('snowflake'),
    project_id: v.optional(v.nullable(snowflakeAccount)),
    dataset_id: v.optional(v.nullable(text(IDENTIFIER_MAX))),
    credentials: snowflakeCredentials,
  }),
  v.forward(
    v.check(
      (input) => Boolean(input.project_id ?? input.credentials.account),
      'is required: give the account identifier here or in credentials.account',
    ),
    ['project_id'],
  ),
  v.forward(
    v.check(
      (input) =>
        !input.project_id || !input.credentials.account || input.project_id.toLowerCase() === input.credentials.account.toLowerCase(),
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
      settings: {},
    };
  }),
);

export { SNOWFLAKE_AUTH_METHODS };

export { snowflakeStored } from './stored.js';
