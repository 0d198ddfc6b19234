import { describe, expect, test } from '@jest/globals';
import { ROUTES } from '../../lib/routes.js';
import { logicalIdOf, serviceTemplate, type Resources } from './synthesize.js';

/**
 * Least privilege, read from the synthesized template: each function's role holds exactly the
 * statements its route needs, written out here by hand rather than derived from the code under test.
 */
const { stack, template } = serviceTemplate();
const resources = template.toJSON().Resources as Resources;

interface Statement {
  Effect: string;
  Action: string | string[];
  Resource: unknown;
  Condition?: Record<string, unknown>;
}

const table = { 'Fn::GetAtt': [stack.getLogicalId(stack.table.node.defaultChild as never), 'Arn'] };
const key = { 'Fn::GetAtt': [stack.getLogicalId(stack.key.node.defaultChild as never), 'Arn'] };

const CONTEXT_CONDITION = {
  'ForAllValues:StringEquals': { 'kms:EncryptionContextKeys': ['organization_id', 'connection_id'] },
  Null: {
    'kms:EncryptionContextKeys': 'false',
    'kms:EncryptionContext:organization_id': 'false',
    'kms:EncryptionContext:connection_id': 'false',
  },
};

const EXPECTED_DATA_ACCESS: Record<string, Statement[]> = {
  'create-connection': [
    { Effect: 'Allow', Action: 'dynamodb:PutItem', Resource: table },
    { Effect: 'Allow', Action: 'kms:GenerateDataKey', Resource: key, Condition: CONTEXT_CONDITION },
  ],
  'get-connection': [{ Effect: 'Allow', Action: 'dynamodb:GetItem', Resource: table }],
  'delete-connection': [{ Effect: 'Allow', Action: 'dynamodb:DeleteItem', Resource: table }],
  'test-connection': [
    { Effect: 'Allow', Action: 'dynamodb:GetItem', Resource: table },
    {
      Effect: 'Allow',
      Action: 'dynamodb:UpdateItem',
      Resource: table,
      Condition: { 'ForAllValues:StringEquals': { 'dynamodb:Attributes': ['pk', 'sk', 'id', 'status', 'last_tested_at', 'latency_ms'] } },
    },
    { Effect: 'Allow', Action: 'kms:Decrypt', Resource: key, Condition: CONTEXT_CONDITION },
  ],
};

function roleOf(functionName: string) {
  const fn = resources[logicalIdOf(stack, functionName)];
  const roleId = (fn?.Properties.Role as { 'Fn::GetAtt': [string, string] })['Fn::GetAtt'][0];
  const role = resources[roleId];
  if (!role) throw new Error(`No role for ${functionName}`);
  return { roleId, role: role.Properties };
}

function statementsOf(functionName: string): Statement[] {
  const { role } = roleOf(functionName);
  const policies = role.Policies as { PolicyDocument: { Statement: Statement[] } }[];
  return policies.flatMap((policy) => policy.PolicyDocument.Statement);
}

const allStatements = () => Object.values(resources).flatMap((resource) => {
  if (resource.Type === 'AWS::IAM::Role') return ((resource.Properties.Policies ?? []) as { PolicyDocument: { Statement: Statement[] } }[]).flatMap((p) => p.PolicyDocument.Statement);
  if (resource.Type === 'AWS::IAM::Policy') return (resource.Properties.PolicyDocument as { Statement: Statement[] }).Statement;
  return [];
});

const actionsOf = (statement: Statement) => [statement.Action].flat();

describe('each function holds exactly its statements', () => {
  test('the expectations cover every route', () => {
    expect(Object.keys(EXPECTED_DATA_ACCESS).sort()).toEqual(ROUTES.map((route) => route.functionName).sort());
  });

  test.each(ROUTES.map((route) => route.functionName))('%s', (functionName) => {
    const logGroupId = (resources[logicalIdOf(stack, functionName)]?.Properties.LoggingConfig as { LogGroup: { Ref: string } }).LogGroup.Ref;
    expect(statementsOf(functionName)).toEqual([
      { Effect: 'Allow', Action: ['logs:CreateLogStream', 'logs:PutLogEvents'], Resource: { 'Fn::GetAtt': [logGroupId, 'Arn'] } },
      ...(EXPECTED_DATA_ACCESS[functionName] ?? []),
    ]);
  });

  test.each(ROUTES.map((route) => route.functionName))('%s: no managed policies, no separate policies', (functionName) => {
    const { roleId, role } = roleOf(functionName);
    expect(role.ManagedPolicyArns).toBeUndefined();
    const attached = Object.values(resources).filter(
      (resource) => resource.Type === 'AWS::IAM::Policy' && JSON.stringify(resource.Properties.Roles).includes(roleId),
    );
    expect(attached).toEqual([]);
  });
});

describe('across the stack', () => {
  test('only the test function may kms:Decrypt', () => {
    const decrypting = ROUTES.map((route) => route.functionName).filter((name) =>
      statementsOf(name).some((statement) => actionsOf(statement).some((action) => /^kms:(Decrypt|\*)$/.test(action))),
    );
    expect(decrypting).toEqual(['test-connection']);
    const anyDecrypt = allStatements().filter((statement) => actionsOf(statement).some((action) => /^kms:(Decrypt|\*|Decrypt\*)$/.test(action)));
    expect(anyDecrypt).toHaveLength(1);
  });

  test('no dynamodb or kms wildcards, no "*" resources', () => {
    for (const statement of allStatements()) {
      for (const action of actionsOf(statement)) expect(action).not.toMatch(/^(dynamodb|kms):.*\*|^\*$/);
      expect(JSON.stringify(statement.Resource)).not.toBe('"*"');
    }
  });

  test('every kms statement requires the connection encryption context', () => {
    const kmsStatements = allStatements().filter((statement) => actionsOf(statement).some((action) => action.startsWith('kms:')));
    expect(kmsStatements.length).toBeGreaterThan(0);
    for (const statement of kmsStatements) expect(statement.Condition).toEqual(CONTEXT_CONDITION);
  });
});
