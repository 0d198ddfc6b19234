import type { Node } from 'constructs';
import { DEFAULTS, parseCidrList } from '../lib/config.js';
import { identitySettingsFromContext, type IdentitySettings } from './identity-settings.js';

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';
const LOG_LEVELS: readonly LogLevel[] = ['debug', 'info', 'warn', 'error'];

export interface Throttle {
  rateLimit: number;
  burstLimit: number;
}

/** Everything a deployment may choose, read once from CDK context (cdk.json or -c key=value). */
export interface ServiceSettings {
  identity: IdentitySettings;
  /** LOG_LEVEL of the functions (lib/log.ts); `-c logLevel=debug`. */
  logLevel: LogLevel;
  /** Stage throttling; `-c throttleRate=500 -c throttleBurst=1000` for real traffic. */
  throttle: Throttle;
  /**
   * The test route's own throttle, below the stage's: a test holds a 1 GB function for up to its
   * deadline and reaches customer hosts. `-c testThrottleRate=20 -c testThrottleBurst=40`.
   */
  testThrottle: Throttle;
  /**
   * Private networks (optionally with ports) the test function may reach, in the syntax of
   * WAREHOUSE_ALLOWED_CIDRS (lib/config.ts); none by default. `-c allowedNetworks=10.0.0.0/8:5432`.
   */
  allowedNetworks: string[];
  /** Where alarm notifications go: an email subscription to the alarm topic; `-c alarmEmail=ops@example.com`. */
  alarmEmail: string | undefined;
  /**
   * The AWS principals (role or account ARNs) allowed to invoke the resolve function, which hands
   * out decrypted credentials; none by default. `-c consumerPrincipals=arn:aws:iam::111122223333:role/worker,...`
   */
  consumerPrincipals: string[];
  /** Days an audit record is kept (the audit table's TTL); `-c auditRetentionDays=730`. */
  auditRetentionDays: number;
  /**
   * Records every invocation of the resolve function in CloudTrail (Lambda data events, to a bucket
   * of the stack's): who invoked it, authoritatively, which the function itself cannot know.
   * `-c resolveDataEvents=true`; off by default (data events are billed per event).
   */
  resolveDataEvents: boolean;
}

/** Per-account protection of a personal deployment (requests per second, burst). */
const DEFAULT_THROTTLE: Throttle = { rateLimit: 25, burstLimit: 50 };
const DEFAULT_TEST_THROTTLE: Throttle = { rateLimit: 5, burstLimit: 10 };

export function serviceSettingsFromContext(node: Node): ServiceSettings {
  return {
    identity: identitySettingsFromContext(node),
    logLevel: logLevelFromContext(node),
    throttle: throttleFromContext(node, 'throttle', DEFAULT_THROTTLE),
    testThrottle: throttleFromContext(node, 'testThrottle', DEFAULT_TEST_THROTTLE),
    allowedNetworks: allowedNetworksFromContext(node),
    alarmEmail: emailFromContext(node, 'alarmEmail'),
    consumerPrincipals: principalsFromContext(node, 'consumerPrincipals'),
    auditRetentionDays: positiveIntegerFromContext(node, 'auditRetentionDays', DEFAULTS.auditRetentionDays),
    resolveDataEvents: booleanFromContext(node, 'resolveDataEvents'),
  };
}

function throttleFromContext(node: Node, prefix: string, fallback: Throttle): Throttle {
  return {
    rateLimit: positiveIntegerFromContext(node, `${prefix}Rate`, fallback.rateLimit),
    burstLimit: positiveIntegerFromContext(node, `${prefix}Burst`, fallback.burstLimit),
  };
}

function positiveIntegerFromContext(node: Node, key: string, fallback: number): number {
  const value: unknown = node.tryGetContext(key) ?? fallback;
  const number = typeof value === 'string' ? Number(value) : value;
  if (typeof number !== 'number' || !Number.isInteger(number) || number < 1)
    throw new Error(`Context ${key} must be a positive integer, got "${String(value)}"`);
  return number;
}

function logLevelFromContext(node: Node): LogLevel {
  const value: unknown = node.tryGetContext('logLevel') ?? 'info';
  if (typeof value !== 'string' || !LOG_LEVELS.includes(value as LogLevel)) {
    throw new Error(`Context logLevel must be one of ${LOG_LEVELS.join(', ')}, got "${String(value)}"`);
  }
  return value as LogLevel;
}

function allowedNetworksFromContext(node: Node): string[] {
  const value: unknown = node.tryGetContext('allowedNetworks');
  if (value === undefined) return [];
  if (typeof value !== 'string') throw new Error('Context allowedNetworks must be a comma-separated list of networks');
  try {
    return parseCidrList(value);
  } catch (error) {
    throw new Error(`Context allowedNetworks: ${(error as Error).message}`);
  }
}

function emailFromContext(node: Node, key: string): string | undefined {
  const value: unknown = node.tryGetContext(key);
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || !/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(value)) throw new Error(`Context ${key} must be an email address`);
  return value;
}

/** IAM role, user or account-root ARNs, any partition: `arn:aws:iam::123456789012:role/worker`. */
const PRINCIPAL_ARN = /^arn:aws[a-z-]*:iam::\d{12}:(root|role\/[\w+=,.@\/-]{1,512}|user\/[\w+=,.@\/-]{1,512})$/;

function principalsFromContext(node: Node, key: string): string[] {
  const value: unknown = node.tryGetContext(key);
  if (value === undefined || value === '') return [];
  if (typeof value !== 'string') throw new Error(`Context ${key} must be a comma-separated list of IAM principal ARNs`);
  return value.split(',').map((entry) => {
    const arn = entry.trim();
    if (!PRINCIPAL_ARN.test(arn)) throw new Error(`Context ${key}: "${arn}" is not an IAM role, user or account-root ARN`);
    return arn;
  });
}

function booleanFromContext(node: Node, key: string): boolean {
  const value: unknown = node.tryGetContext(key) ?? false;
  if (value === true || value === 'true') return true;
  if (value === false || value === 'false') return false;
  throw new Error(`Context ${key} must be true or false, got "${String(value)}"`);
}
