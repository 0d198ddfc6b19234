import * as v from 'valibot';
import { canLoadCertificates } from '../../schema/fields.js';

/**
 * TLS settings of the providers that speak the PostgreSQL wire protocol (PostgreSQL, Redshift), with
 * libpq's `sslmode` names. Schema side only: probes read them in session.ts.
 */
export const SSL_MODES = ['disable', 'require', 'verify-ca', 'verify-full'] as const;
export type SslMode = (typeof SSL_MODES)[number];
/** Encrypted by default; verify-full (with ca_certificate where the CA is private) is recommended. */
export const DEFAULT_SSL_MODE = 'require';

export const sslMode = v.optional(
  v.picklist(SSL_MODES, "must be one of 'disable', 'require', 'verify-ca', 'verify-full'"),
  DEFAULT_SSL_MODE,
);

/** Certificate content (PEM), never a path. */
export const caCertificate = v.optional(
  v.pipe(
    v.string(),
    v.maxLength(65_536, 'must be at most 65536 characters'),
    v.check((value) => canLoadCertificates(value), 'must be one or more PEM certificates (-----BEGIN CERTIFICATE-----)'),
  ),
);

/** A CA certificate is only read when the chain is verified (a check for `v.forward(..., ['ca_certificate'])`). */
export const caCertificateUsed = {
  holds: (input: { ssl_mode: SslMode; ca_certificate?: string | undefined }) =>
    input.ca_certificate === undefined || input.ssl_mode === 'verify-ca' || input.ssl_mode === 'verify-full',
  message: "is only used with ssl_mode 'verify-ca' or 'verify-full'",
};
