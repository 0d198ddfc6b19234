import * as v from 'valibot';

export const SNOWFLAKE_AUTH_METHODS = ['password', 'key_pair'] as const;

/**
 * The sealed definition's shape (the output of schema.ts's request schema), checked when a test opens
 * it (lib/schema/stored-definition.ts). Its own module: the test and resolve functions load no request schema.
 */
export const snowflakeStored = v.strictObject({
  provider: v.literal('snowflake'),
  project_id: v.string(),
  dataset_id: v.string(),
  credentials: v.strictObject({
    account: v.string(),
    username: v.string(),
    auth_method: v.picklist(SNOWFLAKE_AUTH_METHODS),
    password: v.optional(v.string()),
    private_key: v.optional(v.string()),
    private_key_passphrase: v.optional(v.string()),
    warehouse: v.string(),
    database: v.string(),
    schema: v.string(),
    role: v.optional(v.string()),
  }),
  settings: v.strictObject({}),
});
