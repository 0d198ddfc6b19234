import type { IncomingMessage, ServerResponse } from 'node:http';
import type { FakeAwsAccounts } from './aws-accounts.js';
import { QUERY_SIGNATURE_ERRORS, readBody, readForm, sendQueryError, sendQueryResult, verifySigned } from './aws-protocols.js';
import { startLoopbackServer, type ConnectionMode } from './loopback-server.js';

/**
 * A stand-in for AWS STS (query protocol, 2011-06-15), enough for @aws-sdk/client-sts AssumeRole:
 * the request must be SigV4-signed for `sts` by a known key; the role must exist and its trust
 * policy must name the caller and hold the presented sts:ExternalId, or the answer is STS's 403
 * AccessDenied. Parameters are checked as STS does (session name, duration, policy size).
 */
const NAMESPACE = 'https://sts.amazonaws.com/doc/2011-06-15/';
const SESSION_NAME = /^[\w+=,.@-]{2,64}$/;
const EXTERNAL_ID = /^[\w+=,.@:/-]{2,1224}$/;

export interface AssumeRoleCall {
  roleArn: string;
  roleSessionName: string;
  externalId: string | undefined;
  durationSeconds: number;
  policy: string | undefined;
}

export interface FakeSts {
  readonly endpoint: string;
  readonly calls: AssumeRoleCall[];
  setMode(mode: ConnectionMode): Promise<void>;
  close(): Promise<void>;
}

export async function startFakeSts(accounts: FakeAwsAccounts): Promise<FakeSts> {
  const calls: AssumeRoleCall[] = [];

  async function handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const fail = (status: number, code: string, message: string) => sendQueryError(response, NAMESPACE, status, code, message);
    const body = await readBody(request);
    if (request.method !== 'POST') return fail(400, 'InvalidAction', 'STS answers POST requests only.');
    const signed = await verifySigned(request, body, accounts.credentialsFor, 'sts', (status, code, message) =>
      fail(status, QUERY_SIGNATURE_ERRORS[code] ?? code, message),
    );
    if (!signed) return;
    const caller = accounts.sessionOf(signed);
    if (caller === 'expired') return fail(400, 'ExpiredToken', 'The security token included in the request is expired');
    if (caller === 'token_missing') return fail(403, 'InvalidClientTokenId', 'The security token included in the request is invalid.');

    const form = readForm(body);
    if (form.Action !== 'AssumeRole' || form.Version !== '2011-06-15') {
      return fail(400, 'InvalidAction', `Could not find operation ${form.Action ?? ''} for version ${form.Version ?? ''}`);
    }
    const call: AssumeRoleCall = {
      roleArn: form.RoleArn ?? '',
      roleSessionName: form.RoleSessionName ?? '',
      externalId: form.ExternalId,
      durationSeconds: form.DurationSeconds === undefined ? 3600 : Number(form.DurationSeconds),
      policy: form.Policy,
    };
    calls.push(call);
    if (!SESSION_NAME.test(call.roleSessionName)) return fail(400, 'ValidationError', 'roleSessionName failed to satisfy constraint');
    if (call.externalId !== undefined && !EXTERNAL_ID.test(call.externalId))
      return fail(400, 'ValidationError', 'externalId failed to satisfy constraint');
    if (!Number.isInteger(call.durationSeconds) || call.durationSeconds < 900 || call.durationSeconds > 43_200) {
      return fail(400, 'ValidationError', 'durationSeconds failed to satisfy constraint');
    }
    if (call.policy !== undefined && call.policy.length > 2048)
      return fail(400, 'PackedPolicyTooLarge', 'The session policy is too large.');

    const outcome = accounts.assume(caller, {
      roleArn: call.roleArn,
      sessionName: call.roleSessionName,
      durationSeconds: call.durationSeconds,
      ...(call.externalId === undefined ? {} : { externalId: call.externalId }),
      ...(call.policy === undefined ? {} : { policy: call.policy }),
    });
    if ('denied' in outcome) return fail(403, 'AccessDenied', outcome.denied);
    const issued = outcome.ok;
    return sendQueryResult(response, NAMESPACE, 'AssumeRole', {
      AssumedRoleUser: { Arn: issued.assumedRoleArn, AssumedRoleId: `AROA${issued.accessKeyId.slice(4)}:${call.roleSessionName}` },
      Credentials: {
        AccessKeyId: issued.accessKeyId,
        SecretAccessKey: issued.secretAccessKey,
        SessionToken: issued.sessionToken,
        Expiration: issued.expiration.toISOString(),
      },
      ...(call.policy === undefined ? {} : { PackedPolicySize: 6 }),
    });
  }

  const server = await startLoopbackServer(handle);
  return { endpoint: server.origin, calls, setMode: (mode) => server.setMode(mode), close: () => server.close() };
}
