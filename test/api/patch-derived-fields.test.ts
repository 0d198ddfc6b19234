import { describe, expect, test } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import { CANARY, snowflakeBody } from '../helpers/bodies.js';
import { useTestApi } from '../helpers/transports.js';

/**
 * A field the provider derives from the credentials (a Snowflake `project_id` is its account, the
 * registry's `derivedFields`) follows them through a PATCH: the edit form leaves it out, so the
 * schema derives it again instead of finding the old value beside the new account.
 */
const { transport } = useTestApi();
const api = transport('handler');

describe('PATCH of a credential a top-level field is derived from', () => {
  test('a Snowflake account changed alone (with its password) moves project_id along', async () => {
    const org = `org-${randomUUID().slice(0, 8)}`;
    expect((await api.call({ org, method: 'POST', body: snowflakeBody() })).status).toBe(201);
    const patched = await api.call({
      org,
      method: 'PATCH',
      body: { credentials: { account: 'acme-reporting', password: CANARY.snowflakePassword } },
    });
    expect(patched.status).toBe(200);
    const shown = await api.call({ org, method: 'GET' });
    expect(shown.body).toMatchObject({ connection: { project_id: 'acme-reporting' } });
  });
});
