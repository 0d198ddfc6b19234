import { afterEach, describe, expect, jest, test } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import { Socket } from 'node:net';
import { postgresBody } from '../helpers/bodies.js';
import { useTestApi } from '../helpers/transports.js';
import { ROUTE } from '../../lib/routes.js';

const { transport } = useTestApi();
const handler = transport('handler');

// This file runs the test function with the production default: no private network allowed.
process.env.WAREHOUSE_ALLOWED_CIDRS = '';

const TEST_PATH = ROUTE.test.path;
afterEach(() => {
  jest.restoreAllMocks();
});

describe('the test endpoint never connects to a forbidden address', () => {
  test.each([
    '127.0.0.1',
    'localhost',
    '10.0.0.7',
    '192.168.0.10',
    '172.20.1.1',
    '169.254.169.254',
    '100.100.0.1',
    '::1',
    '::ffff:169.254.169.254',
    'fd00:ec2::254',
    'fe80::1',
    '1::ffff:127.0.0.1',
    '::ffff:ffff:7f00:1',
    '::127.0.0.1',
  ])('host %s is refused before any socket is opened', async (host) => {
    const org = `org-${randomUUID().slice(0, 8)}`;
    expect((await handler.call({ org, method: 'POST', body: postgresBody({}, { host, port: 5432 }) })).status).toBe(201);
    const connect = jest.spyOn(Socket.prototype, 'connect');

    const tested = await handler.call({ org, method: 'POST', path: TEST_PATH });

    // Only the AWS SDK's own connections (to the local DynamoDB and KMS on their ports) may appear.
    const warehouseAttempts = connect.mock.calls.filter((call) => JSON.stringify(call).includes('5432'));
    expect(warehouseAttempts).toEqual([]);
    expect(tested.status).toBe(400);
    expect(tested.body).toMatchObject({ success: false, code: 'host_not_allowed', error: expect.stringContaining(`'${host}'`) });
  });
});
