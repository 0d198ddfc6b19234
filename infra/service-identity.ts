import { HttpJwtAuthorizer } from 'aws-cdk-lib/aws-apigatewayv2-authorizers';
import type { Construct } from 'constructs';
import type { IdentitySettings } from './identity-settings.js';
import { OrganizationUserPool } from './organization-user-pool.js';

/** Who may call the API: the JWT authorizer every route uses, and the claim naming the organization. */
export interface ServiceIdentity {
  authorizer: HttpJwtAuthorizer;
  issuer: string;
  orgClaim: string;
  /** Present only when the stack brings its own user pool. */
  userPool?: OrganizationUserPool;
}

export function serviceIdentity(scope: Construct, settings: IdentitySettings): ServiceIdentity {
  if (settings.kind === 'external-issuer') {
    return {
      authorizer: new HttpJwtAuthorizer('JwtAuthorizer', settings.issuer, { jwtAudience: settings.audiences }),
      issuer: settings.issuer,
      orgClaim: settings.orgClaim,
    };
  }
  const userPool = new OrganizationUserPool(scope, 'Identity');
  return {
    // Cognito ID tokens carry the custom attribute and `aud` = app client id; access tokens carry neither.
    authorizer: new HttpJwtAuthorizer('JwtAuthorizer', userPool.issuer, { jwtAudience: [userPool.client.userPoolClientId] }),
    issuer: userPool.issuer,
    orgClaim: settings.orgClaim,
    userPool,
  };
}
