import * as v from 'valibot';
import { host, port, secret, text } from '../../schema/fields.js';
import { caCertificate, caCertificateUsed, SSL_MODES, type SslMode } from '../pg-wire/ssl-mode.js';

/** ClickHouse's HTTP interface: 8443 with TLS (ClickHouse Cloud's), 8123 without. */
export const DEFAULT_CLICKHOUSE_HTTPS_PORT = 8443;
export const DEFAULT_CLICKHOUSE_HTTP_PORT = 8123;
/** The database every ClickHouse server has, and the one a session uses when none is named. */
export const DEFAULT_CLICKHOUSE_DATABASE = 'default';
/**
 * The password travels with every HTTP request, so the default checks the server's certificate and
 * name (ClickHouse Cloud's are publicly trusted); a private CA is given as ca_certificate.
 */
export const DEFAULT_CLICKHOUSE_SSL_MODE: SslMode = 'verify-full';
const NAME_MAX = 255; // a database is a directory on the server: file names stop at 255 bytes

/**
 * The user name travels in HTTP basic authentication (`user:password`, base64): a colon in it
 * would move the split, and ClickHouse would read another user and password.
 */
const username = v.pipe(
  text(NAME_MAX),
  v.check((value) => !value.includes(':'), "must not contain ':' (HTTP basic authentication cannot carry it)"),
);

/**
 * Only what names the server, the account and TLS: no URL (the client would read a database,
 * settings and credentials from its path and query), no path prefix, no HTTP headers, no
 * ClickHouse settings, no driver options. `ssl_mode` has libpq's names and meaning, as for the
 * other providers (default verify-full); the port follows it unless given.
 */
export const clickhouseCredentials = v.pipe(
  v.strictObject({
    host,
    port: v.optional(port),
    username,
    password: secret(1_024),
    ssl_mode: v.optional(
      v.picklist(SSL_MODES, "must be one of 'disable', 'require', 'verify-ca', 'verify-full'"),
      DEFAULT_CLICKHOUSE_SSL_MODE,
    ),
    ca_certificate: caCertificate,
  }),
  v.forward(
    v.check((input) => caCertificateUsed.holds(input), caCertificateUsed.message),
    ['ca_certificate'],
  ),
);

/** `dataset_id` names the database to check, by default ClickHouse's `default`. */
export const clickhouseConnection = v.pipe(
  v.strictObject({
    provider: v.literal('clickhouse'),
    project_id: v.optional(v.nullable(text(255))),
    dataset_id: v.optional(v.nullable(text(NAME_MAX))),
    credentials: clickhouseCredentials,
  }),
  v.transform((input) => ({
    provider: input.provider,
    project_id: input.project_id ?? null,
    dataset_id: input.dataset_id ?? DEFAULT_CLICKHOUSE_DATABASE,
    credentials: {
      ...input.credentials,
      port:
        input.credentials.port ?? (input.credentials.ssl_mode === 'disable' ? DEFAULT_CLICKHOUSE_HTTP_PORT : DEFAULT_CLICKHOUSE_HTTPS_PORT),
    },
    settings: {},
  })),
);

export { clickhouseStored } from './stored.js';
