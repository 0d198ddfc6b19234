import { beforeAll, describe, expect, test } from '@jest/globals';
import { loadSnowflakeDriver } from '../../lib/providers/snowflake/driver.js';
import { snowflakeEndpoint, snowflakeHost } from '../../lib/providers/snowflake/failures.js';

/**
 * The probe derives the Snowflake host itself and hands it to the driver, so the messages, the
 * pinned agent and the connection name the same host. This checks the derivation against the
 * driver's own, for every form the account schema accepts.
 */
type DriverConfig = new (options: object, validateCredentials: boolean, qaMode: boolean, clientInfo: object) => { host: string };
let DriverConnectionConfig: DriverConfig;

beforeAll(async () => {
  await loadSnowflakeDriver(); // sets the environment the driver's modules read when they load
  const module = (await import('snowflake-sdk/dist/lib/connection/connection_config.js')) as {
    default: DriverConfig | { default: DriverConfig };
  };
  DriverConnectionConfig = 'default' in module.default ? module.default.default : module.default;
});

describe('the Snowflake host is the one the driver derives from the account', () => {
  test.each([
    ['myorg-myaccount', 'myorg-myaccount.snowflakecomputing.com'],
    ['xy12345', 'xy12345.snowflakecomputing.com'],
    ['xy12345.us-west-2', 'xy12345.snowflakecomputing.com'],
    ['xy12345.us-east-2.aws', 'xy12345.us-east-2.aws.snowflakecomputing.com'],
    ['tenanta.us-east-1.privatelink', 'tenanta.us-east-1.privatelink.snowflakecomputing.com'],
    ['xy1.cn-north-1', 'xy1.cn-north-1.snowflakecomputing.cn'],
    ['xy1.cn-northwest-1.aws', 'xy1.cn-northwest-1.aws.snowflakecomputing.cn'],
  ])('%s -> %s', (account, host) => {
    const driver = new DriverConnectionConfig({ account, username: 'u', password: 'p' }, false, false, { version: '1', environment: {} });
    expect(driver.host.toLowerCase()).toBe(host);
    expect(snowflakeHost(account)).toBe(host);
  });

  test('messages about a China account name its .cn host', () => {
    expect(snowflakeEndpoint('xy1.cn-north-1', undefined)).toMatchObject({
      host: 'xy1.cn-north-1.snowflakecomputing.cn',
      where: 'xy1.cn-north-1.snowflakecomputing.cn',
    });
  });
});
