import { KEY_REQUIREMENTS, openSigningKey } from './private-key.js';
import { ProbeFailure } from './verdict.js';

/**
 * Opens a PEM private key in memory (decrypting it when a passphrase is given, in a worker process)
 * and returns it as an unencrypted PKCS#8 PEM string, the form both JWT signers (snowflake-sdk,
 * google-auth-library) take. The checks are private-key.ts's, the same as at create: a key stored
 * before a rule existed meets it here. Never written to disk; the failure message never repeats
 * the key or the passphrase.
 */
export async function rsaPrivateKeyPem(pem: string, passphrase: string | undefined, field: string, signal?: AbortSignal): Promise<string> {
  const opened = await openSigningKey(pem, passphrase, signal);
  if (!opened.ok) throw new ProbeFailure('invalid_credentials', `The private key in ${field} ${KEY_REQUIREMENTS[opened.problem]}.`);
  return opened.key.export({ format: 'pem', type: 'pkcs8' }).toString();
}
