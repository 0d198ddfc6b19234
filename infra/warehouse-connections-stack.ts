import { CfnOutput, Lazy, Stack, type StackProps } from 'aws-cdk-lib';
import { ArnPrincipal } from 'aws-cdk-lib/aws-iam';
import { RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { Construct } from 'constructs';
import { FUNCTIONS, isRoute, RESOLVER, ROUTE, routeKey } from '../lib/routes.js';
import { AuditTable } from './audit-table.js';
import { ConnectionsApi } from './connections-api.js';
import { ConnectionsTable } from './connections-table.js';
import { CredentialsKey } from './credentials-key.js';
import { functionEnvironment } from './function-environment.js';
import { acknowledgeNagFindings } from './nag-acknowledgements.js';
import { routePermissions } from './route-permissions.js';
import { ServiceAlarms } from './service-alarms.js';
import { ServiceDashboard } from './service-dashboard.js';
import { ServiceFunction } from './service-function.js';
import { ResolveDataEvents } from './resolve-data-events.js';
import { serviceIdentity } from './service-identity.js';
import type { ServiceSettings } from './service-settings.js';
import { functionNameOutputKey, OUTPUT_KEYS, pascalCase } from './stack-contract.js';

export interface WarehouseConnectionsStackProps extends StackProps {
  settings: ServiceSettings;
}

const LOG_RETENTION = RetentionDays.ONE_MONTH;

/** The whole service: data, identity, one function per route, the HTTP API, alarms and outputs. */
export class WarehouseConnectionsStack extends Stack {
  readonly table: ConnectionsTable;
  readonly auditTable: AuditTable;
  readonly key: CredentialsKey;
  readonly functions: ServiceFunction[];
  readonly api: ConnectionsApi;

  constructor(scope: Construct, id: string, props: WarehouseConnectionsStackProps) {
    super(scope, id, { description: 'Warehouse connections: stores data-warehouse credentials encrypted with KMS', ...props });
    const { settings } = props;

    this.table = new ConnectionsTable(this, 'Connections');
    this.auditTable = new AuditTable(this, 'Audit');
    this.key = new CredentialsKey(this, 'CredentialsKey');
    const identity = serviceIdentity(this, settings.identity);

    const shared = {
      tableName: this.table.tableName,
      keyArn: this.key.keyArn,
      orgClaim: identity.orgClaim,
      logLevel: settings.logLevel,
      allowedNetworks: settings.allowedNetworks,
      deploymentId: this.stackName,
      // Known once the functions' roles exist (below); customers' roles trust them.
      probeRoleArn: Lazy.string({ produce: () => this.functionNamed(ROUTE.test.functionName).executionRole.roleArn }),
      resolverRoleArn: Lazy.string({ produce: () => this.functionNamed(RESOLVER.functionName).executionRole.roleArn }),
      auditTableName: this.auditTable.tableName,
      auditRetentionDays: settings.auditRetentionDays,
    };
    const resources = { tableArn: this.table.tableArn, keyArn: this.key.keyArn, auditTableArn: this.auditTable.tableArn };
    this.functions = FUNCTIONS.map(
      (route) =>
        new ServiceFunction(this, pascalCase(route.functionName), {
          route,
          environment: functionEnvironment(route, shared),
          permissions: routePermissions(route, resources),
          logRetention: LOG_RETENTION,
        }),
    );

    this.key.restrictDecryptTo(this.functions.filter((fn) => fn.route.key === 'decrypt').map((fn) => fn.executionRole));
    const probingFunctions = this.functions.filter((fn) => fn.route.probes);
    const testFunction = this.functionNamed(ROUTE.test.functionName);
    const resolver = this.functionNamed(RESOLVER.functionName);
    // Only Lambda Invoke reaches the resolver, and only for the principals the deployer names.
    settings.consumerPrincipals.forEach((arn, index) =>
      resolver.addPermission(`Consumer${index + 1}`, { principal: new ArnPrincipal(arn), action: 'lambda:InvokeFunction' }),
    );
    if (settings.resolveDataEvents) new ResolveDataEvents(this, 'ResolveDataEvents', { resolver });

    this.api = new ConnectionsApi(this, 'Api', {
      functions: this.functions,
      authorizer: identity.authorizer,
      throttle: settings.throttle,
      routeThrottles: { [testFunction.route.functionName]: settings.testThrottle },
      logRetention: LOG_RETENTION,
    });
    const alarms = new ServiceAlarms(this, 'Alarms', {
      api: this.api.api,
      functions: this.functions,
      serverErrorRatePercent: 5,
      alarmEmail: settings.alarmEmail,
    });
    const dashboard = new ServiceDashboard(this, 'Dashboard', {
      api: this.api.api,
      functions: this.functions,
      probingFunctions: [testFunction],
    });

    this.output(OUTPUT_KEYS.apiUrl, this.api.url, 'Base URL of the API; routes live under /api/v2/warehouse/connections');
    this.output(OUTPUT_KEYS.tableName, this.table.tableName, 'DynamoDB table holding the connections (retained on delete)');
    this.output(OUTPUT_KEYS.keyArn, this.key.keyArn, 'KMS key wrapping the credentials data keys (retained on delete)');
    this.output(OUTPUT_KEYS.auditTableName, this.auditTable.tableName, 'DynamoDB table of audit records (retained on delete)');
    this.output(OUTPUT_KEYS.jwtIssuer, identity.issuer, 'Issuer whose tokens the API accepts');
    this.output(OUTPUT_KEYS.orgClaim, identity.orgClaim, 'Token claim naming the caller organization');
    this.output(OUTPUT_KEYS.dashboardUrl, dashboard.url, 'CloudWatch dashboard: requests, errors, latency, throttles, test verdicts');
    this.output(OUTPUT_KEYS.alarmTopicArn, alarms.topic.topicArn, 'SNS topic every alarm notifies (subscribe with -c alarmEmail=...)');
    if (identity.userPool) {
      this.output(OUTPUT_KEYS.userPoolId, identity.userPool.userPool.userPoolId, 'Cognito user pool (npm run create-user)');
      this.output(OUTPUT_KEYS.userPoolClientId, identity.userPool.client.userPoolClientId, 'App client whose ID tokens the API accepts');
    }
    for (const fn of this.functions) {
      const serves = isRoute(fn.route) ? `behind ${routeKey(fn.route)}` : 'for consumers (Lambda Invoke only)';
      this.output(functionNameOutputKey(fn.route), fn.functionName, `Lambda function ${serves}`);
    }

    acknowledgeNagFindings(
      identity,
      alarms.topic,
      probingFunctions.map((fn) => fn.executionRole),
    );
  }

  private functionNamed(functionName: string): ServiceFunction {
    const found = this.functions.find((fn) => fn.route.functionName === functionName);
    if (!found) throw new Error(`The stack has no function ${functionName}`);
    return found;
  }

  private output(key: string, value: string, description: string): void {
    new CfnOutput(this, key, { value, description });
  }
}
