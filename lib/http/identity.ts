import { UnauthorizedError } from '../errors.js';
import type { HttpApiEvent } from './types.js';

const ORGANIZATION_ID = /^[A-Za-z0-9][A-Za-z0-9._:@|-]{0,127}$/;

/** The organization ids the API accepts: plain identifiers, since they become part of the item key. */
export function isValidOrganizationId(value: string): boolean {
  return ORGANIZATION_ID.test(value);
}

/**
 * The organization, from the claims the JWT authorizer verified. Fails closed: no claims, no org
 * claim, or an org id that is not a plain identifier, and the request is refused.
 *
 * Org ids are case-sensitive and used byte for byte: `Acme` and `acme` are two organizations, never
 * folded together (folding would merge tenants whose issuer tells them apart).
 *
 * API Gateway hands every claim to the function as a string: a JSON number 123, `true` or 1.5 in
 * the token arrives as "123", "true", "1.5", indistinguishable from a string claim. So in AWS the
 * issuer must issue the org claim as a string (Cognito's `custom:org_id` is a String attribute);
 * the local gateway, which still sees the token's JSON types, refuses any other type.
 */
export function organizationOf(event: HttpApiEvent, orgClaim: string): string {
  const claims = event.requestContext.authorizer?.jwt?.claims;
  if (!claims) throw new UnauthorizedError('The request carries no verified identity. Send Authorization: Bearer <token>.');
  const value = claims[orgClaim];
  if (typeof value !== 'string' || value === '') {
    throw new UnauthorizedError(`The token has no '${orgClaim}' claim naming the organization.`);
  }
  if (!isValidOrganizationId(value)) throw new UnauthorizedError(`The token's '${orgClaim}' claim is not a valid organization id.`);
  return value;
}

/** Who made the request, for audit events: the token's `sub`, or null when it has none. */
export function subjectOf(event: HttpApiEvent): string | null {
  const subject = event.requestContext.authorizer?.jwt?.claims?.sub;
  return typeof subject === 'string' && subject !== '' ? subject.slice(0, 256) : null;
}
