import type { ProviderDefinition } from '../../schema/connection.js';
import { ProbeFailure, type FailureCode } from '../verdict.js';

export type MotherduckDefinition = ProviderDefinition<'motherduck'>;

/** Which step failed: getting the extension, signing in to the database, `SELECT 1`, or the schema check. */
export type MotherduckStep = 'extension' | 'sign_in' | 'query' | 'schema';

/**
 * What DuckDB and the MotherDuck extension report, by the parts of their messages that name the
 * cause (never repeated: the messages quote URLs, paths and server text). DuckDB's own come from
 * its extension installer (tried here against a loopback repository); MotherDuck's are the ones its
 * service answers a sign-in and an ATTACH with (the gRPC status names, "Please check your MotherDuck
 * token", "no database/share named ... found"), which cannot be produced offline.
 */
const EXTENSION_STATUS = /Failed to download extension[\s\S]*\(HTTP (\d{3})\)/;
const EXTENSION_UNSIGNED = /doesn't have a valid signature|signature is either missing or invalid|unsigned extensions/i;
const EXTENSION_UNREADABLE = /not a GZIP stream|not a DuckDB extension|invalid ELF header|could not be loaded|metadata|Failed to load/i;
const UNREACHABLE =
  /Could not establish connection|Failed to read connection|Failed to (?:connect|establish)|Connection refused|connection reset|Unable to connect|DNS resolution|UNAVAILABLE|DEADLINE_EXCEEDED|Deadline Exceeded|timed out/i;
const TOKEN_REFUSED =
  /UNAUTHENTICATED|not authenticated|check your MotherDuck token|invalid token|token (?:has )?expired|expired token|Jwt is/i;
const NOT_ALLOWED = /PERMISSION_DENIED|permission denied|not authori[sz]ed|access denied/i;
const NO_DATABASE = /no database\/share named|database[^\n]*(?:does not exist|not found)|NOT_FOUND/i;

export interface MotherduckContext {
  definition: MotherduckDefinition;
  step: MotherduckStep;
}

export function classifyMotherduckFailure(error: unknown, context: MotherduckContext): ProbeFailure {
  if (error instanceof ProbeFailure) return error;
  // Read by shape, not `instanceof`: the native binding's errors may come from another realm.
  const { message, name } = (typeof error === 'object' && error !== null ? error : {}) as { message?: unknown; name?: unknown };
  const text = typeof message === 'string' ? message : '';
  // Only the class of the error is kept: DuckDB's message holds URLs, paths and server text.
  const cause = { name: typeof name === 'string' ? name : 'Error' };
  const fail = (code: FailureCode, said: string, hint?: string) =>
    new ProbeFailure(code, said, hint === undefined ? { cause } : { cause, hint });
  const { database } = context.definition.credentials;

  if (context.step === 'extension') return extensionFailure(text, fail);
  if (TOKEN_REFUSED.test(text)) {
    return fail(
      'auth_failed',
      'MotherDuck refused the access token: it is invalid, expired or revoked. Create a new token in MotherDuck (Settings, Access Tokens).',
    );
  }
  if (NOT_ALLOWED.test(text)) {
    return fail(
      'permission_denied',
      `The access token may not use the MotherDuck database '${database}'.`,
      `Share '${database}' with the token's user, or use a token of its owner.`,
    );
  }
  if (context.step === 'sign_in' && NO_DATABASE.test(text)) {
    return fail(
      'object_not_found',
      `MotherDuck has no database '${database}' that this token can use.`,
      `Check the database name in MotherDuck (SHOW DATABASES), or create it: CREATE DATABASE ${database};`,
    );
  }
  if (UNREACHABLE.test(text)) return fail('warehouse_unavailable', "MotherDuck could not be reached from the service's network.");
  if (context.step === 'sign_in')
    return fail('warehouse_error', 'MotherDuck did not accept the sign-in for a reason the service does not know.');
  return fail('warehouse_error', 'MotherDuck answered the test in a way the service did not expect.');
}

type Fail = (code: FailureCode, text: string) => ProbeFailure;

/**
 * The MotherDuck extension comes from the extension repository at run time: when it cannot be had
 * the warehouse is unusable from here through no fault of the connection, so every such failure
 * is `warehouse_unavailable`, with what went wrong said in the service's words.
 */
function extensionFailure(message: string, fail: Fail): ProbeFailure {
  const status = EXTENSION_STATUS.exec(message)?.[1];
  if (status !== undefined)
    return fail(
      'warehouse_unavailable',
      `The MotherDuck extension could not be downloaded: the extension repository answered HTTP ${status}.`,
    );
  if (EXTENSION_UNSIGNED.test(message))
    return fail('warehouse_unavailable', 'The MotherDuck extension from the extension repository was refused: it is not signed by DuckDB.');
  if (UNREACHABLE.test(message))
    return fail(
      'warehouse_unavailable',
      "The extension repository that serves the MotherDuck extension could not be reached from the service's network.",
    );
  if (EXTENSION_UNREADABLE.test(message))
    return fail('warehouse_unavailable', 'The extension repository served something that is not a loadable MotherDuck extension.');
  return fail('warehouse_unavailable', 'The MotherDuck extension could not be installed.');
}
