import { Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import { AccountRecovery, ClientAttributes, Mfa, StringAttribute, UserPool, UserPoolClient } from 'aws-cdk-lib/aws-cognito';
import { Construct } from 'constructs';
import { ORG_ATTRIBUTE } from './stack-contract.js';

/**
 * The default identity provider: a Cognito user pool whose users each belong to one organization,
 * recorded in the immutable `custom:org_id` attribute, and one app client for scripts and people.
 * Users are created by an administrator (scripts/create-user.ts), never by sign-up, so nobody can
 * choose their own organization.
 */
export class OrganizationUserPool extends Construct {
  readonly userPool: UserPool;
  readonly client: UserPoolClient;

  constructor(scope: Construct, id: string) {
    super(scope, id);
    this.userPool = new UserPool(this, 'Users', {
      selfSignUpEnabled: false,
      signInAliases: { email: true },
      standardAttributes: { email: { required: true, mutable: true } },
      // A changed email only takes effect once the new address is verified (Cognito's
      // AttributesRequireVerificationBeforeUpdate): until then the user signs in with the old one,
      // so a user cannot take an address they do not control.
      autoVerify: { email: true },
      keepOriginal: { email: true },
      customAttributes: { [ORG_ATTRIBUTE]: new StringAttribute({ mutable: false, minLen: 1, maxLen: 128 }) },
      passwordPolicy: {
        minLength: 12,
        requireLowercase: true,
        requireUppercase: true,
        requireDigits: true,
        requireSymbols: true,
        tempPasswordValidity: Duration.days(3),
      },
      // Users may enrol an authenticator app; required MFA would stop the token script (see nag acknowledgement).
      mfa: Mfa.OPTIONAL,
      mfaSecondFactor: { otp: true, sms: false },
      accountRecovery: AccountRecovery.EMAIL_ONLY,
      // Identities of a personal deployment, recreated in minutes by the script; the data they
      // guard stays in the retained table.
      removalPolicy: RemovalPolicy.DESTROY,
    });

    this.client = this.userPool.addClient('ApiClient', {
      // A public client: scripts and the CLI authenticate with the user's password (SRP or plain).
      generateSecret: false,
      authFlows: { userSrp: true, userPassword: true },
      disableOAuth: true,
      preventUserExistenceErrors: true,
      idTokenValidity: Duration.hours(1),
      accessTokenValidity: Duration.hours(1),
      refreshTokenValidity: Duration.days(1),
      // The ID token must carry the organization; only email may be changed by the user.
      readAttributes: new ClientAttributes()
        .withStandardAttributes({ email: true, emailVerified: true })
        .withCustomAttributes(ORG_ATTRIBUTE),
      writeAttributes: new ClientAttributes().withStandardAttributes({ email: true }),
    });
  }

  /** The `iss` of the pool's tokens. */
  get issuer(): string {
    const stack = Stack.of(this);
    return `https://cognito-idp.${stack.region}.${stack.urlSuffix}/${this.userPool.userPoolId}`;
  }
}
