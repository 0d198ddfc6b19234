/**
 * Checked before a user is created, because a user's organization can never change afterwards:
 * the same rule the API applies to the claim.
 */
export { isValidOrganizationId } from '../../lib/http/identity.js';
