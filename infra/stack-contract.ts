import type { FunctionSpec } from '../lib/routes.js';

/**
 * What the deployed stack promises to scripts and people: its default name, its output keys and
 * the user attribute that carries the organization. Free of aws-cdk-lib, so scripts import it cheaply.
 */
export const DEFAULT_STACK_NAME = 'WarehouseConnections';

/** Cognito custom attribute holding the organization; immutable once a user exists. */
export const ORG_ATTRIBUTE = 'org_id';
/** How that attribute appears as a claim in Cognito ID tokens. */
export const COGNITO_ORG_CLAIM = `custom:${ORG_ATTRIBUTE}`;

export const OUTPUT_KEYS = {
  apiUrl: 'ApiUrl',
  tableName: 'TableName',
  keyArn: 'KeyArn',
  auditTableName: 'AuditTableName',
  jwtIssuer: 'JwtIssuer',
  orgClaim: 'OrgClaim',
  userPoolId: 'UserPoolId',
  userPoolClientId: 'UserPoolClientId',
  dashboardUrl: 'DashboardUrl',
  alarmTopicArn: 'AlarmTopicArn',
} as const;

/** `create-connection` -> `FunctionNameCreateConnection`. */
export function functionNameOutputKey(route: Pick<FunctionSpec, 'functionName'>): string {
  return `FunctionName${pascalCase(route.functionName)}`;
}

/** `create-connection` -> `CreateConnection`. */
export function pascalCase(kebab: string): string {
  return kebab
    .split(/[^A-Za-z0-9]+/)
    .filter((word) => word !== '')
    .map((word) => word[0]!.toUpperCase() + word.slice(1))
    .join('');
}
