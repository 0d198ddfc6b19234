import * as v from 'valibot';
import { host, port, secret, text } from '../../schema/fields.js';
import { caCertificate, caCertificateUsed, sslMode } from '../pg-wire/ssl-mode.js';

export const DEFAULT_POSTGRES_PORT = 5432;
export const DEFAULT_POSTGRES_SCHEMA = 'public';
const IDENTIFIER_MAX = 63; // PostgreSQL's NAMEDATALEN - 1

export const postgresCredentials = v.pipe(
  v.strictObject({
    host,
    port: v.optional(port, DEFAULT_POSTGRES_PORT),
    database: text(IDENTIFIER_MAX),
    username: text(IDENTIFIER_MAX),
    password: secret(1_024),
    ssl_mode: sslMode,
    ca_certificate: caCertificate,
  }),
  v.forward(
    v.check((input) => caCertificateUsed.holds(input), caCertificateUsed.message),
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

export { postgresStored } from './stored.js';
