import { InvokeCommand, type LambdaClient } from '@aws-sdk/client-lambda';
import { connect } from 'node:net';
import type { ResolveAnswer } from '../connections/resolve.js';

/**
 * The typed client of the resolve function, for the platform's workers: invokes it with Lambda's
 * Invoke API and returns options each driver takes as they are. What the function's JSON answer
 * cannot carry is added here: pg's identity check for `verify-ca` (the chain only), and mysql2's
 * socket to the address the SSRF guard vetted. Never logs or keeps what it resolved.
 */
export interface ResolveParameters {
  organizationId: string;
  /** A named connection; the organization's active connection when absent. */
  connectionId?: string;
  /** Who is asking (this worker), and why: both go into the audit record. */
  caller: string;
  purpose: string;
}

export type Resolved = Extract<ResolveAnswer, { ok: true }>;

/** A refusal of the resolve function: its code (`connection_not_found`, `host_not_allowed`, ...) and message. */
export class ResolveRefusedError extends Error {
  override name = 'ResolveRefusedError';
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

export async function resolveConnection(
  lambda: LambdaClient,
  functionName: string,
  parameters: ResolveParameters,
): Promise<Resolved & { driverOptions: Record<string, unknown> }> {
  const request = {
    version: 1,
    organization_id: parameters.organizationId,
    ...(parameters.connectionId === undefined ? {} : { connection_id: parameters.connectionId }),
    caller: parameters.caller,
    purpose: parameters.purpose,
  };
  const output = await lambda.send(new InvokeCommand({ FunctionName: functionName, Payload: Buffer.from(JSON.stringify(request)) }));
  if (output.FunctionError) throw new ResolveRefusedError('function_error', `The resolve function failed (${output.FunctionError})`);
  const answer = JSON.parse(Buffer.from(output.Payload ?? []).toString('utf8')) as ResolveAnswer;
  if (!answer.ok) throw new ResolveRefusedError(answer.code, answer.error);
  return { ...answer, driverOptions: driverOptionsOf(answer) };
}

/** The answer's options, completed with what JSON cannot carry. */
export function driverOptionsOf(answer: Resolved): Record<string, unknown> {
  const { options, tls, address } = answer;
  switch (answer.driver) {
    case 'pg': {
      const ssl = options.ssl as Record<string, unknown> | false;
      // verify-ca checks the chain but not the name (libpq's meaning): pg needs that said as a function.
      return ssl && tls?.mode === 'verify-ca' ? { ...options, ssl: { ...ssl, checkServerIdentity: () => undefined } } : options;
    }
    case 'mysql2':
      // `host` names the server for TLS; the socket goes to the vetted address, never to a new lookup.
      return address ? { ...options, stream: () => connect({ host: address.vetted, port: address.port }) } : options;
    default:
      return options;
  }
}
