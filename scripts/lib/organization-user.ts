import {
  AdminCreateUserCommand,
  AdminGetUserCommand,
  AdminSetUserPasswordCommand,
  CognitoIdentityProviderClient,
  InitiateAuthCommand,
  UsernameExistsException,
} from '@aws-sdk/client-cognito-identity-provider';
import { COGNITO_ORG_CLAIM } from '../../infra/stack-contract.js';

export interface UserPoolIds {
  userPoolId: string;
  clientId: string;
}

export interface IdToken {
  token: string;
  expiresInSeconds: number;
}

/**
 * The user pool operations the script needs, as an administrator: create a user in an
 * organization (or find the existing one), give it a password, and sign in as it.
 */
export class OrganizationUsers {
  private readonly cognito: CognitoIdentityProviderClient;

  constructor(
    private readonly ids: UserPoolIds,
    region: string | undefined,
  ) {
    this.cognito = new CognitoIdentityProviderClient(region ? { region } : {});
  }

  /** Returns whether the user was created now. An existing user must already be in `organizationId`. */
  async ensureUser(email: string, organizationId: string): Promise<boolean> {
    try {
      await this.cognito.send(
        new AdminCreateUserCommand({
          UserPoolId: this.ids.userPoolId,
          Username: email,
          UserAttributes: [
            { Name: 'email', Value: email },
            { Name: 'email_verified', Value: 'true' },
            { Name: COGNITO_ORG_CLAIM, Value: organizationId },
          ],
          // The password is set and printed here; Cognito sends no invitation.
          MessageAction: 'SUPPRESS',
        }),
      );
      return true;
    } catch (error) {
      if (!(error instanceof UsernameExistsException)) throw error;
    }
    const existing = await this.cognito.send(new AdminGetUserCommand({ UserPoolId: this.ids.userPoolId, Username: email }));
    const current = existing.UserAttributes?.find((attribute) => attribute.Name === COGNITO_ORG_CLAIM)?.Value;
    if (current !== organizationId) {
      throw new Error(
        `${email} already exists in organization "${current ?? '(none)'}"; a user's organization cannot change. Use another email.`,
      );
    }
    return false;
  }

  /** A permanent password, so the user needs no first-login password change. */
  async setPassword(email: string, password: string): Promise<void> {
    await this.cognito.send(
      new AdminSetUserPasswordCommand({ UserPoolId: this.ids.userPoolId, Username: email, Password: password, Permanent: true }),
    );
  }

  /** Signs in as the user; the ID token carries custom:org_id and the client id as `aud`. */
  async idToken(email: string, password: string): Promise<IdToken> {
    const { AuthenticationResult, ChallengeName } = await this.cognito.send(
      new InitiateAuthCommand({
        ClientId: this.ids.clientId,
        AuthFlow: 'USER_PASSWORD_AUTH',
        AuthParameters: { USERNAME: email, PASSWORD: password },
      }),
    );
    if (!AuthenticationResult?.IdToken) {
      throw new Error(
        `Sign-in needs a further step (${ChallengeName ?? 'unknown challenge'}), e.g. MFA the user enrolled; sign in interactively instead.`,
      );
    }
    return { token: AuthenticationResult.IdToken, expiresInSeconds: AuthenticationResult.ExpiresIn ?? 3600 };
  }

  close(): void {
    this.cognito.destroy();
  }
}
