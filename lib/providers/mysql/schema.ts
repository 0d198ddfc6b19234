import * as v from 'valibot';
import { MYSQL_SSL_MODES } from './stored.js';
import { canLoadCertificates, host, port, secret, text } from '../../schema/fields.js';

export const DEFAULT_MYSQL_PORT = 3306;
const IDENTIFIER_MAX = 64; // MySQL's and MariaDB's limit for database names
const USERNAME_MAX = 80; // MariaDB's limit (MySQL's is 32)

/** Encrypted by default; verify-full (with ca_certificate where the CA is private) is recommended. */
export const DEFAULT_MYSQL_SSL_MODE = 'require';

/** Certificate content (PEM), never a path. */
const caCertificate = v.pipe(
  v.string(),
  v.maxLength(65_536, 'must be at most 65536 characters'),
  v.check((value) => canLoadCertificates(value), 'must be one or more PEM certificates (-----BEGIN CERTIFICATE-----)'),
);

/**
 * Only what names the server, the account and TLS: no socket path (`host` is a name or an address),
 * no connection string, no driver flags. LOCAL INFILE and multiple statements are off in the probe,
 * whatever is stored.
 */
export const mysqlCredentials = v.pipe(
  v.strictObject({
    host,
    port: v.optional(port, DEFAULT_MYSQL_PORT),
    database: text(IDENTIFIER_MAX),
    username: text(USERNAME_MAX),
    password: secret(1_024),
    ssl_mode: v.optional(
      v.picklist(MYSQL_SSL_MODES, "must be one of 'disable', 'require', 'verify-ca', 'verify-full'"),
      DEFAULT_MYSQL_SSL_MODE,
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

/** In MySQL a schema is a database: `dataset_id` names the one to check, by default the one connected to. */
export const mysqlConnection = v.pipe(
  v.strictObject({
    provider: v.literal('mysql'),
    project_id: v.optional(v.nullable(text(255))),
    dataset_id: v.optional(v.nullable(text(IDENTIFIER_MAX))),
    credentials: mysqlCredentials,
  }),
  v.transform((input) => ({
    provider: input.provider,
    project_id: input.project_id ?? null,
    dataset_id: input.dataset_id ?? input.credentials.database,
    credentials: input.credentials,
    settings: {},
  })),
);

export { MYSQL_SSL_MODES };

export { mysqlStored } from './stored.js';
