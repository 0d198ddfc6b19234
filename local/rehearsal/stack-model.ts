import type { StackArtifact, TemplateResource } from './cloud-assembly.js';
import type { PolicyDocument } from './iam-policy.js';
import { resolve, resolveString, UnsupportedTemplateError } from './intrinsics.js';
import type { PhysicalNames } from './physical-names.js';

/**
 * What the rehearsal runs, read from the template with every reference resolved: the functions
 * with their code, handler, environment, limits and role; the roles' policies; the key and its
 * policy; the table; the HTTP API's routes, authorizer, integrations and throttles; the outputs.
 */
export interface FunctionModel {
  logicalId: string;
  functionName: string;
  arn: string;
  handler: string;
  runtime: string;
  architectures: string[];
  timeoutSeconds: number;
  memoryMb: number;
  environment: Record<string, string>;
  reservedConcurrency: number | undefined;
  role: RoleModel;
  /** The asset folder of the cloud assembly that `cdk deploy` zips and uploads. */
  codeFolder: string;
  logGroupName: string;
}

export interface RoleModel {
  logicalId: string;
  name: string;
  arn: string;
  policies: PolicyDocument[];
}

export interface KeyModel {
  logicalId: string;
  keyId: string;
  arn: string;
  policy: PolicyDocument;
}

export interface TableModel {
  logicalId: string;
  name: string;
  arn: string;
  attributeDefinitions: { AttributeName: string; AttributeType: string }[];
  keySchema: { AttributeName: string; KeyType: string }[];
}

export interface AuthorizerModel {
  issuer: string;
  audiences: string[];
  identitySource: string[];
}

export interface RouteModel {
  routeKey: string;
  method: string;
  path: string;
  authorizer: AuthorizerModel | undefined;
  authorizationScopes: string[];
  functionLogicalId: string;
  payloadFormatVersion: string;
  throttle: Throttle | undefined;
}

export interface Throttle {
  rateLimit: number;
  burstLimit: number;
}

export interface ApiModel {
  apiId: string;
  stageName: string;
  routes: RouteModel[];
  defaultThrottle: Throttle | undefined;
}

export interface InvokePermission {
  functionArn: string;
  principal: string;
  sourceArn: string | undefined;
}

export interface StackModel {
  functions: FunctionModel[];
  keys: KeyModel[];
  tables: TableModel[];
  api: ApiModel | undefined;
  invokePermissions: InvokePermission[];
  outputs: Record<string, string>;
}

export function readStackModel(stack: StackArtifact, names: PhysicalNames): StackModel {
  const resources = Object.entries(stack.template.Resources).filter(
    ([, resource]) => resource.Condition === undefined || names.condition(resource.Condition),
  );
  const ofType = (type: string) => resources.filter(([, resource]) => resource.Type === type);
  const props = (logicalId: string, resource: TemplateResource) =>
    resolve(resource.Properties ?? {}, names, `Resources.${logicalId}.Properties`) as Record<string, unknown>;

  const roles = new Map(
    ofType('AWS::IAM::Role').map(([logicalId, resource]) => {
      const properties = props(logicalId, resource);
      if (properties.ManagedPolicyArns !== undefined)
        throw new UnsupportedTemplateError(`${logicalId}: managed policies are not evaluated by the rehearsal`);
      const inline = ((properties.Policies as { PolicyDocument: PolicyDocument }[] | undefined) ?? []).map(
        (policy) => policy.PolicyDocument,
      );
      return [
        logicalId,
        { logicalId, name: names.ref(logicalId), arn: names.attribute(logicalId, 'Arn'), policies: inline } satisfies RoleModel,
      ];
    }),
  );
  for (const [logicalId, resource] of ofType('AWS::IAM::Policy')) {
    const properties = props(logicalId, resource);
    for (const roleName of (properties.Roles as string[] | undefined) ?? []) {
      const role = [...roles.values()].find((candidate) => candidate.name === roleName);
      if (!role) throw new UnsupportedTemplateError(`${logicalId}: attached to role ${roleName}, which is not in the template`);
      role.policies.push(properties.PolicyDocument as PolicyDocument);
    }
  }

  const functions = ofType('AWS::Lambda::Function').map(([logicalId, resource]): FunctionModel => {
    const properties = props(logicalId, resource);
    const code = properties.Code as { S3Key?: string; ZipFile?: string };
    if (code.S3Key === undefined) throw new UnsupportedTemplateError(`${logicalId}: only S3 asset code is supported`);
    const roleArn = String(properties.Role);
    const role = [...roles.values()].find((candidate) => candidate.arn === roleArn);
    if (!role) throw new UnsupportedTemplateError(`${logicalId}: role ${roleArn} is not in the template`);
    const logging = properties.LoggingConfig as { LogGroup?: string } | undefined;
    const functionName = names.ref(logicalId);
    return {
      logicalId,
      functionName,
      arn: names.attribute(logicalId, 'Arn'),
      handler: String(properties.Handler),
      runtime: String(properties.Runtime),
      architectures: (properties.Architectures as string[] | undefined) ?? ['x86_64'],
      timeoutSeconds: Number(properties.Timeout ?? 3),
      memoryMb: Number(properties.MemorySize ?? 128),
      environment: Object.fromEntries(
        Object.entries((properties.Environment as { Variables?: Record<string, unknown> } | undefined)?.Variables ?? {}).map(
          ([key, value]) => [key, String(value)],
        ),
      ),
      reservedConcurrency:
        properties.ReservedConcurrentExecutions === undefined ? undefined : Number(properties.ReservedConcurrentExecutions),
      role,
      codeFolder: stack.assetFolder(code.S3Key),
      logGroupName: logging?.LogGroup ?? `/aws/lambda/${functionName}`,
    };
  });

  const keys = ofType('AWS::KMS::Key').map(([logicalId, resource]): KeyModel => {
    const properties = props(logicalId, resource);
    return {
      logicalId,
      keyId: names.ref(logicalId),
      arn: names.attribute(logicalId, 'Arn'),
      policy: properties.KeyPolicy as PolicyDocument,
    };
  });

  const tables = ofType('AWS::DynamoDB::Table').map(([logicalId, resource]): TableModel => {
    const properties = props(logicalId, resource);
    return {
      logicalId,
      name: names.ref(logicalId),
      arn: names.attribute(logicalId, 'Arn'),
      attributeDefinitions: properties.AttributeDefinitions as TableModel['attributeDefinitions'],
      keySchema: properties.KeySchema as TableModel['keySchema'],
    };
  });

  const outputs = Object.fromEntries(
    Object.entries(stack.template.Outputs ?? {}).map(([key, output]) => [key, resolveString(output.Value, names, `Outputs.${key}`)]),
  );
  const invokePermissions = ofType('AWS::Lambda::Permission').map(([logicalId, resource]): InvokePermission => {
    const properties = props(logicalId, resource);
    if (properties.Action !== 'lambda:InvokeFunction')
      throw new UnsupportedTemplateError(`${logicalId}: only lambda:InvokeFunction permissions are supported`);
    const target = String(properties.FunctionName);
    const fn = functions.find((candidate) => candidate.arn === target || candidate.functionName === target);
    if (!fn) throw new UnsupportedTemplateError(`${logicalId}: function ${target} is not in the template`);
    return {
      functionArn: fn.arn,
      principal: String(properties.Principal),
      sourceArn: properties.SourceArn === undefined ? undefined : String(properties.SourceArn),
    };
  });

  return { functions, keys, tables, api: readApi(ofType, props, names, functions), invokePermissions, outputs };
}

type ResourceList = [string, TemplateResource][];

function readApi(
  ofType: (type: string) => ResourceList,
  props: (logicalId: string, resource: TemplateResource) => Record<string, unknown>,
  names: PhysicalNames,
  functions: FunctionModel[],
): ApiModel | undefined {
  const apis = ofType('AWS::ApiGatewayV2::Api');
  if (apis.length === 0) return undefined;
  if (apis.length > 1) throw new UnsupportedTemplateError('The rehearsal runs one HTTP API per stack');
  const [apiLogicalId, apiResource] = apis[0]!;
  const apiProperties = props(apiLogicalId, apiResource);
  if (apiProperties.ProtocolType !== 'HTTP') throw new UnsupportedTemplateError(`${apiLogicalId}: only HTTP APIs are supported`);

  const byId = (type: string) => new Map(ofType(type).map(([logicalId, resource]) => [names.ref(logicalId), props(logicalId, resource)]));
  const authorizers = byId('AWS::ApiGatewayV2::Authorizer');
  const integrations = byId('AWS::ApiGatewayV2::Integration');

  const stages = ofType('AWS::ApiGatewayV2::Stage').map(([logicalId, resource]) => props(logicalId, resource));
  if (stages.length !== 1) throw new UnsupportedTemplateError('The rehearsal runs an HTTP API with exactly one stage');
  const stage = stages[0]!;
  const routeSettings = (stage.RouteSettings as Record<string, RawThrottle> | undefined) ?? {};

  const routes = ofType('AWS::ApiGatewayV2::Route').map(([logicalId, resource]): RouteModel => {
    const properties = props(logicalId, resource);
    const routeKey = String(properties.RouteKey);
    const [method = '', path = ''] = routeKey === '$default' ? ['ANY', '$default'] : routeKey.split(' ');
    const integrationId = String(properties.Target ?? '').replace(/^integrations\//, '');
    const integration = integrations.get(integrationId);
    if (!integration || integration.IntegrationType !== 'AWS_PROXY')
      throw new UnsupportedTemplateError(`${logicalId}: needs an AWS_PROXY integration`);
    const fn = functions.find((candidate) => candidate.arn === integration.IntegrationUri);
    if (!fn) throw new UnsupportedTemplateError(`${logicalId}: its integration does not target a function of the template`);
    let authorizer: AuthorizerModel | undefined;
    if (properties.AuthorizationType === 'JWT') {
      const raw = authorizers.get(String(properties.AuthorizerId));
      const jwt = raw?.JwtConfiguration as { Issuer?: string; Audience?: string[] } | undefined;
      if (!raw || raw.AuthorizerType !== 'JWT' || !jwt?.Issuer)
        throw new UnsupportedTemplateError(`${logicalId}: JWT authorizer not found`);
      authorizer = {
        issuer: jwt.Issuer,
        audiences: jwt.Audience ?? [],
        identitySource: (raw.IdentitySource as string[] | undefined) ?? [],
      };
    } else if (properties.AuthorizationType !== undefined && properties.AuthorizationType !== 'NONE') {
      throw new UnsupportedTemplateError(`${logicalId}: authorization ${String(properties.AuthorizationType)} is not supported`);
    }
    return {
      routeKey,
      method,
      path,
      authorizer,
      authorizationScopes: (properties.AuthorizationScopes as string[] | undefined) ?? [],
      functionLogicalId: fn.logicalId,
      payloadFormatVersion: String(integration.PayloadFormatVersion ?? '1.0'),
      throttle: throttleOf(routeSettings[routeKey]),
    };
  });

  return {
    apiId: names.ref(apiLogicalId),
    stageName: String(stage.StageName),
    routes,
    defaultThrottle: throttleOf(stage.DefaultRouteSettings as RawThrottle | undefined),
  };
}

interface RawThrottle {
  ThrottlingRateLimit?: number;
  ThrottlingBurstLimit?: number;
}

function throttleOf(settings: RawThrottle | undefined): Throttle | undefined {
  if (settings?.ThrottlingRateLimit === undefined || settings.ThrottlingBurstLimit === undefined) return undefined;
  return { rateLimit: Number(settings.ThrottlingRateLimit), burstLimit: Number(settings.ThrottlingBurstLimit) };
}
