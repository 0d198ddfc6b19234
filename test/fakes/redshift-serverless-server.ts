import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { FakeAwsAccounts } from './aws-accounts.js';
import { readBody, sendJson11, sendJson11Error, verifySigned } from './aws-protocols.js';
import { startLoopbackServer, type ConnectionMode } from './loopback-server.js';
import type { TemporaryDbUsers } from './temporary-db-users.js';

/**
 * A stand-in for the Redshift Serverless API (JSON 1.1, 2021-04-21), enough for
 * @aws-sdk/client-redshift-serverless GetCredentials: `X-Amz-Target:
 * RedshiftServerless.GetCredentials`, SigV4 for `redshift-serverless` with a role session's keys and
 * token, IAM's check of `redshift-serverless:GetCredentials` (403 AccessDeniedException), the
 * workgroup in the caller's account (404 ResourceNotFoundException). The database user is the
 * role's (`IAMR:<role name>`), created on first use as Serverless does; its password is set on the
 * real test PostgreSQL (temporary-db-users.ts).
 */
const TARGET_PREFIX = 'RedshiftServerless.';
const WORKGROUP_NAME = /^[a-z0-9-]{3,64}$/;

export interface FakeWorkgroup {
  name: string;
  accountId: string;
}

export interface GetCredentialsCall {
  workgroupName: string | undefined;
  dbName: string | undefined;
  durationSeconds: number | undefined;
  caller: string;
}

export interface FakeRedshiftServerless {
  readonly endpoint: string;
  readonly calls: GetCredentialsCall[];
  setMode(mode: ConnectionMode): Promise<void>;
  close(): Promise<void>;
}

export async function startFakeRedshiftServerless(
  accounts: FakeAwsAccounts,
  users: TemporaryDbUsers,
  options: { region: string; workgroups: FakeWorkgroup[] },
): Promise<FakeRedshiftServerless> {
  const calls: GetCredentialsCall[] = [];
  const workgroupIds = new Map(options.workgroups.map((workgroup) => [workgroup.name, randomUUID()]));

  async function handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const fail = (status: number, type: string, message: string) => sendJson11Error(response, status, type, message);
    const body = await readBody(request);
    const signed = await verifySigned(request, body, accounts.credentialsFor, 'redshift-serverless', fail);
    if (!signed) return;
    const session = accounts.sessionOf(signed);
    if (session === 'expired') return fail(400, 'ExpiredTokenException', 'The security token included in the request is expired');
    if (session === 'token_missing')
      return fail(403, 'UnrecognizedClientException', 'The security token included in the request is invalid.');

    const target = request.headers['x-amz-target'];
    if (request.method !== 'POST' || request.headers['content-type'] !== 'application/x-amz-json-1.1') {
      return fail(400, 'SerializationException', 'Expected a POST with Content-Type application/x-amz-json-1.1.');
    }
    if (target !== `${TARGET_PREFIX}GetCredentials`) return fail(400, 'UnknownOperationException', 'The operation is not known.');
    let input: Record<string, unknown>;
    try {
      input = JSON.parse(body.toString('utf8') || '{}') as Record<string, unknown>;
    } catch {
      return fail(400, 'SerializationException', 'The body is not JSON.');
    }
    const call: GetCredentialsCall = {
      workgroupName: typeof input.workgroupName === 'string' ? input.workgroupName : undefined,
      dbName: typeof input.dbName === 'string' ? input.dbName : undefined,
      durationSeconds: typeof input.durationSeconds === 'number' ? input.durationSeconds : undefined,
      caller: session.arn,
    };
    calls.push(call);
    if (call.workgroupName === undefined || !WORKGROUP_NAME.test(call.workgroupName)) {
      return fail(400, 'ValidationException', 'workgroupName must be 3 to 64 lower-case letters, digits and hyphens.');
    }
    const duration = call.durationSeconds ?? 900;
    if (!Number.isInteger(duration) || duration < 900 || duration > 3600) {
      return fail(400, 'ValidationException', 'durationSeconds must be between 900 and 3600.');
    }

    const account = session.role?.arn.split(':')[4] ?? '';
    const workgroupId = workgroupIds.get(call.workgroupName) ?? randomUUID();
    const resource = `arn:aws:redshift-serverless:${options.region}:${account}:workgroup/${workgroupId}`;
    if (!accounts.allows(session, 'redshift-serverless:GetCredentials')) {
      return fail(
        403,
        'AccessDeniedException',
        `User: ${session.arn} is not authorized to perform: redshift-serverless:GetCredentials on resource: ${resource}`,
      );
    }
    const workgroup = options.workgroups.find((candidate) => candidate.name === call.workgroupName);
    if (!workgroup || workgroup.accountId !== account) {
      return fail(404, 'ResourceNotFoundException', `Workgroup ${call.workgroupName} was not found.`);
    }

    const dbUser = `IAMR:${session.role!.arn.split('/').at(-1)!}`;
    const expiration = new Date(Date.now() + duration * 1000);
    const dbPassword = await users.issue(dbUser, expiration, true);
    const seconds = (date: Date) => Math.floor(date.getTime() / 1000);
    return sendJson11(response, 200, {
      dbUser,
      dbPassword,
      expiration: seconds(expiration),
      nextRefreshTime: seconds(new Date(expiration.getTime() - 300_000)),
    });
  }

  const server = await startLoopbackServer(handle);
  return { endpoint: server.origin, calls, setMode: (mode) => server.setMode(mode), close: () => server.close() };
}
