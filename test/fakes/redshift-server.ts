import type { IncomingMessage, ServerResponse } from 'node:http';
import type { FakeAwsAccounts } from './aws-accounts.js';
import { QUERY_SIGNATURE_ERRORS, readBody, readForm, sendQueryError, sendQueryResult, verifySigned } from './aws-protocols.js';
import { startLoopbackServer, type ConnectionMode } from './loopback-server.js';
import type { TemporaryDbUsers } from './temporary-db-users.js';

/**
 * A stand-in for the Amazon Redshift API (query protocol, 2012-12-01), enough for
 * @aws-sdk/client-redshift GetClusterCredentials: SigV4 for `redshift` with a role session's keys
 * and token; IAM's check of `redshift:GetClusterCredentials` (and `redshift:CreateClusterUser` for
 * AutoCreate) against the role and its session policy (403 AccessDenied); the cluster in the
 * caller's account (404 ClusterNotFound) and available (400 InvalidClusterState while paused or
 * resuming). The password it returns is set on the real test PostgreSQL (temporary-db-users.ts),
 * for the login `IAM:<DbUser>` (`IAMA:` when auto-created), as Redshift names it.
 */
const NAMESPACE = 'http://redshift.amazonaws.com/doc/2012-12-01/';
const DB_USER = /^[A-Za-z][A-Za-z0-9_+.@-]{0,63}$/;

export type ClusterState = 'available' | 'paused' | 'resuming';

export interface FakeCluster {
  identifier: string;
  /** The account that owns it: only that account's roles find it. */
  accountId: string;
  state: ClusterState;
}

export interface ClusterCredentialsCall {
  clusterIdentifier: string;
  dbUser: string;
  dbName: string | undefined;
  durationSeconds: number;
  autoCreate: boolean;
  caller: string;
}

export interface FakeRedshift {
  readonly endpoint: string;
  readonly calls: ClusterCredentialsCall[];
  setState(identifier: string, state: ClusterState): void;
  setMode(mode: ConnectionMode): Promise<void>;
  close(): Promise<void>;
}

export async function startFakeRedshift(
  accounts: FakeAwsAccounts,
  users: TemporaryDbUsers,
  options: { region: string; clusters: FakeCluster[] },
): Promise<FakeRedshift> {
  const calls: ClusterCredentialsCall[] = [];
  const clusters = new Map(options.clusters.map((cluster) => [cluster.identifier, { ...cluster }]));

  async function handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const fail = (status: number, code: string, message: string) => sendQueryError(response, NAMESPACE, status, code, message);
    const body = await readBody(request);
    const signed = await verifySigned(request, body, accounts.credentialsFor, 'redshift', (status, code, message) =>
      fail(status, QUERY_SIGNATURE_ERRORS[code] ?? code, message),
    );
    if (!signed) return;
    const session = accounts.sessionOf(signed);
    if (session === 'expired') return fail(403, 'ExpiredToken', 'The security token included in the request is expired');
    if (session === 'token_missing') return fail(403, 'InvalidClientTokenId', 'The security token included in the request is invalid.');

    const form = readForm(body);
    if (form.Action !== 'GetClusterCredentials' || form.Version !== '2012-12-01') {
      return fail(400, 'InvalidAction', `Could not find operation ${form.Action ?? ''} for version ${form.Version ?? ''}`);
    }
    const call: ClusterCredentialsCall = {
      clusterIdentifier: form.ClusterIdentifier ?? '',
      dbUser: form.DbUser ?? '',
      dbName: form.DbName,
      durationSeconds: form.DurationSeconds === undefined ? 900 : Number(form.DurationSeconds),
      autoCreate: form.AutoCreate === 'true',
      caller: session.arn,
    };
    calls.push(call);
    if (!DB_USER.test(call.dbUser)) return fail(400, 'InvalidParameterValue', 'DbUser is not a valid user name.');
    if (!Number.isInteger(call.durationSeconds) || call.durationSeconds < 900 || call.durationSeconds > 3600) {
      return fail(400, 'InvalidParameterValue', 'DurationSeconds must be between 900 and 3600.');
    }

    const account = session.role?.arn.split(':')[4] ?? '';
    const resource = `arn:aws:redshift:${options.region}:${account}:dbuser:${call.clusterIdentifier}/${call.dbUser}`;
    for (const action of ['redshift:GetClusterCredentials', ...(call.autoCreate ? ['redshift:CreateClusterUser'] : [])]) {
      if (!accounts.allows(session, action)) {
        return fail(403, 'AccessDenied', `User: ${session.arn} is not authorized to perform: ${action} on resource: ${resource}`);
      }
    }
    const cluster = clusters.get(call.clusterIdentifier);
    if (!cluster || cluster.accountId !== account) return fail(404, 'ClusterNotFound', `Cluster ${call.clusterIdentifier} not found.`);
    if (cluster.state !== 'available') {
      return fail(400, 'InvalidClusterState', `The cluster ${cluster.identifier} is ${cluster.state}: it is not in the available state.`);
    }

    const login = `${call.autoCreate ? 'IAMA' : 'IAM'}:${call.dbUser}`;
    const expiration = new Date(Date.now() + call.durationSeconds * 1000);
    const password = await users.issue(login, expiration, call.autoCreate);
    return sendQueryResult(response, NAMESPACE, 'GetClusterCredentials', {
      DbUser: login,
      DbPassword: password,
      Expiration: expiration.toISOString(),
    });
  }

  const server = await startLoopbackServer(handle);
  return {
    endpoint: server.origin,
    calls,
    setState(identifier, state) {
      clusters.get(identifier)!.state = state;
    },
    setMode: (mode) => server.setMode(mode),
    close: () => server.close(),
  };
}
