import * as v from 'valibot';

export const DATABRICKS_AUTH_METHODS = ['token', 'oauth_m2m'] as const;

/**
 * The sealed definition's shape (the output of schema.ts's request schema), checked when a test opens
 * it (lib/schema/stored-definition.ts). Its own module: the test and resolve functions load no request schema.
 */
export const databricksStored = v.strictObject({
  provider: v.literal('databricks'),
  project_id: v.nullable(v.string()),
  dataset_id: v.string(),
  credentials: v.strictObject({
    host: v.string(),
    http_path: v.string(),
    catalog: v.string(),
    auth_method: v.picklist(DATABRICKS_AUTH_METHODS),
    token: v.optional(v.string()),
    client_id: v.nullable(v.string()),
    client_secret: v.optional(v.string()),
  }),
  settings: v.strictObject({}),
});
