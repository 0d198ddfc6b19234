import { describe, expect, test } from '@jest/globals';
import { organizationOf } from '../../lib/http/identity.js';
import type { HttpApiEvent } from '../../lib/http/types.js';
import { isValidOrganizationId } from '../../scripts/lib/organization-id.js';
import { generatePassword } from '../../scripts/lib/password.js';

/** The create-user script's offline parts: what it accepts must be what the API accepts. */
function apiAccepts(organizationId: string): boolean {
  const event = { requestContext: { requestId: 'r', authorizer: { jwt: { claims: { [process.env.ORG_CLAIM || 'org_id']: organizationId } } } } } as unknown as HttpApiEvent;
  try {
    return organizationOf(event) === organizationId;
  } catch {
    return false;
  }
}

describe('create-user', () => {
  const samples = ['acme', 'org-42', 'Acme.Corp_1', 'a:b@c|d', 'x'.repeat(128), '', ' acme', '-acme', 'a b', 'x'.repeat(129), 'ü', 'a/b'];
  test.each(samples.map((sample) => [sample.length > 20 ? `${sample.length} x` : JSON.stringify(sample), sample]))(
    'organization id %s: the script agrees with the API',
    (_label, organizationId) => {
      expect(isValidOrganizationId(organizationId)).toBe(apiAccepts(organizationId));
    },
  );

  test('generated passwords satisfy the user pool policy', () => {
    for (let attempt = 0; attempt < 200; attempt++) {
      const password = generatePassword();
      expect(password).toHaveLength(20);
      for (const characterClass of [/[a-z]/, /[A-Z]/, /[0-9]/, /[^A-Za-z0-9]/]) expect(password).toMatch(characterClass);
      expect(password).not.toMatch(/[\s'"`$\\]/);
    }
  });
});
