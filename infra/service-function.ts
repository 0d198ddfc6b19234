import { fileURLToPath } from 'node:url';
import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import { Effect, Policy, PolicyDocument, PolicyStatement, Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import {
  ApplicationLogLevel,
  Architecture,
  Function as LambdaFunction,
  LoggingFormat,
  Runtime,
  SystemLogLevel,
} from 'aws-cdk-lib/aws-lambda';
import { LogGroup, type RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { Construct } from 'constructs';
import { isRoute, routeKey, type FunctionSpec } from '../lib/routes.js';
import { BUNDLE_FILE_NAME } from './bundling.js';
import { lambdaCode } from './lambda-bundling.js';

const PROJECT_ROOT = fileURLToPath(new URL('..', import.meta.url));

/** Settings that come with the bundle and runtime, the same for every function. */
const RUNTIME_ENVIRONMENT = {
  // The bundles ship with source maps (bundling.ts); stack traces in logs point at the TypeScript.
  NODE_OPTIONS: '--enable-source-maps',
  // The bundled SDK would otherwise warn on every cold start about Node versions it will drop.
  AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
};

export interface ServiceFunctionProps {
  route: FunctionSpec;
  /** The service's settings for this function (function-environment.ts); runtime settings are added here. */
  environment: Record<string, string>;
  /** The function's whole access to data (route-permissions.ts); log writing is added here. */
  permissions: PolicyStatement[];
  logRetention: RetentionDays;
}

/**
 * One endpoint's Lambda function, with the defaults every endpoint shares: Node.js 24 on arm64,
 * the shared esbuild bundle, its own log group with a retention, and a role holding exactly the
 * statements given plus writing to that log group.
 *
 * The data statements sit in a policy of their own, attached to the role, rather than inline: the
 * key policy names the roles that may decrypt, so the key depends on the roles, and the roles
 * must not depend on the key in turn (CloudFormation refuses the cycle).
 */
export class ServiceFunction extends LambdaFunction {
  readonly route: FunctionSpec;
  readonly executionRole: Role;

  constructor(scope: Construct, id: string, props: ServiceFunctionProps) {
    // Built beside the function: the function needs both at construction.
    const logGroup = new LogGroup(scope, `${id}Logs`, {
      retention: props.logRetention,
      // Operational logs with a bounded retention; the table and key are what outlives the stack.
      removalPolicy: RemovalPolicy.DESTROY,
    });
    const role = new Role(scope, `${id}Role`, {
      assumedBy: new ServicePrincipal('lambda.amazonaws.com'),
      description: `${props.route.functionName}: ${describe(props.route)}`,
      // Inline and explicit instead of AWSLambdaBasicExecutionRole, which may write to any log group.
      inlinePolicies: { logs: new PolicyDocument({ statements: [writeLogs(logGroup)] }) },
    });
    // A child of the role: the function depends on the role, and so on this policy too.
    if (props.permissions.length > 0) new Policy(role, 'DataAccess', { statements: props.permissions, roles: [role] });

    super(scope, id, {
      description: describe(props.route),
      code: lambdaCode(`${PROJECT_ROOT}${props.route.entry}`),
      handler: `${BUNDLE_FILE_NAME.replace(/\.mjs$/, '')}.handler`,
      runtime: Runtime.NODEJS_24_X,
      architecture: Architecture.ARM_64,
      memorySize: props.route.memoryMb,
      timeout: Duration.seconds(props.route.timeoutSeconds),
      environment: { ...RUNTIME_ENVIRONMENT, ...props.environment },
      role,
      logGroup,
      // JSON: Lambda's own records (start, report, timeouts, crashes) become JSON like the code's
      // lines, so every record in the log group can be queried by field (Logs Insights, metric filters).
      loggingFormat: LoggingFormat.JSON,
      // LOG_LEVEL in the code is the one filter: Lambda's filter would judge lines by a
      // `timestamp` key the code's lines do not have, so it is opened fully.
      applicationLogLevelV2: ApplicationLogLevel.TRACE,
      systemLogLevelV2: SystemLogLevel.INFO,
    });
    this.route = props.route;
    this.executionRole = role;
  }
}

/** What the function serves: its route, or who invokes it. */
function describe(spec: FunctionSpec): string {
  return isRoute(spec) ? routeKey(spec) : 'Lambda Invoke by the named consumer principals';
}

function writeLogs(logGroup: LogGroup): PolicyStatement {
  return new PolicyStatement({
    effect: Effect.ALLOW,
    actions: ['logs:CreateLogStream', 'logs:PutLogEvents'],
    // The log group ARN ends in ":*", which covers its streams.
    resources: [logGroup.logGroupArn],
  });
}
