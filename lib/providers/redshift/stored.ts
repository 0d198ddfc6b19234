import * as v from 'valibot';
import { SSL_MODES } from '../pg-wire/ssl-mode.js';

export const REDSHIFT_AUTH_METHODS = ['password', 'iam'] as const;

/**
 * The sealed definition's shape (the output of schema.ts's request schema), checked when a test opens
 * it (lib/schema/stored-definition.ts). Its own module: the test and resolve functions load no request schema.
 */
export const redshiftStored = v.strictObject({
  provider: v.literal('redshift'),
  project_id: v.nullable(v.string()),
  dataset_id: v.string(),
  credentials: v.strictObject({
    host: v.string(),
    port: v.number(),
    database: v.string(),
    auth_method: v.picklist(REDSHIFT_AUTH_METHODS),
    username: v.optional(v.string()),
    password: v.optional(v.string()),
    role_arn: v.optional(v.string()),
    region: v.optional(v.string()),
    cluster_identifier: v.optional(v.string()),
    db_user: v.optional(v.string()),
    auto_create: v.optional(v.boolean()),
    workgroup_name: v.optional(v.string()),
    ssl_mode: v.picklist(SSL_MODES),
    ca_certificate: v.optional(v.string()),
  }),
  settings: v.strictObject({}),
});
