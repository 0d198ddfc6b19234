import * as v from 'valibot';
import { ValidationError } from '../errors.js';
import { REQUEST_SCHEMAS } from '../providers/request-schemas.js';
import { toFieldIssues } from './issues.js';

/** The body of POST /connections, one schema per provider (lib/providers/request-schemas.ts), chosen by `provider`. */
export const connectionRequest = v.variantAsync('provider', REQUEST_SCHEMAS, 'must be a JSON object');

/** A validated connection with defaults applied: what gets encrypted and stored. */
export type ConnectionDefinition = v.InferOutput<typeof connectionRequest>;
export type Provider = ConnectionDefinition['provider'];
/** One provider's definition, as its probe receives it. */
export type ProviderDefinition<P extends Provider> = Extract<ConnectionDefinition, { provider: P }>;

/** Async because opening an encrypted key runs in a worker process (lib/providers/private-key.ts). */
export async function parseConnectionRequest(body: unknown): Promise<ConnectionDefinition> {
  // valibot reads an array's properties like an object's; a connection is only ever a JSON object.
  if (Array.isArray(body)) throw new ValidationError([{ field: 'body', message: 'must be a JSON object' }]);
  const result = await v.safeParseAsync(connectionRequest, body, { abortPipeEarly: true });
  if (!result.success) throw new ValidationError(toFieldIssues(result.issues));
  return result.output;
}
