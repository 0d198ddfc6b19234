import * as v from 'valibot';

/**
 * The sealed definition's shape of a provider that signs in to a host with a username and password
 * on one database (PostgreSQL, MySQL): the output of its request schema, checked when a test opens
 * it (lib/schema/stored-definition.ts). Apart from the schemas: the test and resolve functions load
 * no request schema.
 */
export function hostPasswordStored<const Provider extends string, const SslModes extends readonly [string, ...string[]]>(
  provider: Provider,
  sslModes: SslModes,
) {
  return v.strictObject({
    provider: v.literal(provider),
    project_id: v.nullable(v.string()),
    dataset_id: v.string(),
    credentials: v.strictObject({
      host: v.string(),
      port: v.number(),
      database: v.string(),
      username: v.string(),
      password: v.string(),
      ssl_mode: v.picklist(sslModes),
      ca_certificate: v.optional(v.string()),
    }),
    settings: v.strictObject({}),
  });
}
