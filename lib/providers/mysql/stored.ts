import * as v from 'valibot';

/** libpq's sslmode names, with the same meaning as for PostgreSQL (MySQL's own ssl-mode names differ). */
export const MYSQL_SSL_MODES = ['disable', 'require', 'verify-ca', 'verify-full'] as const;

/**
 * The sealed definition's shape (the output of schema.ts's request schema), checked when a test opens
 * it (lib/schema/stored-definition.ts). Its own module: the test and resolve functions load no request schema.
 */
export const mysqlStored = v.strictObject({
  provider: v.literal('mysql'),
  project_id: v.nullable(v.string()),
  dataset_id: v.string(),
  credentials: v.strictObject({
    host: v.string(),
    port: v.number(),
    database: v.string(),
    username: v.string(),
    password: v.string(),
    ssl_mode: v.picklist(MYSQL_SSL_MODES),
    ca_certificate: v.optional(v.string()),
  }),
  settings: v.strictObject({}),
});
