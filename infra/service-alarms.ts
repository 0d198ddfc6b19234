import { Duration } from 'aws-cdk-lib';
import type { HttpApi } from 'aws-cdk-lib/aws-apigatewayv2';
import { Alarm, ComparisonOperator, MathExpression, TreatMissingData, type IMetric } from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import { Topic } from 'aws-cdk-lib/aws-sns';
import { EmailSubscription } from 'aws-cdk-lib/aws-sns-subscriptions';
import { Construct } from 'constructs';
import type { ServiceFunction } from './service-function.js';

export interface ServiceAlarmsProps {
  api: HttpApi;
  functions: readonly ServiceFunction[];
  /** Alarm when more than this percentage of requests in five minutes end in a 5xx. */
  serverErrorRatePercent: number;
  /** Subscribed to the alarm topic by email, when given. */
  alarmEmail: string | undefined;
}

const PERIOD = Duration.minutes(5);

/**
 * The alarms a person should hear about: the API answering 5xx, and any function erroring or
 * being throttled. A failed warehouse test is a 400, not an error, so it does not alarm. Every
 * alarm notifies the alarm topic (in alarm and back to OK); `-c alarmEmail=` subscribes a person.
 */
export class ServiceAlarms extends Construct {
  readonly alarms: Alarm[] = [];
  readonly topic: Topic;

  constructor(scope: Construct, id: string, props: ServiceAlarmsProps) {
    super(scope, id);
    // Alarm notifications carry alarm names and states, no customer data.
    this.topic = new Topic(this, 'Topic', { displayName: 'warehouse-connections alarms', enforceSSL: true });
    if (props.alarmEmail) this.topic.addSubscription(new EmailSubscription(props.alarmEmail));

    const serverErrorRate = new MathExpression({
      // Without requests there is no rate; IF keeps the alarm from dividing by zero.
      expression: 'IF(requests > 0, 100 * errors / requests, 0)',
      usingMetrics: { errors: props.api.metricServerError({ period: PERIOD }), requests: props.api.metricCount({ period: PERIOD }) },
      period: PERIOD,
      label: 'API 5xx rate (%)',
    });
    this.add('Api5xxRate', {
      metric: serverErrorRate,
      threshold: props.serverErrorRatePercent,
      description: `More than ${props.serverErrorRatePercent}% of API requests answered 5xx over 5 minutes`,
    });

    for (const fn of props.functions) {
      const name = fn.route.functionName;
      this.add(`${fn.node.id}Errors`, {
        metric: fn.metricErrors({ period: PERIOD, statistic: 'Sum' }),
        threshold: 0,
        description: `${name}: invocations failed (unhandled error, crash or timeout)`,
      });
      this.add(`${fn.node.id}Throttles`, {
        metric: fn.metricThrottles({ period: PERIOD, statistic: 'Sum' }),
        threshold: 0,
        description: `${name}: invocations throttled (concurrency limit reached)`,
      });
    }
  }

  private add(id: string, props: { metric: IMetric; threshold: number; description: string }) {
    const alarm = new Alarm(this, id, {
      metric: props.metric,
      threshold: props.threshold,
      comparisonOperator: ComparisonOperator.GREATER_THAN_THRESHOLD,
      evaluationPeriods: 1,
      treatMissingData: TreatMissingData.NOT_BREACHING,
      alarmDescription: props.description,
    });
    const action = new SnsAction(this.topic);
    alarm.addAlarmAction(action);
    alarm.addOkAction(action);
    this.alarms.push(alarm);
  }
}
