import { externalIdFor } from '../aws/external-id.js';

/**
 * What an organization needs to let the service into its AWS account (Redshift with IAM, Athena):
 * the role its trust policy names as principal and the external id it must require. Both are the
 * service's; the external id is this organization's own (lib/aws/external-id.ts).
 */
export function awsIdentity(organizationId: string, deploymentId: string, probeRoleArn: string | undefined, resolverRoleArn?: string) {
  // Both roles that act in customers' accounts: the test function's and the resolve function's.
  const principals = [probeRoleArn, resolverRoleArn].filter((arn): arn is string => arn !== undefined);
  return {
    principal_arn: probeRoleArn ?? null,
    principal_arns: principals,
    external_id: externalIdFor(organizationId, deploymentId),
    trust_policy: {
      Version: '2012-10-17',
      Statement: [
        {
          Effect: 'Allow',
          Principal: {
            AWS:
              principals.length === 0
                ? '<the service roles: not known on one machine>'
                : principals.length === 1
                  ? principals[0]!
                  : principals,
          },
          Action: 'sts:AssumeRole',
          Condition: { StringEquals: { 'sts:ExternalId': externalIdFor(organizationId, deploymentId) } },
        },
      ],
    },
  };
}
