import * as v from 'valibot';

/**
 * The sealed definition's shape (the output of schema.ts's request schema), checked when a test opens
 * it (lib/schema/stored-definition.ts). Its own module: the test and resolve functions load no request schema.
 */
export const athenaStored = v.strictObject({
  provider: v.literal('athena'),
  project_id: v.nullable(v.string()),
  dataset_id: v.string(),
  credentials: v.strictObject({
    role_arn: v.string(),
    region: v.string(),
    workgroup: v.string(),
    output_location: v.optional(v.string()),
    catalog: v.string(),
  }),
  settings: v.strictObject({}),
});
