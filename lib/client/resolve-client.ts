import { InvokeCommand, type LambdaClient } from '@aws-sdk/client-lambda';
import { Agent as HttpAgent } from 'node:http';
import { Agent as HttpsAgent } from 'node:https';
import { connect, isIP } from 'node:net';
import type { ResolveAnswer } from '../connections/resolve.js';
import { sslModeAgentOptions, vettedLookup } from '../providers/agent-options.js';

/**
 * The typed client of the resolve function, for the platform's workers: invokes it with Lambda's
 * Invoke API and returns options each driver takes as they are. What the function's JSON answer
 * cannot carry is added here: pg's identity check for `verify-ca` (the chain only), mysql2's socket,
 * ClickHouse's agent and Trino's lookup, each to the address the SSRF guard vetted. Never logs or
 * keeps what it resolved.
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
    case '@clickhouse/client': {
      if (!address) return options;
      // With an http_agent the client takes TLS from the agent alone.
      const { tls: _clientTls, ...rest } = options as { tls?: { ca_cert?: string } };
      const lookup = vettedLookup(address.vetted);
      const agent = tls
        ? new HttpsAgent({ keepAlive: true, lookup, ...agentTls(tls, _clientTls?.ca_cert) })
        : new HttpAgent({ keepAlive: true, lookup });
      // Logging off (ClickHouseLogLevel.OFF): the client's error lines print the request and server text.
      return { ...rest, http_agent: agent, set_basic_auth_header: true, log: { level: 127 } };
    }
    case 'trino-client': {
      if (!address || !tls) return options;
      // trino-client builds its https.Agent from `ssl`: its connections take these options too.
      const ssl = options.ssl as { ca?: string };
      return { ...options, ssl: { ...ssl, lookup: vettedLookup(address.vetted), ...agentTls(tls, ssl.ca) } };
    }
    default:
      return options;
  }
}

/** The resolved TLS mode as Node TLS options, with the name the certificate is checked against. */
function agentTls(tls: NonNullable<Resolved['tls']>, ca: string | undefined) {
  return {
    ...sslModeAgentOptions(tls.mode as Parameters<typeof sslModeAgentOptions>[0], ca),
    ...(tls.servername && !isIP(tls.servername) ? { servername: tls.servername } : {}),
  };
}
