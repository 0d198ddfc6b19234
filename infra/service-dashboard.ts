import { Duration, Stack } from 'aws-cdk-lib';
import type { HttpApi } from 'aws-cdk-lib/aws-apigatewayv2';
import { Dashboard, GraphWidget, MathExpression, TextWidget, type IMetric } from 'aws-cdk-lib/aws-cloudwatch';
import { FilterPattern, MetricFilter } from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import type { ServiceFunction } from './service-function.js';

export interface ServiceDashboardProps {
  api: HttpApi;
  functions: readonly ServiceFunction[];
  /** The functions that test connections, whose `connection.tested` log lines carry each verdict's code. */
  probingFunctions: readonly ServiceFunction[];
}

/** Namespace of the service's own metrics (from its structured logs). */
export const METRIC_NAMESPACE = 'WarehouseConnections';
const PERIOD = Duration.minutes(5);

/**
 * The dashboard a person opens first: API traffic and errors, each function's invocations, errors,
 * throttles and p50/p99 duration, and the test verdicts by code over time, counted by a metric
 * filter on the test function's structured `connection.tested` log lines.
 */
export class ServiceDashboard extends Construct {
  readonly dashboard: Dashboard;

  constructor(scope: Construct, id: string, props: ServiceDashboardProps) {
    super(scope, id);
    for (const fn of props.probingFunctions) {
      new MetricFilter(this, `${fn.node.id}Verdicts`, {
        logGroup: fn.logGroup,
        filterPattern: FilterPattern.stringValue('$.event', '=', 'connection.tested'),
        metricNamespace: METRIC_NAMESPACE,
        metricName: 'TestVerdicts',
        metricValue: '1',
        dimensions: { code: '$.code' },
      });
    }

    const functions = props.functions;
    const perFunction = (title: string, metric: (fn: ServiceFunction) => IMetric) =>
      new GraphWidget({ title, width: 12, left: functions.map(metric) });
    const duration = (statistic: string) => (fn: ServiceFunction) =>
      fn.metricDuration({ period: PERIOD, statistic, label: `${fn.route.functionName} ${statistic}` });

    this.dashboard = new Dashboard(this, 'Dashboard', { dashboardName: `${Stack.of(this).stackName}-overview` });
    this.dashboard.addWidgets(
      new TextWidget({
        markdown: '# warehouse-connections\nRequests, errors and latency per function; test verdicts by code.',
        width: 24,
        height: 2,
      }),
    );
    this.dashboard.addWidgets(
      new GraphWidget({
        title: 'API requests and errors',
        width: 12,
        left: [
          props.api.metricCount({ period: PERIOD }),
          props.api.metricClientError({ period: PERIOD }),
          props.api.metricServerError({ period: PERIOD }),
        ],
      }),
      new GraphWidget({
        title: 'API latency (p50, p99)',
        width: 12,
        left: [
          props.api.metricLatency({ period: PERIOD, statistic: 'p50' }),
          props.api.metricLatency({ period: PERIOD, statistic: 'p99' }),
        ],
      }),
    );
    this.dashboard.addWidgets(
      perFunction('Invocations', (fn) => fn.metricInvocations({ period: PERIOD, label: fn.route.functionName })),
      perFunction('Errors', (fn) => fn.metricErrors({ period: PERIOD, label: fn.route.functionName })),
    );
    this.dashboard.addWidgets(perFunction('Duration p50 (ms)', duration('p50')), perFunction('Duration p99 (ms)', duration('p99')));
    this.dashboard.addWidgets(
      perFunction('Throttles', (fn) => fn.metricThrottles({ period: PERIOD, label: fn.route.functionName })),
      new GraphWidget({
        title: 'Test verdicts by code',
        width: 12,
        left: [
          new MathExpression({
            expression: `SEARCH('{${METRIC_NAMESPACE},code} MetricName="TestVerdicts"', 'Sum', ${PERIOD.toSeconds()})`,
            label: '',
            period: PERIOD,
          }),
        ],
      }),
    );
  }

  /** The dashboard in the CloudWatch console. */
  get url(): string {
    const region = Stack.of(this).region;
    return `https://${region}.console.aws.amazon.com/cloudwatch/home?region=${region}#dashboards:name=${this.dashboard.dashboardName}`;
  }
}
