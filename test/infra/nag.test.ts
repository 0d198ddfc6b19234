import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from '@jest/globals';
import { App, Stack, Validations } from 'aws-cdk-lib';
import { ManagedPolicy, Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { AwsSolutionsChecks } from 'cdk-nag';
import { serviceApp } from './synthesize.js';

/**
 * cdk-nag v3 runs as a CDK policy-validation plugin: with findings left, synthesis throws and
 * lists them. The service is synthesized once; the failing control is a one-role app.
 */
function withAwsSolutionsChecks(app: App): App {
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  return app;
}

interface ValidationReport {
  pluginReports?: { violations?: unknown[] }[];
}

const service = withAwsSolutionsChecks(serviceApp().app);

describe('AwsSolutions checks (cdk-nag)', () => {
  test('the service has no unacknowledged findings', () => {
    let outdir = '';
    expect(() => (outdir = service.synth().directory)).not.toThrow();
    // Some plugins' warnings do not stop synthesis, so the report is read too: no finding of any plugin.
    const reportFile = join(outdir, 'validation-report.json');
    expect(existsSync(reportFile)).toBe(true);
    const report = JSON.parse(readFileSync(reportFile, 'utf8')) as ValidationReport;
    expect((report.pluginReports ?? []).flatMap((plugin) => plugin.violations ?? [])).toEqual([]);
  }, 90_000); // synthesis with every rule over every resource: seconds alone, much more on a busy machine

  test('the same check fails on a finding nobody acknowledged', () => {
    const app = new App();
    const stack = new Stack(app, 'Careless');
    new Role(stack, 'CarelessRole', {
      assumedBy: new ServicePrincipal('lambda.amazonaws.com'),
      managedPolicies: [ManagedPolicy.fromAwsManagedPolicyName('service-role/AWSLambdaBasicExecutionRole')],
    });
    withAwsSolutionsChecks(app);
    expect(() => app.synth()).toThrow(/AwsSolutions-IAM4/);
  });

  test('every acknowledgement gives a reason', () => {
    const acknowledgements = service.node
      .findAll()
      .flatMap((construct) => construct.node.metadata)
      .filter((entry) => entry.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY)
      .flatMap((entry) => Object.entries(entry.data as Record<string, string>));
    expect(acknowledgements.length).toBeGreaterThan(0);
    for (const [id, reason] of acknowledgements) {
      expect(id).toMatch(/AwsSolutions-/);
      expect(reason.length).toBeGreaterThan(60);
    }
  });
});
