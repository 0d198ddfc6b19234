import { hostPasswordStored } from '../host-password-stored.js';

/** libpq's sslmode names, with the same meaning as for PostgreSQL (MySQL's own ssl-mode names differ). */
export const MYSQL_SSL_MODES = ['disable', 'require', 'verify-ca', 'verify-full'] as const;

export const mysqlStored = hostPasswordStored('mysql', MYSQL_SSL_MODES);
