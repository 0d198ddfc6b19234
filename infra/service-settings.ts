import type { Node } from 'constructs';
import { identitySettingsFromContext, type IdentitySettings } from './identity-settings.js';

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';
const LOG_LEVELS: readonly LogLevel[] = ['debug', 'info', 'warn', 'error'];

/** Everything a deployment may choose, read once from CDK context (cdk.json or -c key=value). */
export interface ServiceSettings {
  identity: IdentitySettings;
  /** LOG_LEVEL of the functions (lib/log.ts); `-c logLevel=debug`. */
  logLevel: LogLevel;
  /** Stage throttling; `-c throttleRate=500 -c throttleBurst=1000` for real traffic. */
  throttle: { rateLimit: number; burstLimit: number };
}

/** Per-account protection of a personal deployment (requests per second, burst). */
const DEFAULT_THROTTLE = { rateLimit: 25, burstLimit: 50 };

export function serviceSettingsFromContext(node: Node): ServiceSettings {
  return {
    identity: identitySettingsFromContext(node),
    logLevel: logLevelFromContext(node),
    throttle: {
      rateLimit: positiveIntegerFromContext(node, 'throttleRate', DEFAULT_THROTTLE.rateLimit),
      burstLimit: positiveIntegerFromContext(node, 'throttleBurst', DEFAULT_THROTTLE.burstLimit),
    },
  };
}

function positiveIntegerFromContext(node: Node, key: string, fallback: number): number {
  const value: unknown = node.tryGetContext(key) ?? fallback;
  const number = typeof value === 'string' ? Number(value) : value;
  if (typeof number !== 'number' || !Number.isInteger(number) || number < 1) throw new Error(`Context ${key} must be a positive integer, got "${String(value)}"`);
  return number;
}

function logLevelFromContext(node: Node): LogLevel {
  const value: unknown = node.tryGetContext('logLevel') ?? 'info';
  if (typeof value !== 'string' || !LOG_LEVELS.includes(value as LogLevel)) {
    throw new Error(`Context logLevel must be one of ${LOG_LEVELS.join(', ')}, got "${String(value)}"`);
  }
  return value as LogLevel;
}
