import type { Node } from 'constructs';
import { identitySettingsFromContext, type IdentitySettings } from './identity-settings.js';

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';
const LOG_LEVELS: readonly LogLevel[] = ['debug', 'info', 'warn', 'error'];

/** Everything a deployment may choose, read once from CDK context (cdk.json or -c key=value). */
export interface ServiceSettings {
  identity: IdentitySettings;
  /** LOG_LEVEL of the functions (lib/log.ts); `-c logLevel=debug`. */
  logLevel: LogLevel;
}

export function serviceSettingsFromContext(node: Node): ServiceSettings {
  return { identity: identitySettingsFromContext(node), logLevel: logLevelFromContext(node) };
}

function logLevelFromContext(node: Node): LogLevel {
  const value: unknown = node.tryGetContext('logLevel') ?? 'info';
  if (typeof value !== 'string' || !LOG_LEVELS.includes(value as LogLevel)) {
    throw new Error(`Context logLevel must be one of ${LOG_LEVELS.join(', ')}, got "${String(value)}"`);
  }
  return value as LogLevel;
}
