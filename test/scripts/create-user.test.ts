import { describe, expect, test } from '@jest/globals';
import { organizationOf } from '../../lib/http/identity.js';
import type { HttpApiEvent } from '../../lib/http/types.js';
import { isValidOrganizationId } from '../../scripts/lib/organization-id.js';
import { generatePassword } from '../../scripts/lib/password.js';

/**
 * The create-user script's offline parts. A user's organization can never change, so the script
 * must refuse what the API would refuse: both are held to one table written out by hand here.
 */
function apiAccepts(organizationId: string): boolean {
  const event = {
    requestContext: { requestId: 'r', authorizer: { jwt: { claims: { org_id: organizationId } } } },
  } as unknown as HttpApiEvent;
  try {
    return organizationOf(event, 'org_id') === organizationId;
  } catch {
    return false;
  }
}

const ORGANIZATION_IDS: [string, boolean][] = [
  ['acme', true],
  ['org-42', true],
  ['Acme.Corp_1', true],
  ['a:b@c|d', true],
  ['x'.repeat(128), true], // the user pool's custom:org_id holds at most 128 characters
  ['', false],
  [' acme', false],
  ['-acme', false],
  ['a b', false],
  ['x'.repeat(129), false],
  ['ü', false],
  ['a/b', false],
];

describe('create-user', () => {
  test.each(ORGANIZATION_IDS.map(([id, valid]) => [id.length > 20 ? `${id.length} x` : JSON.stringify(id), id, valid] as const))(
    'organization id %s: the script and the API agree with the table',
    (_label, organizationId, valid) => {
      expect({ script: isValidOrganizationId(organizationId), api: apiAccepts(organizationId) }).toEqual({ script: valid, api: valid });
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
