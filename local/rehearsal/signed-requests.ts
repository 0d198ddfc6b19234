import type { IncomingMessage } from 'node:http';
import { verifySigV4 } from '../sigv4.js';

/** An access key the rehearsal handed out, and the secret its requests must be signed with. */
export interface RehearsalCredentials {
  accessKeyId: string;
  secretAccessKey: string;
}

/**
 * The principal whose key signed `request`, after checking the SigV4 signature over the raw
 * request as received: a call signed with another function's key id, or not signed at all, is
 * refused before IAM is asked.
 */
export async function verifySignedRequest<T extends RehearsalCredentials>(
  request: IncomingMessage,
  body: Buffer,
  principals: Map<string, T>,
  scope: { service: string; region: string },
): Promise<T> {
  const [path = '/', query = ''] = (request.url ?? '/').split(/\?(.*)/s);
  const { accessKeyId } = await verifySigV4(
    { method: request.method ?? 'GET', path, query, headers: request.headersDistinct, body },
    (keyId) => principals.get(keyId),
    scope,
  );
  const principal = principals.get(accessKeyId);
  if (!principal) throw new Error(`The security token included in the request is invalid (${accessKeyId})`);
  return principal;
}
