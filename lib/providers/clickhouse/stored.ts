import * as v from 'valibot';
import { SSL_MODES } from '../pg-wire/ssl-mode.js';

/**
 * The sealed definition's shape (the output of schema.ts's request schema), checked when a test opens
 * it (lib/schema/stored-definition.ts). Its own module: the test and resolve functions load no request schema.
 */
export const clickhouseStored = v.strictObject({
  provider: v.literal('clickhouse'),
  project_id: v.nullable(v.string()),
  dataset_id: v.string(),
  credentials: v.strictObject({
    host: v.string(),
    port: v.number(),
    username: v.string(),
    password: v.string(),
    ssl_mode: v.picklist(SSL_MODES),
    ca_certificate: v.optional(v.string()),
  }),
  settings: v.strictObject({}),
});
