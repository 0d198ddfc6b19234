import * as v from 'valibot';
import { host, port, secret, text } from '../../schema/fields.js';
import { caCertificate, caCertificateUsed, SSL_MODES, type SslMode } from '../pg-wire/ssl-mode.js';

/** Trino's ports by convention: 443 behind TLS (managed clusters, proxies), 8080 for plain HTTP. */
export const DEFAULT_TRINO_HTTPS_PORT = 443;
export const DEFAULT_TRINO_HTTP_PORT = 8080;
/**
 * HTTPS with the certificate checked, as every HTTPS client (and Trino's CLI and JDBC driver) does
 * by default; `require` encrypts without checking, `disable` is plain HTTP (no password then).
 */
export const DEFAULT_TRINO_SSL_MODE: SslMode = 'verify-full';
const NAME_MAX = 255;

/**
 * Travels in the X-Trino-User header and in HTTP Basic authentication: printable ASCII (a header
 * carries nothing else safely), no surrounding spaces (HTTP trims them), and no ':' (Basic
 * authentication splits user and password at the first one).
 */
const username = v.pipe(
  text(NAME_MAX),
  v.regex(/^[\x21-\x7e](?:[\x20-\x7e]*[\x21-\x7e])?$/, 'must be printable ASCII without leading or trailing spaces'),
  v.check((value) => !value.includes(':'), "must not contain ':' (HTTP Basic authentication cannot carry it)"),
);

/**
 * Where the Trino coordinator's HTTP API is and how to reach it: no URL (the service builds it from
 * host, port and ssl_mode), no session properties, extra headers or driver options. `catalog` is the
 * catalog to look in; the schema is `dataset_id`.
 */
const fields = v.strictObject({
  host,
  port: v.optional(port),
  username,
  password: v.optional(secret(1_024)),
  ssl_mode: v.optional(v.picklist(SSL_MODES, "must be one of 'disable', 'require', 'verify-ca', 'verify-full'"), DEFAULT_TRINO_SSL_MODE),
  ca_certificate: caCertificate,
  catalog: text(NAME_MAX),
});

export const trinoCredentials = v.pipe(
  fields,
  v.forward(
    v.check(
      (input) => input.password === undefined || input.ssl_mode !== 'disable',
      "must not be set with ssl_mode 'disable': a password is only sent over HTTPS (Trino itself refuses it over plain HTTP)",
    ),
    ['password'],
  ),
  v.forward(
    v.check((input) => caCertificateUsed.holds(input), caCertificateUsed.message),
    ['ca_certificate'],
  ),
  v.transform((input) => ({
    ...input,
    port: input.port ?? (input.ssl_mode === 'disable' ? DEFAULT_TRINO_HTTP_PORT : DEFAULT_TRINO_HTTPS_PORT),
  })),
);

/** `dataset_id` is the schema to check, in `credentials.catalog`. */
export const trinoConnection = v.pipe(
  v.strictObject({
    provider: v.literal('trino'),
    project_id: v.optional(v.nullable(text(NAME_MAX))),
    dataset_id: text(NAME_MAX),
    credentials: trinoCredentials,
  }),
  v.transform((input) => ({
    provider: input.provider,
    project_id: input.project_id ?? null,
    dataset_id: input.dataset_id,
    credentials: input.credentials,
    settings: {},
  })),
);

export { trinoStored } from './stored.js';
