import { randomBytes } from 'node:crypto';
import type { SigV4Secret } from '../../local/sigv4.js';
import type { SignedRequest } from './aws-protocols.js';

/**
 * The IAM side of the AWS stand-ins (STS, Redshift, Redshift Serverless): who holds which keys,
 * which roles exist, whom their trust policies let assume them (principal and sts:ExternalId
 * condition) and which actions their policies allow. A session's permissions are its role's,
 * intersected with the session policy passed to AssumeRole, as in IAM.
 */
export interface FakeRole {
  arn: string;
  /** The trust policy: the principal allowed to assume the role, and the sts:ExternalId it must present (none: no condition). */
  trust: { principal: string; externalId?: string };
  /** What the role's policies allow, e.g. `redshift:GetClusterCredentials`. */
  allows: string[];
}

/** The service's own identity: a session of the test function's role, with its keys. */
export interface FakeIdentity {
  /** The role a customer's trust policy names as principal. */
  roleArn: string;
  accessKeyId: string;
  secretAccessKey: string;
}

export interface FakeSession {
  /** `arn:aws:sts::<account>:assumed-role/<role>/<session>`, as errors name the caller. */
  arn: string;
  /** The role behind the session: what trust policies name. */
  principal: string;
  secretAccessKey: string;
  sessionToken?: string;
  role?: FakeRole;
  /** The actions the session policy allows; undefined when none was passed. */
  sessionActions?: string[];
  expiresAt?: Date;
}

export interface IssuedCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken: string;
  expiration: Date;
  assumedRoleArn: string;
}

export type AssumeOutcome = { ok: IssuedCredentials } | { denied: string };

export class FakeAwsAccounts {
  private readonly sessions = new Map<string, FakeSession>();
  private readonly roles = new Map<string, FakeRole>();
  /** Every secret handed out, for the tests that check none leaks. */
  readonly issuedSecrets: string[] = [];

  constructor(service: FakeIdentity, roles: FakeRole[] = []) {
    this.sessions.set(service.accessKeyId, {
      arn: assumedRoleArn(service.roleArn, 'test-connection'),
      principal: service.roleArn,
      secretAccessKey: service.secretAccessKey,
    });
    for (const role of roles) this.putRole(role);
  }

  putRole(role: FakeRole): void {
    this.roles.set(role.arn, role);
  }

  /** For the SigV4 check: the secret behind an access key. */
  readonly credentialsFor = (accessKeyId: string): SigV4Secret | undefined => {
    const session = this.sessions.get(accessKeyId);
    return session ? { secretAccessKey: session.secretAccessKey } : undefined;
  };

  /** The signed caller's session; a temporary key only counts with its own session token, signed. */
  sessionOf(signed: SignedRequest): FakeSession | 'expired' | 'token_missing' {
    const session = this.sessions.get(signed.accessKeyId)!;
    if (session.sessionToken !== undefined) {
      const token = signed.headers['x-amz-security-token'];
      if (token !== session.sessionToken || !signed.signedHeaders.includes('x-amz-security-token')) return 'token_missing';
    }
    if (session.expiresAt !== undefined && session.expiresAt.getTime() < Date.now()) return 'expired';
    return session;
  }

  /** AssumeRole as IAM decides it: the role exists, trusts the caller, and the external id matches its condition. */
  assume(
    caller: FakeSession,
    request: { roleArn: string; sessionName: string; externalId?: string; durationSeconds: number; policy?: string },
  ): AssumeOutcome {
    const role = this.roles.get(request.roleArn);
    const trusted = role !== undefined && role.trust.principal === caller.principal;
    const externalIdHolds = role?.trust.externalId === undefined || role.trust.externalId === request.externalId;
    if (!role || !trusted || !externalIdHolds) {
      return { denied: `User: ${caller.arn} is not authorized to perform: sts:AssumeRole on resource: ${request.roleArn}` };
    }
    const accessKeyId = `ASIA${randomBytes(8).toString('hex').toUpperCase()}`;
    const issued: IssuedCredentials = {
      accessKeyId,
      secretAccessKey: `sts-secret-canary-${randomBytes(12).toString('base64url')}`,
      sessionToken: `sts-session-canary-${randomBytes(48).toString('base64url')}`,
      expiration: new Date(Date.now() + request.durationSeconds * 1000),
      assumedRoleArn: assumedRoleArn(role.arn, request.sessionName),
    };
    this.sessions.set(accessKeyId, {
      arn: issued.assumedRoleArn,
      principal: role.arn,
      secretAccessKey: issued.secretAccessKey,
      sessionToken: issued.sessionToken,
      role,
      ...(request.policy === undefined ? {} : { sessionActions: sessionPolicyActions(request.policy) }),
      expiresAt: issued.expiration,
    });
    this.issuedSecrets.push(issued.secretAccessKey, issued.sessionToken);
    return { ok: issued };
  }

  /** Whether the session may perform `action`: its role allows it, and so does its session policy, if any. */
  allows(session: FakeSession, action: string): boolean {
    if (!session.role?.allows.includes(action)) return false;
    return session.sessionActions === undefined || session.sessionActions.includes(action);
  }
}

function assumedRoleArn(roleArn: string, sessionName: string): string {
  const [, partition, , , account, resource] = roleArn.split(':');
  return `arn:${partition}:sts::${account}:assumed-role/${resource!.split('/').at(-1)!}/${sessionName}`;
}

/** The actions a session policy allows (on any resource); only Allow statements over `*` are read. */
function sessionPolicyActions(policy: string): string[] {
  const document = JSON.parse(policy) as { Statement?: { Effect?: string; Action?: string | string[]; Resource?: string | string[] }[] };
  return (document.Statement ?? [])
    .filter((statement) => statement.Effect === 'Allow' && [statement.Resource].flat().includes('*'))
    .flatMap((statement) => [statement.Action ?? []].flat());
}
