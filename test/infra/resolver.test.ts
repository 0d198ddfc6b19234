import { describe, expect, test } from '@jest/globals';
import { Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { RESOLVER, ROUTE } from '../../lib/routes.js';
import { logicalIdOf, serviceApp, serviceTemplate, type Resources } from './synthesize.js';

/**
 * The resolve function in the template: no route, invocable only by the consumer principals the
 * deployer names, and its invocations recorded in CloudTrail when asked.
 */
const WORKER = 'arn:aws:iam::111122223333:role/query-worker';
const REPORTER = 'arn:aws:iam::444455556666:root';

const resourcesOf = (resources: Resources, type: string) => Object.entries(resources).filter(([, resource]) => resource.Type === type);

describe('who may invoke the resolve function', () => {
  test('by default nobody: no invoke permission names it, and no route leads to it', () => {
    const { stack, template } = serviceTemplate();
    const resources = template.toJSON().Resources as Resources;
    const resolverId = logicalIdOf(stack, RESOLVER.functionName);
    const permissions = resourcesOf(resources, 'AWS::Lambda::Permission').filter(([, resource]) =>
      JSON.stringify(resource.Properties.FunctionName).includes(resolverId),
    );
    expect(permissions).toEqual([]);
    const integrations = resourcesOf(resources, 'AWS::ApiGatewayV2::Integration').filter(([, resource]) =>
      JSON.stringify(resource.Properties).includes(resolverId),
    );
    expect(integrations).toEqual([]);
  });

  test('-c consumerPrincipals: one lambda:InvokeFunction permission per principal, on the resolver alone', () => {
    const { stack, template } = serviceTemplate({ consumerPrincipals: `${WORKER}, ${REPORTER}` });
    const resources = template.toJSON().Resources as Resources;
    const byPrincipal = resourcesOf(resources, 'AWS::Lambda::Permission')
      .map(([, resource]) => resource.Properties)
      .filter((properties) => properties.Principal === WORKER || properties.Principal === REPORTER);
    expect(byPrincipal).toEqual([
      {
        Action: 'lambda:InvokeFunction',
        FunctionName: { 'Fn::GetAtt': [logicalIdOf(stack, RESOLVER.functionName), 'Arn'] },
        Principal: WORKER,
      },
      {
        Action: 'lambda:InvokeFunction',
        FunctionName: { 'Fn::GetAtt': [logicalIdOf(stack, RESOLVER.functionName), 'Arn'] },
        Principal: REPORTER,
      },
    ]);
  });

  test.each(['*', 'arn:aws:iam::111122223333:role/*', 'worker', 'arn:aws:sts::111122223333:assumed-role/x/y'])(
    'a principal that is not an IAM role, user or account ARN (%s) stops the synth',
    (principal) => {
      expect(() => serviceTemplate({ consumerPrincipals: principal })).toThrow(/consumerPrincipals/);
    },
  );

  test('the trust policy shown to organizations names both roles that act in their accounts', () => {
    const { stack, template } = serviceTemplate();
    const resources = template.toJSON().Resources as Resources;
    const variables = (
      resources[logicalIdOf(stack, ROUTE.awsIdentity.functionName)]!.Properties.Environment as { Variables: Record<string, unknown> }
    ).Variables;
    expect(JSON.stringify(variables.PROBE_ROLE_ARN)).toContain('TestConnectionRole');
    expect(JSON.stringify(variables.RESOLVER_ROLE_ARN)).toContain('ResolveConnectionRole');
  });
});

describe('-c resolveDataEvents=true', () => {
  test("a trail records the resolver's invocations (Lambda data events) to a private bucket, and only those", () => {
    const { stack, template } = serviceTemplate({ resolveDataEvents: 'true' });
    const resources = template.toJSON().Resources as Resources;
    const trails = resourcesOf(resources, 'AWS::CloudTrail::Trail').map(([, resource]) => resource.Properties);
    expect(trails).toHaveLength(1);
    expect(trails[0]).toMatchObject({
      IsLogging: true,
      IsMultiRegionTrail: false,
      IncludeGlobalServiceEvents: false,
      EnableLogFileValidation: true,
      EventSelectors: [
        {
          IncludeManagementEvents: false,
          ReadWriteType: 'All',
          DataResources: [
            { Type: 'AWS::Lambda::Function', Values: [{ 'Fn::GetAtt': [logicalIdOf(stack, RESOLVER.functionName), 'Arn'] }] },
          ],
        },
      ],
    });
    expect(resourcesOf(serviceTemplate().template.toJSON().Resources as Resources, 'AWS::CloudTrail::Trail')).toEqual([]);
  });

  test('passes the AwsSolutions checks too', () => {
    const { app } = serviceApp({ resolveDataEvents: 'true', consumerPrincipals: WORKER });
    Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
    const outdir = app.synth().directory;
    const reportFile = join(outdir, 'validation-report.json');
    const report = existsSync(reportFile)
      ? (JSON.parse(readFileSync(reportFile, 'utf8')) as { pluginReports?: { violations?: unknown[] }[] })
      : {};
    expect((report.pluginReports ?? []).flatMap((plugin) => plugin.violations ?? [])).toEqual([]);
  }, 120_000);
});
