import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { serviceSettingsFromContext } from './service-settings.js';
import { DEFAULT_STACK_NAME } from './stack-contract.js';
import { WarehouseConnectionsStack } from './warehouse-connections-stack.js';

/**
 * `cdk synth` / `cdk deploy` entry (cdk.json). Settings come from context: see docs/deploying.md.
 * The stack is environment-agnostic (no `env`): it makes no lookups, so the template names no
 * account or region, and `cdk deploy` deploys it to the account and region of the caller's
 * credentials. Passing `env` would bake in the CLI's default region (us-east-1 when none is set).
 */
const app = new App();
new WarehouseConnectionsStack(app, DEFAULT_STACK_NAME, { settings: serviceSettingsFromContext(app.node) });
// Every synth and deploy is checked; an unacknowledged finding stops it (nag-acknowledgements.ts).
Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
