import { CfnOutput, Lazy, Stack, type StackProps } from 'aws-cdk-lib';
import type { IRole } from 'aws-cdk-lib/aws-iam';
import { RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { Construct } from 'constructs';
import { ROUTES } from '../lib/routes.js';
import { ConnectionsApi } from './connections-api.js';
import { ConnectionsTable } from './connections-table.js';
import { CredentialsKey } from './credentials-key.js';
import { functionEnvironment } from './function-environment.js';
import { acknowledgeNagFindings } from './nag-acknowledgements.js';
import { routePermissions } from './route-permissions.js';
import { ServiceAlarms } from './service-alarms.js';
import { ServiceDashboard } from './service-dashboard.js';
import { ServiceFunction } from './service-function.js';
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
  readonly key: CredentialsKey;
  readonly functions: ServiceFunction[];
  readonly api: ConnectionsApi;

  constructor(scope: Construct, id: string, props: WarehouseConnectionsStackProps) {
    super(scope, id, { description: 'Warehouse connections: stores data-warehouse credentials encrypted with KMS', ...props });
    const { settings } = props;

    this.table = new ConnectionsTable(this, 'Connections');
    this.key = new CredentialsKey(this, 'CredentialsKey');
    const identity = serviceIdentity(this, settings.identity);

    const shared = {
      tableName: this.table.tableName,
      keyArn: this.key.keyArn,
      orgClaim: identity.orgClaim,
      logLevel: settings.logLevel,
      allowedNetworks: settings.allowedNetworks,
      deploymentId: this.stackName,
      // Known once the probing function's role exists (below); customers' roles trust it.
      probeRoleArn: Lazy.string({ produce: () => this.probeRole().roleArn }),
    };
    const resources = { tableArn: this.table.tableArn, keyArn: this.key.keyArn };
    this.functions = ROUTES.map(
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
    this.probeRole();

    this.api = new ConnectionsApi(this, 'Api', {
      functions: this.functions,
      authorizer: identity.authorizer,
      throttle: settings.throttle,
      routeThrottles: Object.fromEntries(probingFunctions.map((fn) => [fn.route.functionName, settings.testThrottle])),
      logRetention: LOG_RETENTION,
    });
    const alarms = new ServiceAlarms(this, 'Alarms', {
      api: this.api.api,
      functions: this.functions,
      serverErrorRatePercent: 5,
      alarmEmail: settings.alarmEmail,
    });
    const dashboard = new ServiceDashboard(this, 'Dashboard', { api: this.api.api, functions: this.functions, probingFunctions });

    this.output(OUTPUT_KEYS.apiUrl, this.api.url, 'Base URL of the API; routes live under /api/v2/warehouse/connections');
    this.output(OUTPUT_KEYS.tableName, this.table.tableName, 'DynamoDB table holding the connections (retained on delete)');
    this.output(OUTPUT_KEYS.keyArn, this.key.keyArn, 'KMS key wrapping the credentials data keys (retained on delete)');
    this.output(OUTPUT_KEYS.jwtIssuer, identity.issuer, 'Issuer whose tokens the API accepts');
    this.output(OUTPUT_KEYS.orgClaim, identity.orgClaim, 'Token claim naming the caller organization');
    this.output(OUTPUT_KEYS.dashboardUrl, dashboard.url, 'CloudWatch dashboard: requests, errors, latency, throttles, test verdicts');
    this.output(OUTPUT_KEYS.alarmTopicArn, alarms.topic.topicArn, 'SNS topic every alarm notifies (subscribe with -c alarmEmail=...)');
    if (identity.userPool) {
      this.output(OUTPUT_KEYS.userPoolId, identity.userPool.userPool.userPoolId, 'Cognito user pool (npm run create-user)');
      this.output(OUTPUT_KEYS.userPoolClientId, identity.userPool.client.userPoolClientId, 'App client whose ID tokens the API accepts');
    }
    for (const fn of this.functions) {
      this.output(functionNameOutputKey(fn.route), fn.functionName, `Lambda function behind ${fn.route.method} ${fn.route.path}`);
    }

    acknowledgeNagFindings(
      identity,
      alarms.topic,
      probingFunctions.map((fn) => fn.executionRole),
    );
  }

  /** The one role connection tests run as: the principal customers' roles trust (Redshift with IAM, Athena). */
  private probeRole(): IRole {
    const probing = this.functions.filter((fn) => fn.route.probes);
    if (probing.length !== 1) throw new Error(`Expected exactly one function that tests connections, found ${probing.length}`);
    return probing[0]!.executionRole;
  }

  private output(key: string, value: string, description: string): void {
    new CfnOutput(this, key, { value, description });
  }
}
