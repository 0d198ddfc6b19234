import { externalIdFor } from '../aws/external-id.js';

/**
 * What an organization needs to let the service into its AWS account (Redshift with IAM, Athena):
 * the role its trust policy names as principal and the external id it must require. Both are the
 * service's; the external id is this organization's own (lib/aws/external-id.ts).
 */
export function awsIdentity(organizationId: string, deploymentId: string, probeRoleArn: string | undefined) {
  return {
    principal_arn: probeRoleArn ?? null,
    external_id: externalIdFor(organizationId, deploymentId),
    trust_policy: {
      Version: '2012-10-17',
      Statement: [
        {
          Effect: 'Allow',
          Principal: { AWS: probeRoleArn ?? '<the service role: not known on one machine>' },
          Action: 'sts:AssumeRole',
          Condition: { StringEquals: { 'sts:ExternalId': externalIdFor(organizationId, deploymentId) } },
        },
      ],
    },
  };
}
