import * as v from 'valibot';

/**
 * The sealed definition's shape (the output of schema.ts's request schema), checked when a test opens
 * it (lib/schema/stored-definition.ts). Its own module: the test and resolve functions load no request schema.
 */
export const bigqueryStored = v.strictObject({
  provider: v.literal('bigquery'),
  project_id: v.string(),
  dataset_id: v.string(),
  credentials: v.objectWithRest(
    { type: v.literal('service_account'), project_id: v.string(), private_key: v.string(), client_email: v.string() },
    v.string(),
  ),
  settings: v.strictObject({ location: v.optional(v.string()), maximum_bytes_billed: v.number() }),
});
