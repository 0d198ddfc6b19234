import * as v from 'valibot';
import type { ConnectionDefinition } from './connection.js';
import { POSTGRES_SSL_MODES } from './postgres.js';
import { SNOWFLAKE_AUTH_METHODS } from './snowflake.js';

/**
 * The shape of a sealed definition as create writes it (the request schemas' output), checked when
 * a test opens one: a definition written by a future or older format is refused, never used on
 * the strength of a cast. Structure only: the request schemas' rules (key strength, cross-field
 * rules) ran at create, and the definition is authenticated since. The type check below fails to
 * compile if this shape and the request schemas' output drift apart.
 */
const text = v.string();

export const storedDefinition = v.variant('provider', [
  v.strictObject({
    provider: v.literal('postgres'),
    project_id: v.nullable(text),
    dataset_id: text,
    credentials: v.strictObject({
      host: text,
      port: v.number(),
      database: text,
      username: text,
      password: text,
      ssl_mode: v.picklist(POSTGRES_SSL_MODES),
      ca_certificate: v.optional(text),
    }),
    settings: v.strictObject({}),
  }),
  v.strictObject({
    provider: v.literal('snowflake'),
    project_id: text,
    dataset_id: text,
    credentials: v.strictObject({
      account: text,
      username: text,
      auth_method: v.picklist(SNOWFLAKE_AUTH_METHODS),
      password: v.optional(text),
      private_key: v.optional(text),
      private_key_passphrase: v.optional(text),
      warehouse: text,
      database: text,
      schema: text,
      role: v.optional(text),
    }),
    settings: v.strictObject({}),
  }),
  v.strictObject({
    provider: v.literal('bigquery'),
    project_id: text,
    dataset_id: text,
    credentials: v.objectWithRest({ type: v.literal('service_account'), project_id: text, private_key: text, client_email: text }, text),
    settings: v.strictObject({ location: v.optional(text), maximum_bytes_billed: v.number() }),
  }),
]);

type Stored = v.InferOutput<typeof storedDefinition>;
const _sameShape: [Stored] extends [ConnectionDefinition] ? ([ConnectionDefinition] extends [Stored] ? true : never) : never = true;

/** The definition, or undefined when the sealed bytes do not hold one of the shapes above. */
export function readStoredDefinition(value: unknown): ConnectionDefinition | undefined {
  const result = v.safeParse(storedDefinition, value);
  return result.success ? result.output : undefined;
}
