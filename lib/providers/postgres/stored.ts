import { hostPasswordStored } from '../host-password-stored.js';
import { SSL_MODES } from '../pg-wire/ssl-mode.js';

export const postgresStored = hostPasswordStored('postgres', SSL_MODES);
