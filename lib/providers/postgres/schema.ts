import * as v from 'valibot';
import { canLoadCertificates, host, port, secret, text } from '../../schema/fields.js';

export const DEFAULT_POSTGRES_PORT = 5432;
export const DEFAULT_POSTGRES_SCHEMA = 'public';
const IDENTIFIER_MAX = 63; // PostgreSQL's NAMEDATALEN - 1

export const POSTGRES_SSL_MODES = ['disable', 'require', 'verify-ca', 'verify-full'] as const;
/** Encrypted by default; verify-full (with ca_certificate where the CA is private) is recommended. */
export const DEFAULT_POSTGRES_SSL_MODE = 'require';

const caCertificate = v.pipe(
  v.string(),
  v.maxLength(65_536, 'must be at most 65536 characters'),
  v.check((value) => canLoadCertificates(value), 'must be one or more PEM certificates (-----BEGIN CERTIFICATE-----)'),
);

export const postgresCredentials = v.pipe(
  v.strictObject({
    host,
    port: v.optional(port, DEFAULT_POSTGRES_PORT),
    database: text(IDENTIFIER_MAX),
    username: text(IDENTIFIER_MAX),
    password: secret(1_024),
    ssl_mode: v.optional(
      v.picklist(POSTGRES_SSL_MODES, "must be one of 'disable', 'require', 'verify-ca', 'verify-full'"),
      DEFAULT_POSTGRES_SSL_MODE,
    ),
    ca_certificate: v.optional(caCertificate),
  }),
  v.forward(
    v.check(
      (input) => input.ca_certificate === undefined || input.ssl_mode === 'verify-ca' || input.ssl_mode === 'verify-full',
      "is only used with ssl_mode 'verify-ca' or 'verify-full'",
    ),
    ['ca_certificate'],
  ),
);

export const postgresConnection = v.pipe(
  v.strictObject({
    provider: v.literal('postgres'),
    project_id: v.optional(v.nullable(text(255))),
    dataset_id: v.optional(v.nullable(text(IDENTIFIER_MAX))),
    credentials: postgresCredentials,
  }),
  v.transform((input) => ({
    provider: input.provider,
    project_id: input.project_id ?? null,
    dataset_id: input.dataset_id ?? DEFAULT_POSTGRES_SCHEMA,
    credentials: input.credentials,
    settings: {},
  })),
);

/** The sealed definition's shape (the output above), checked when a test opens it (lib/schema/stored-definition.ts). */
export const postgresStored = v.strictObject({
  provider: v.literal('postgres'),
  project_id: v.nullable(v.string()),
  dataset_id: v.string(),
  credentials: v.strictObject({
    host: v.string(),
    port: v.number(),
    database: v.string(),
    username: v.string(),
    password: v.string(),
    ssl_mode: v.picklist(POSTGRES_SSL_MODES),
    ca_certificate: v.optional(v.string()),
  }),
  settings: v.strictObject({}),
});
