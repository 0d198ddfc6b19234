import { fileURLToPath } from 'node:url';
import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import { Effect, PolicyDocument, PolicyStatement, Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { ApplicationLogLevel, Architecture, LoggingFormat, Runtime, SystemLogLevel } from 'aws-cdk-lib/aws-lambda';
import { NodejsFunction } from 'aws-cdk-lib/aws-lambda-nodejs';
import { LogGroup, type RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { Construct } from 'constructs';
import { routeKey, type Route } from '../lib/routes.js';
import { lambdaBundling } from './lambda-bundling.js';

const PROJECT_ROOT = fileURLToPath(new URL('..', import.meta.url));

export interface ServiceFunctionProps {
  route: Route;
  environment: Record<string, string>;
  /** The function's whole access to data (route-permissions.ts); log writing is added here. */
  permissions: PolicyStatement[];
  logRetention: RetentionDays;
}

/**
 * One endpoint's Lambda function, with the defaults every endpoint shares: Node.js 24 on arm64,
 * the shared esbuild bundle, its own log group with a retention, and a role holding exactly the
 * statements given plus writing to that log group.
 */
export class ServiceFunction extends NodejsFunction {
  readonly route: Route;

  constructor(scope: Construct, id: string, props: ServiceFunctionProps) {
    // Built beside the function: the function needs both at construction.
    const logGroup = new LogGroup(scope, `${id}Logs`, {
      retention: props.logRetention,
      // Operational logs with a bounded retention; the table and key are what outlives the stack.
      removalPolicy: RemovalPolicy.DESTROY,
    });
    const role = new Role(scope, `${id}Role`, {
      assumedBy: new ServicePrincipal('lambda.amazonaws.com'),
      description: `${props.route.functionName}: ${routeKey(props.route)}`,
      // Inline and explicit instead of AWSLambdaBasicExecutionRole, which may write to any log group.
      inlinePolicies: { access: new PolicyDocument({ statements: [writeLogs(logGroup), ...props.permissions] }) },
    });

    super(scope, id, {
      description: routeKey(props.route),
      entry: `${PROJECT_ROOT}${props.route.entry}`,
      handler: 'handler',
      projectRoot: PROJECT_ROOT,
      depsLockFilePath: `${PROJECT_ROOT}package-lock.json`,
      runtime: Runtime.NODEJS_24_X,
      architecture: Architecture.ARM_64,
      memorySize: props.route.memoryMb,
      timeout: Duration.seconds(props.route.timeoutSeconds),
      environment: props.environment,
      bundling: lambdaBundling(),
      role,
      logGroup,
      // JSON: Lambda's own records (start, report, timeouts, crashes) become JSON like the code's
      // lines, so one log group has one schema for Logs Insights and metric filters.
      loggingFormat: LoggingFormat.JSON,
      // LOG_LEVEL in the code is the one filter: Lambda's filter would judge lines by a
      // `timestamp` key the code's lines do not have, so it is opened fully.
      applicationLogLevelV2: ApplicationLogLevel.TRACE,
      systemLogLevelV2: SystemLogLevel.INFO,
    });
    this.route = props.route;
  }
}

function writeLogs(logGroup: LogGroup): PolicyStatement {
  return new PolicyStatement({
    effect: Effect.ALLOW,
    actions: ['logs:CreateLogStream', 'logs:PutLogEvents'],
    // The log group ARN ends in ":*", which covers its streams.
    resources: [logGroup.logGroupArn],
  });
}
