import { randomBytes } from 'node:crypto';
import type { Template } from './cloud-assembly.js';
import { resolve, UnsupportedTemplateError, type PhysicalValues } from './intrinsics.js';

/**
 * The names and ARNs CloudFormation would give the stack's resources on deploy, in the shapes AWS
 * uses (`Stack-LogicalId-SUFFIX` names, 10-character API ids, `region_xxxx` user pool ids), so
 * every reference in the template resolves to something of the real form. Resources the
 * rehearsal runs itself (the KMS key) are bound to their local stand-in's values.
 */
export interface RehearsalEnvironment {
  account: string;
  region: string;
  stackName: string;
}

export interface Binding {
  ref: string;
  attributes?: Record<string, string>;
}

const ALPHANUMERIC = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
const LOWER_ALPHANUMERIC = 'abcdefghijklmnopqrstuvwxyz0123456789';

export class PhysicalNames implements PhysicalValues {
  private readonly refs = new Map<string, string>();
  private readonly conditions = new Map<string, boolean>();

  constructor(
    private readonly template: Template,
    readonly environment: RehearsalEnvironment,
    private readonly bindings: Record<string, Binding> = {},
  ) {}

  ref(logicalId: string): string {
    switch (logicalId) {
      case 'AWS::AccountId':
        return this.environment.account;
      case 'AWS::Region':
        return this.environment.region;
      case 'AWS::Partition':
        return 'aws';
      case 'AWS::URLSuffix':
        return 'amazonaws.com';
      case 'AWS::StackName':
        return this.environment.stackName;
      case 'AWS::StackId':
        return `arn:aws:cloudformation:${this.environment.region}:${this.environment.account}:stack/${this.environment.stackName}/00000000-0000-4000-8000-000000000000`;
    }
    const bound = this.bindings[logicalId];
    if (bound) return bound.ref;
    const known = this.refs.get(logicalId);
    if (known) return known;
    const parameter = this.template.Parameters?.[logicalId];
    if (parameter) {
      if (parameter.Default === undefined) throw new UnsupportedTemplateError(`Parameter ${logicalId} has no default`);
      return String(parameter.Default);
    }
    const value = this.newRef(logicalId);
    this.refs.set(logicalId, value);
    return value;
  }

  attribute(logicalId: string, attribute: string): string {
    const bound = this.bindings[logicalId]?.attributes?.[attribute];
    if (bound !== undefined) return bound;
    const { account, region } = this.environment;
    const type = this.typeOf(logicalId);
    const ref = this.ref(logicalId);
    const key = `${type}.${attribute}`;
    switch (key) {
      case 'AWS::DynamoDB::Table.Arn':
        return `arn:aws:dynamodb:${region}:${account}:table/${ref}`;
      case 'AWS::KMS::Key.Arn':
        return `arn:aws:kms:${region}:${account}:key/${ref}`;
      case 'AWS::KMS::Key.KeyId':
        return ref;
      case 'AWS::IAM::Role.Arn':
        return `arn:aws:iam::${account}:role/${ref}`;
      case 'AWS::Lambda::Function.Arn':
        return `arn:aws:lambda:${region}:${account}:function:${ref}`;
      case 'AWS::Logs::LogGroup.Arn':
        return `arn:aws:logs:${region}:${account}:log-group:${ref}:*`;
      case 'AWS::SNS::Topic.TopicArn':
        return ref;
      case 'AWS::SNS::Topic.TopicName':
        return ref.split(':').at(-1)!;
      case 'AWS::Cognito::UserPool.Arn':
        return `arn:aws:cognito-idp:${region}:${account}:userpool/${ref}`;
      case 'AWS::Cognito::UserPool.ProviderName':
        return `cognito-idp.${region}.amazonaws.com/${ref}`;
      case 'AWS::Cognito::UserPool.ProviderURL':
        return `https://cognito-idp.${region}.amazonaws.com/${ref}`;
      case 'AWS::ApiGatewayV2::Api.ApiEndpoint':
        return `https://${ref}.execute-api.${region}.amazonaws.com`;
      case 'AWS::ApiGatewayV2::Api.ApiId':
        return ref;
      case 'AWS::CloudWatch::Alarm.Arn':
        return `arn:aws:cloudwatch:${region}:${account}:alarm:${ref}`;
      default:
        throw new UnsupportedTemplateError(`Fn::GetAtt ${logicalId}.${attribute} (${type}) is not supported by the rehearsal`);
    }
  }

  condition(name: string): boolean {
    const known = this.conditions.get(name);
    if (known !== undefined) return known;
    const definition = this.template.Conditions?.[name];
    if (definition === undefined) throw new UnsupportedTemplateError(`Condition ${name} is not in the template`);
    const value = resolve(definition, this, `Conditions.${name}`);
    if (typeof value !== 'boolean') throw new UnsupportedTemplateError(`Condition ${name} is not true or false`);
    this.conditions.set(name, value);
    return value;
  }

  typeOf(logicalId: string): string {
    const resource = this.template.Resources[logicalId];
    if (!resource) throw new UnsupportedTemplateError(`Ref to ${logicalId}, which is not a resource of the template`);
    return resource.Type;
  }

  private newRef(logicalId: string): string {
    const { account, region, stackName } = this.environment;
    const generatedName = `${stackName}-${logicalId}-${random(ALPHANUMERIC, 12)}`.slice(0, 64);
    switch (this.typeOf(logicalId)) {
      case 'AWS::ApiGatewayV2::Api':
        return random(LOWER_ALPHANUMERIC, 10);
      case 'AWS::ApiGatewayV2::Authorizer':
      case 'AWS::ApiGatewayV2::Integration':
      case 'AWS::ApiGatewayV2::Route':
        return random(LOWER_ALPHANUMERIC, 7);
      case 'AWS::ApiGatewayV2::Stage':
        return '$default';
      case 'AWS::Cognito::UserPool':
        return `${region}_${random(ALPHANUMERIC, 9)}`;
      case 'AWS::Cognito::UserPoolClient':
        return random(LOWER_ALPHANUMERIC, 26);
      case 'AWS::SNS::Topic':
        return `arn:aws:sns:${region}:${account}:${generatedName}`;
      case 'AWS::KMS::Key':
        throw new UnsupportedTemplateError(`KMS key ${logicalId} has no local stand-in bound to it`);
      default:
        return generatedName;
    }
  }
}

function random(alphabet: string, length: number): string {
  return [...randomBytes(length)].map((byte) => alphabet[byte % alphabet.length]).join('');
}
