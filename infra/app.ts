import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { serviceSettingsFromContext } from './service-settings.js';
import { DEFAULT_STACK_NAME } from './stack-contract.js';
import { WarehouseConnectionsStack } from './warehouse-connections-stack.js';

/** `cdk synth` / `cdk deploy` entry (cdk.json). Settings come from context: see docs/deploying.md. */
const app = new App();
new WarehouseConnectionsStack(app, DEFAULT_STACK_NAME, {
  settings: serviceSettingsFromContext(app.node),
  // The account and region the CLI resolved from the caller's credentials; absent, the template
  // is environment-agnostic, which is all this stack needs (it makes no lookups).
  env: { account: process.env.CDK_DEFAULT_ACCOUNT, region: process.env.CDK_DEFAULT_REGION },
});
// Every synth and deploy is checked; an unacknowledged finding stops it (nag-acknowledgements.ts).
Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
