import { describe, expect, test } from '@jest/globals';
import { Match } from 'aws-cdk-lib/assertions';
import { addressesOf, FUNCTIONS, RESOLVER, ROUTES, routeKey } from '../../lib/routes.js';
import { COGNITO_ORG_CLAIM, functionNameOutputKey, OUTPUT_KEYS } from '../../infra/stack-contract.js';
import { Template } from 'aws-cdk-lib/assertions';
import { logicalIdOf, serviceApp, serviceTemplate, type Resources } from './synthesize.js';

// The default deployment: the stack's own Cognito user pool. Synthesized once for the file.
const { stack, template } = serviceTemplate();
const resources = template.toJSON().Resources as Resources;

function resourcesOf(type: string) {
  return Object.entries(resources).filter(([, resource]) => resource.Type === type);
}

function functionProperties(functionName: string): Record<string, unknown> {
  const resource = resources[logicalIdOf(stack, functionName)];
  if (!resource) throw new Error(`No resource for ${functionName}`);
  return resource.Properties;
}

describe('routes and authorizer', () => {
  test('every address of lib/routes.ts is a route once, with the JWT authorizer', () => {
    const routes = resourcesOf('AWS::ApiGatewayV2::Route').map(([, route]) => route.Properties);
    expect(routes.map((route) => route.RouteKey).sort()).toEqual(ROUTES.flatMap(addressesOf).map(routeKey).sort());
    const [authorizerId] = resourcesOf('AWS::ApiGatewayV2::Authorizer').map(([id]) => id);
    for (const route of routes) {
      expect(route.AuthorizationType).toBe('JWT');
      expect(route.AuthorizerId).toEqual({ Ref: authorizerId });
    }
  });

  test('the template routes all live under the published v2 base path', () => {
    // Written out, not API_BASE_PATH: the routes are built from that constant, so comparing against
    // it could not notice the public path changing.
    const publishedBasePath = '/api/v2/warehouse/connections';
    const routeKeys = resourcesOf('AWS::ApiGatewayV2::Route').map(([, route]) => String(route.Properties.RouteKey));
    expect(routeKeys.length).toBeGreaterThan(0);
    for (const key of routeKeys)
      expect(key).toMatch(new RegExp(`^(GET|POST|DELETE|PATCH) ${publishedBasePath.replace(/\//g, '\\/')}(/|$)`));
  });

  test.each(ROUTES.map((route) => [route.functionName, route] as const))(
    'every address of %s integrates that function, through one integration',
    (_, route) => {
      const functionId = logicalIdOf(stack, route.functionName);
      const integrationIds = addressesOf(route).map((address) => {
        const routeResource = resourcesOf('AWS::ApiGatewayV2::Route').find(
          ([, candidate]) => candidate.Properties.RouteKey === routeKey(address),
        );
        const target = JSON.stringify(routeResource?.[1].Properties.Target);
        const [integrationId, integration] = resourcesOf('AWS::ApiGatewayV2::Integration').find(([id]) => target.includes(id)) ?? [];
        expect(integrationId).toBeDefined();
        expect(integration?.Properties).toMatchObject({
          IntegrationType: 'AWS_PROXY',
          PayloadFormatVersion: '2.0',
          IntegrationUri: { 'Fn::GetAtt': [functionId, 'Arn'] },
        });
        return integrationId;
      });
      expect(new Set(integrationIds).size).toBe(1);
    },
  );

  test('the authorizer trusts the user pool and audience is its app client (ID tokens)', () => {
    const [poolId] = resourcesOf('AWS::Cognito::UserPool').map(([id]) => id);
    const [clientId] = resourcesOf('AWS::Cognito::UserPoolClient').map(([id]) => id);
    template.hasResourceProperties('AWS::ApiGatewayV2::Authorizer', {
      AuthorizerType: 'JWT',
      IdentitySource: ['$request.header.Authorization'],
      JwtConfiguration: {
        Audience: [{ Ref: clientId }],
        Issuer: {
          'Fn::Join': ['', ['https://cognito-idp.', { Ref: 'AWS::Region' }, '.', { Ref: 'AWS::URLSuffix' }, '/', { Ref: poolId }]],
        },
      },
    });
  });
});

describe('Cognito user pool', () => {
  test('users carry an immutable custom:org_id and cannot sign themselves up', () => {
    template.resourceCountIs('AWS::Cognito::UserPool', 1);
    template.hasResourceProperties('AWS::Cognito::UserPool', {
      AdminCreateUserConfig: { AllowAdminCreateUserOnly: true },
      Schema: Match.arrayWith([Match.objectLike({ Name: 'org_id', AttributeDataType: 'String', Mutable: false })]),
    });
  });

  test('a changed email takes effect only once verified (AttributesRequireVerificationBeforeUpdate)', () => {
    template.hasResourceProperties('AWS::Cognito::UserPool', {
      AutoVerifiedAttributes: ['email'],
      UserAttributeUpdateSettings: { AttributesRequireVerificationBeforeUpdate: ['email'] },
    });
  });

  test('the app client signs in with a password or SRP, reads the org and cannot write it', () => {
    template.hasResourceProperties('AWS::Cognito::UserPoolClient', {
      GenerateSecret: false,
      ExplicitAuthFlows: Match.arrayWith(['ALLOW_USER_PASSWORD_AUTH', 'ALLOW_USER_SRP_AUTH']),
      ReadAttributes: Match.arrayWith([COGNITO_ORG_CLAIM]),
      WriteAttributes: Match.not(Match.arrayWith([COGNITO_ORG_CLAIM])),
    });
  });
});

describe('functions', () => {
  test.each(FUNCTIONS)('$functionName: Node.js 24 on arm64 with the route table memory and timeout', (route) => {
    expect(functionProperties(route.functionName)).toMatchObject({
      Runtime: 'nodejs24.x',
      Architectures: ['arm64'],
      Handler: 'index.handler',
      MemorySize: route.memoryMb,
      Timeout: route.timeoutSeconds,
      LoggingConfig: { LogFormat: 'JSON', LogGroup: { Ref: expect.any(String) } },
    });
  });

  test.each(FUNCTIONS)('$functionName: environment names the table, key, org claim and log level', (route) => {
    const variables = (functionProperties(route.functionName).Environment as { Variables: Record<string, unknown> }).Variables;
    expect(variables).toMatchObject({
      TABLE_NAME: { Ref: stack.getLogicalId(stack.table.node.defaultChild as never) },
      KMS_KEY_ID: { 'Fn::GetAtt': [stack.getLogicalId(stack.key.node.defaultChild as never), 'Arn'] },
      ORG_CLAIM: COGNITO_ORG_CLAIM,
      LOG_LEVEL: 'info',
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
      NODE_OPTIONS: '--enable-source-maps',
    });
    const probes = route.functionName === 'test-connection' || route.functionName === RESOLVER.functionName;
    expect('WAREHOUSE_TEST_DEADLINE_MS' in variables).toBe(probes);
    expect('AUDIT_TABLE_NAME' in variables).toBe(route.audit !== 'none');
  });

  test('the test function can finish a 10 s probe deadline inside its timeout', () => {
    const properties = functionProperties('test-connection');
    const deadlineMs = Number((properties.Environment as { Variables: Record<string, string> }).Variables.WAREHOUSE_TEST_DEADLINE_MS);
    expect(deadlineMs).toBe(10_000);
    expect(properties.Timeout as number).toBeGreaterThanOrEqual(deadlineMs / 1_000 + 6);
  });

  test('every log group has a retention', () => {
    const logGroups = resourcesOf('AWS::Logs::LogGroup');
    expect(logGroups).toHaveLength(FUNCTIONS.length + 1); // one per function, one for access logs
    for (const [, logGroup] of logGroups) expect(logGroup.Properties.RetentionInDays).toBe(30);
  });
});

describe('data', () => {
  test('the table has the lib/store key schema, on demand, PITR, deletion protection, retained', () => {
    template.hasResource('AWS::DynamoDB::Table', {
      DeletionPolicy: 'Retain',
      UpdateReplacePolicy: 'Retain',
      Properties: {
        KeySchema: [
          { AttributeName: 'pk', KeyType: 'HASH' },
          { AttributeName: 'sk', KeyType: 'RANGE' },
        ],
        AttributeDefinitions: Match.arrayWith([
          { AttributeName: 'pk', AttributeType: 'S' },
          { AttributeName: 'sk', AttributeType: 'S' },
        ]),
        BillingMode: 'PAY_PER_REQUEST',
        PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
        DeletionProtectionEnabled: true,
      },
    });
  });

  test('the key rotates, is retained on delete and replacement but not after a failed create, and refuses any use without the connection context', () => {
    template.hasResource('AWS::KMS::Key', {
      DeletionPolicy: 'RetainExceptOnCreate',
      UpdateReplacePolicy: 'Retain',
      Properties: {
        EnableKeyRotation: true,
        KeyPolicy: {
          Statement: Match.arrayWith([
            Match.objectLike({ Effect: 'Deny', Principal: { AWS: '*' }, Condition: { Null: { 'kms:EncryptionContextKeys': 'true' } } }),
            Match.objectLike({
              Effect: 'Deny',
              Principal: { AWS: '*' },
              Action: Match.arrayWith(['kms:Decrypt', 'kms:GenerateDataKey*']),
              Condition: { 'ForAnyValue:StringNotEquals': { 'kms:EncryptionContextKeys': ['organization_id', 'connection_id'] } },
            }),
          ]),
        },
      },
    });
  });
});

describe('operations', () => {
  test('the $default stage throttles and writes JSON access logs to a log group', () => {
    const [accessLogsId] = resourcesOf('AWS::Logs::LogGroup')
      .filter(([id]) => id.startsWith('ApiAccessLogs'))
      .map(([id]) => id);
    template.hasResourceProperties('AWS::ApiGatewayV2::Stage', {
      StageName: '$default',
      AutoDeploy: true,
      DefaultRouteSettings: { ThrottlingBurstLimit: Match.anyValue(), ThrottlingRateLimit: Match.anyValue() },
      AccessLogSettings: {
        DestinationArn: { 'Fn::GetAtt': [accessLogsId, 'Arn'] },
        Format: Match.stringLikeRegexp('"requestId":"\\$context.requestId"'),
      },
    });
    const stage = resourcesOf('AWS::ApiGatewayV2::Stage')[0]?.[1].Properties as { AccessLogSettings: { Format: string } };
    expect(() => JSON.parse(stage.AccessLogSettings.Format)).not.toThrow();
  });

  test('throttling defaults to 25 requests/s (burst 50) and follows -c throttleRate / throttleBurst', () => {
    template.hasResourceProperties('AWS::ApiGatewayV2::Stage', {
      DefaultRouteSettings: { ThrottlingRateLimit: 25, ThrottlingBurstLimit: 50 },
    });
    serviceTemplate({ throttleRate: '500', throttleBurst: '1000' }).template.hasResourceProperties('AWS::ApiGatewayV2::Stage', {
      DefaultRouteSettings: { ThrottlingRateLimit: 500, ThrottlingBurstLimit: 1000 },
    });
    expect(() => serviceTemplate({ throttleRate: 'fast' })).toThrow(/throttleRate must be a positive integer/);
  });

  test('both test routes carry the test function throttle, below the stage, from -c testThrottleRate / testThrottleBurst', () => {
    const testRoute = ROUTES.find((route) => route.functionName === 'test-connection')!;
    const testKeys = addressesOf(testRoute).map(routeKey);
    expect(testKeys).toHaveLength(2);
    const settingsFor = (rate: number, burst: number) =>
      Object.fromEntries(testKeys.map((key) => [key, { ThrottlingRateLimit: rate, ThrottlingBurstLimit: burst }]));
    const stageOf = (stackTemplate: Template) =>
      Object.values(stackTemplate.toJSON().Resources as Resources).find((resource) => resource.Type === 'AWS::ApiGatewayV2::Stage')!;
    // Exactly these route settings: no other route is throttled below the stage.
    expect(stageOf(template).Properties.RouteSettings).toEqual(settingsFor(5, 10));
    expect(stageOf(serviceTemplate({ testThrottleRate: '20', testThrottleBurst: '40' }).template).Properties.RouteSettings).toEqual(
      settingsFor(20, 40),
    );
    const [stageId, stageResource] = resourcesOf('AWS::ApiGatewayV2::Stage')[0]!;
    const routeIds = resourcesOf('AWS::ApiGatewayV2::Route')
      .filter(([, route]) => testKeys.includes(String(route.Properties.RouteKey)))
      .map(([id]) => id);
    expect(stageId).toBeDefined();
    expect(routeIds).toHaveLength(2);
    expect((stageResource as unknown as { DependsOn: string[] }).DependsOn).toEqual(expect.arrayContaining(routeIds));
  });

  test('every alarm notifies the alarm topic; -c alarmEmail subscribes a person', () => {
    const [topicId] = resourcesOf('AWS::SNS::Topic').map(([id]) => id);
    for (const [, alarm] of resourcesOf('AWS::CloudWatch::Alarm')) {
      expect(alarm.Properties.AlarmActions).toEqual([{ Ref: topicId }]);
      expect(alarm.Properties.OKActions).toEqual([{ Ref: topicId }]);
    }
    expect(resourcesOf('AWS::SNS::Subscription')).toEqual([]);
    serviceTemplate({ alarmEmail: 'ops@example.com' }).template.hasResourceProperties('AWS::SNS::Subscription', {
      Protocol: 'email',
      Endpoint: 'ops@example.com',
    });
    expect(() => serviceTemplate({ alarmEmail: 'not-an-address' })).toThrow(/alarmEmail must be an email address/);
  });

  test('a dashboard shows requests, errors, p50/p99 duration per function, throttles and test verdicts by code; its URL is an output', () => {
    const [, dashboard] = resourcesOf('AWS::CloudWatch::Dashboard')[0]!;
    const body = JSON.stringify(dashboard.Properties.DashboardBody);
    for (const route of FUNCTIONS) expect(body).toContain(logicalIdOf(stack, route.functionName));
    for (const text of ['Invocations', 'Errors', 'Throttles', 'p50', 'p99', 'TestVerdicts']) expect(body).toContain(text);
    template.hasResourceProperties('AWS::Logs::MetricFilter', {
      FilterPattern: '{ $.event = "connection.tested" }',
      LogGroupName: {
        Ref: (resources[logicalIdOf(stack, 'test-connection')]!.Properties.LoggingConfig as { LogGroup: { Ref: string } }).LogGroup.Ref,
      },
      MetricTransformations: [
        {
          MetricNamespace: 'WarehouseConnections',
          MetricName: 'TestVerdicts',
          MetricValue: '1',
          Dimensions: [{ Key: 'code', Value: '$.code' }],
        },
      ],
    });
    expect(Object.keys(template.toJSON().Outputs as Record<string, unknown>)).toEqual(
      expect.arrayContaining([OUTPUT_KEYS.dashboardUrl, OUTPUT_KEYS.alarmTopicArn]),
    );
  });

  test('the AWS identity function names the role tests run as (what customer roles trust) and the deployment', () => {
    const testRole = (resources[logicalIdOf(stack, 'test-connection')]!.Properties.Role as { 'Fn::GetAtt': [string, string] })[
      'Fn::GetAtt'
    ][0];
    expect(functionProperties('get-aws-identity').Environment).toMatchObject({
      Variables: { PROBE_ROLE_ARN: { 'Fn::GetAtt': [testRole, 'Arn'] }, DEPLOYMENT_ID: 'WarehouseConnections' },
    });
  });

  test('the test function gets the allowed networks of -c allowedNetworks, and no other function does', () => {
    expect(functionProperties('test-connection').Environment).not.toMatchObject({
      Variables: { WAREHOUSE_ALLOWED_CIDRS: expect.anything() },
    });
    const custom = serviceApp({ allowedNetworks: '10.0.0.0/8:5432, 192.168.1.0/24' });
    const customResources = Template.fromStack(custom.stack).toJSON().Resources as Resources;
    const variables = (id: string) =>
      (customResources[logicalIdOf(custom.stack, id)]!.Properties.Environment as { Variables: Record<string, unknown> }).Variables;
    expect(variables('test-connection').WAREHOUSE_ALLOWED_CIDRS).toBe('10.0.0.0/8:5432,192.168.1.0/24');
    for (const other of ['create-connection', 'get-connection', 'delete-connection'])
      expect(variables(other).WAREHOUSE_ALLOWED_CIDRS).toBeUndefined();
    expect(() => serviceTemplate({ allowedNetworks: '10.0.0.0/33' })).toThrow(/allowedNetworks/);
  });

  test('alarms watch the API 5xx rate and each function errors and throttles', () => {
    const alarms = resourcesOf('AWS::CloudWatch::Alarm').map(([, alarm]) => alarm.Properties);
    expect(alarms).toHaveLength(1 + 2 * FUNCTIONS.length);
    const rate = alarms.filter((alarm) => Array.isArray(alarm.Metrics));
    expect(JSON.stringify(rate)).toContain('5xx');
    for (const route of FUNCTIONS) {
      const functionId = logicalIdOf(stack, route.functionName);
      for (const metric of ['Errors', 'Throttles']) {
        expect(alarms).toContainEqual(
          expect.objectContaining({
            Namespace: 'AWS/Lambda',
            MetricName: metric,
            Dimensions: [{ Name: 'FunctionName', Value: { Ref: functionId } }],
          }),
        );
      }
    }
  });

  test('outputs: API URL, user pool, client, table, key and every function name', () => {
    const outputs = Object.keys(template.toJSON().Outputs as Record<string, unknown>);
    expect(outputs).toEqual(
      expect.arrayContaining([
        OUTPUT_KEYS.apiUrl,
        OUTPUT_KEYS.userPoolId,
        OUTPUT_KEYS.userPoolClientId,
        OUTPUT_KEYS.tableName,
        OUTPUT_KEYS.keyArn,
        OUTPUT_KEYS.auditTableName,
        ...FUNCTIONS.map(functionNameOutputKey),
      ]),
    );
    expect(functionNameOutputKey({ functionName: 'create-connection' })).toBe('FunctionNameCreateConnection');
  });
});
