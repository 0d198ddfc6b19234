import { Validations } from 'aws-cdk-lib';
import type { Topic } from 'aws-cdk-lib/aws-sns';
import type { IConstruct } from 'constructs';
import type { ServiceIdentity } from './service-identity.js';

/**
 * Findings of the AwsSolutions checks (cdk-nag) this service accepts, each on the narrowest
 * construct and with its reason. Anything not acknowledged fails `cdk synth` and `cdk deploy`.
 */
export function acknowledgeNagFindings(identity: ServiceIdentity, alarmTopic: Topic, probingRoles: readonly IConstruct[]): void {
  for (const role of probingRoles) {
    Validations.of(role).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::arn:aws:iam::*:role/*]',
      reason:
        'Connection tests assume the role each customer names for Redshift with IAM or Athena, in accounts not known in ' +
        "advance. The grant requires an external id of the service's form (sts:ExternalId wc-*), which the probe derives " +
        "from the caller's organization; each customer's trust policy requires its own organization's external id.",
    });
  }
  Validations.of(alarmTopic).acknowledge({
    id: 'AwsSolutions-SNS2',
    reason:
      'The alarm topic carries alarm names and states only, never customer data. Encrypting it would need a second customer ' +
      'managed key whose policy lets CloudWatch use it (the AWS managed SNS key does not), for no data worth protecting.',
  });
  if (identity.userPool) {
    const users = identity.userPool.userPool;
    Validations.of(users).acknowledge({
      id: 'AwsSolutions-COG2',
      reason:
        'MFA is optional (TOTP) so that scripts/create-user.ts can hand a person a token within minutes. The user pool is the ' +
        'personal-deployment default; production deployments use their own OIDC issuer (-c issuer=...), where MFA is that ' +
        "provider's policy.",
    });
    Validations.of(users).acknowledge({
      id: 'AwsSolutions-COG8',
      reason:
        'Threat protection needs the Plus feature plan, billed per monthly active user; a personal deployment with a few ' +
        'administrator-created users does not warrant it. Self sign-up is disabled, and production uses an external issuer.',
    });
  }
}
