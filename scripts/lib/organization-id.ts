/**
 * The organization ids the API accepts (lib/http/identity.ts refuses any other value of the claim).
 * Checked before a user is created, because the user's organization can never be changed after.
 */
const ORGANIZATION_ID = /^[A-Za-z0-9][A-Za-z0-9._:@|-]{0,127}$/;

export function isValidOrganizationId(value: string): boolean {
  return ORGANIZATION_ID.test(value);
}
