import { RemovalPolicy, Stack } from 'aws-cdk-lib';
import { AccessLogFormat } from 'aws-cdk-lib/aws-apigateway';
import { CfnStage, HttpApi, HttpMethod, HttpStage, LogGroupLogDestination, type IHttpRouteAuthorizer } from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import { LogGroup, type RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { addressesOf, isRoute, routeKey } from '../lib/routes.js';
import type { ServiceFunction } from './service-function.js';
import type { Throttle } from './service-settings.js';

export interface ConnectionsApiProps {
  functions: readonly ServiceFunction[];
  authorizer: IHttpRouteAuthorizer;
  throttle: Throttle;
  /** Routes with a throttle of their own, below the stage's (by function name). */
  routeThrottles: Record<string, Throttle>;
  logRetention: RetentionDays;
}

/**
 * One access log line per request, as JSON. HTTP API variables (not REST API ones), and nothing
 * from the request body or headers beyond what identifies the call.
 */
const ACCESS_LOG_FIELDS = {
  requestId: '$context.requestId',
  requestTime: '$context.requestTime',
  sourceIp: '$context.identity.sourceIp',
  userAgent: '$context.identity.userAgent',
  httpMethod: '$context.httpMethod',
  routeKey: '$context.routeKey',
  path: '$context.path',
  protocol: '$context.protocol',
  status: '$context.status',
  responseLength: '$context.responseLength',
  responseLatency: '$context.responseLatency',
  integrationStatus: '$context.integrationStatus',
  integrationLatency: '$context.integrationLatency',
  integrationError: '$context.integrationErrorMessage',
  authorizerError: '$context.authorizer.error',
  subject: '$context.authorizer.claims.sub',
};

/**
 * The HTTP API: one route per address of each function (the test function has two), all of a
 * function's routes on its one integration, each behind the JWT authorizer, on a `$default` stage
 * with throttling and JSON access logs.
 */
export class ConnectionsApi extends Construct {
  readonly api: HttpApi;
  readonly stage: HttpStage;
  readonly accessLogs: LogGroup;

  constructor(scope: Construct, id: string, props: ConnectionsApiProps) {
    super(scope, id);
    // The default stage the L2 creates takes no throttling or access logs; this one is explicit.
    this.api = new HttpApi(this, 'HttpApi', {
      apiName: Stack.of(this).stackName,
      description: 'Warehouse connections API',
      createDefaultStage: false,
    });
    this.accessLogs = new LogGroup(this, 'AccessLogs', { retention: props.logRetention, removalPolicy: RemovalPolicy.DESTROY });
    this.stage = this.api.addStage('DefaultStage', {
      stageName: '$default',
      autoDeploy: true,
      throttle: props.throttle,
      accessLogSettings: {
        destination: new LogGroupLogDestination(this.accessLogs),
        format: AccessLogFormat.custom(JSON.stringify(ACCESS_LOG_FIELDS)),
      },
    });

    // CloudFormation takes RouteSettings as raw JSON keyed by route key, so the names are its own.
    const routeSettings: Record<string, { ThrottlingRateLimit: number; ThrottlingBurstLimit: number }> = {};
    for (const fn of props.functions) {
      const { route } = fn;
      // The resolve function has no route: only Lambda Invoke reaches it.
      if (!isRoute(route)) continue;
      const integration = new HttpLambdaIntegration(`${fn.node.id}Integration`, fn);
      const throttle = props.routeThrottles[route.functionName];
      for (const address of addressesOf(route)) {
        const routes = this.api.addRoutes({
          path: address.path,
          methods: [HttpMethod[address.method]],
          integration,
          authorizer: props.authorizer,
        });
        if (throttle) {
          // The function's throttle holds on each of its routes (each has a bucket of its own).
          routeSettings[routeKey(address)] = { ThrottlingRateLimit: throttle.rateLimit, ThrottlingBurstLimit: throttle.burstLimit };
          // API Gateway refuses settings for a route that does not exist yet.
          for (const created of routes) this.stage.node.addDependency(created);
        }
      }
    }
    // The L2 stage has no route settings; the L1 property carries them.
    (this.stage.node.defaultChild as CfnStage).routeSettings = routeSettings;
  }

  get url(): string {
    return this.stage.url;
  }
}
