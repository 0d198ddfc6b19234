import type { DriverOptionsBuilder } from '../driver-options.js';
import { rsaPrivateKeyPem } from '../rsa-key.js';
import { snowflakeAccessUrl, snowflakeHost } from './failures.js';

/**
 * snowflake-sdk `ConnectionOptions`, as the probe builds them: the host derived from the strict
 * account identifier (never a host the caller names), a key pair's key decrypted to the unencrypted
 * PKCS#8 PEM the driver takes (the passphrase stays here), the schema the connection names.
 */
export const snowflakeDriverOptions: DriverOptionsBuilder<'snowflake'> = async (definition, { limits, signal }) => {
  const { credentials } = definition;
  const authentication =
    credentials.auth_method === 'key_pair'
      ? {
          authenticator: 'SNOWFLAKE_JWT',
          privateKey: await rsaPrivateKeyPem(
            credentials.private_key ?? '',
            credentials.private_key_passphrase,
            'credentials.private_key',
            signal,
          ),
        }
      : { password: credentials.password ?? '' };
  return {
    driver: 'snowflake-sdk',
    options: {
      account: credentials.account,
      host: snowflakeHost(credentials.account),
      accessUrl: snowflakeAccessUrl(credentials.account, limits.snowflakeAccessUrl),
      username: credentials.username,
      ...authentication,
      warehouse: credentials.warehouse,
      database: credentials.database,
      schema: definition.dataset_id,
      ...(credentials.role ? { role: credentials.role } : {}),
    },
    tls: null,
    address: null,
    expiresAt: null,
  };
};
