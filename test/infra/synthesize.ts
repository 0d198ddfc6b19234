import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { App, type CfnElement } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { serviceSettingsFromContext } from '../../infra/service-settings.js';
import { WarehouseConnectionsStack } from '../../infra/warehouse-connections-stack.js';

export const PROJECT_ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** The feature flags and settings of cdk.json, so in-process synthesis matches `cdk synth`. */
export function cdkJsonContext(): Record<string, unknown> {
  const cdkJson = JSON.parse(readFileSync(`${PROJECT_ROOT}cdk.json`, 'utf8')) as { context?: Record<string, unknown> };
  return cdkJson.context ?? {};
}

export interface ServiceApp {
  app: App;
  stack: WarehouseConnectionsStack;
}

/**
 * The service's stack as `infra/app.ts` builds it, with extra context. Bundling is skipped (the
 * template is the same but for asset hashes); bundles are tested in bundles.test.ts and cdk-synth.test.ts.
 */
export function serviceApp(context: Record<string, string> = {}): ServiceApp {
  const app = new App({ context: { ...cdkJsonContext(), 'aws:cdk:bundling-stacks': [], ...context } });
  const stack = new WarehouseConnectionsStack(app, 'WarehouseConnections', { settings: serviceSettingsFromContext(app.node) });
  return { app, stack };
}

export function serviceTemplate(context: Record<string, string> = {}): { stack: WarehouseConnectionsStack; template: Template } {
  const { stack } = serviceApp(context);
  return { stack, template: Template.fromStack(stack) };
}

export type Resources = Record<string, { Type: string; Properties: Record<string, unknown> }>;

/** Logical id of the function serving a route, by its construct id. */
export function logicalIdOf(stack: WarehouseConnectionsStack, functionName: string): string {
  const fn = stack.functions.find((candidate) => candidate.route.functionName === functionName);
  if (!fn) throw new Error(`No function ${functionName}`);
  return stack.getLogicalId(fn.node.defaultChild as CfnElement);
}
