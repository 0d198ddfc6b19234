import * as v from 'valibot';

/**
 * The sealed definition's shape (the output of schema.ts's request schema), checked when a test opens
 * it (lib/schema/stored-definition.ts). Its own module: the test and resolve functions load no request schema.
 */
export const motherduckStored = v.strictObject({
  provider: v.literal('motherduck'),
  project_id: v.nullable(v.string()),
  dataset_id: v.string(),
  credentials: v.strictObject({ token: v.string(), database: v.string() }),
  settings: v.strictObject({}),
});
