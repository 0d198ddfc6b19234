import { createHmac } from 'node:crypto';

/**
 * The external id the service presents when it assumes a customer's IAM role (Redshift with IAM,
 * Athena). It is derived from the verified organization id, never chosen by the caller, so no tenant
 * can make the service assume another tenant's role: that role's trust policy names the other
 * tenant's external id (the confused-deputy problem). The deployment's own value keeps two
 * deployments of the service apart. Not a secret (AWS treats external ids as identifiers), but
 * stable: a customer's trust policy holds it.
 */
export function externalIdFor(organizationId: string, deployment: string): string {
  const digest = createHmac('sha256', `warehouse-connections:${deployment}`).update(organizationId).digest('base64url');
  return `wc-${digest.slice(0, 32)}`;
}
