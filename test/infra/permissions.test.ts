import { describe, expect, test } from '@jest/globals';
import { FUNCTIONS } from '../../lib/routes.js';
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

const attributesOnly = (attributes: string[]) => ({ 'ForAllValues:StringEquals': { 'dynamodb:Attributes': attributes } });
const projectedTo = (attributes: string[]) => ({
  ...attributesOnly(attributes),
  StringEqualsIfExists: { 'dynamodb:Select': 'SPECIFIC_ATTRIBUTES' },
});

const KEYS = ['pk', 'sk'];
const STATE = ['active_connection_id', 'write_stamp', 'live', 'names', 'legacy_id', 'cursor_key'];
const STATUS = ['status', 'last_tested_at', 'latency_ms', 'last_stages'];
/** What a list shows: no credentials of any kind, no sealed secret. */
const LISTED = ['id', 'name', 'provider', 'project_id', 'dataset_id', 'settings', 'created_at', 'updated_at', 'version'];
const STAMPS = ['write_stamp', 'sealed_stamp', 'format_version'];
const SEALED = ['key_id', 'encrypted_data_key', 'iv', 'auth_tag', 'ciphertext'];
/** A reader's view: the state without the cursor key, a connection without its sealed secret. */
const RECORD_READ = [
  ...KEYS,
  ...LISTED,
  ...STAMPS,
  ...STATUS,
  'credentials',
  'stored_secrets',
  'active_connection_id',
  'live',
  'names',
  'legacy_id',
];
const LIST_READ = [...KEYS, ...LISTED, ...STAMPS, ...STATUS, 'active_connection_id', 'live', 'names', 'legacy_id', 'cursor_key'];
const STATE_UPDATE = attributesOnly([...KEYS, ...STATE]);
/** An edit: the connection's plain attributes, stamps and seal (conditioned on id and version), and the state. */
const EDIT_UPDATE = [
  ...KEYS,
  'id',
  'name',
  'project_id',
  'dataset_id',
  'settings',
  'credentials',
  'stored_secrets',
  'updated_at',
  'version',
  'write_stamp',
  'sealed_stamp',
  'format_version',
  ...SEALED,
  ...STATUS,
  'active_connection_id',
  'live',
  'names',
  'legacy_id',
  'cursor_key',
];

const readRecords: Statement = { Effect: 'Allow', Action: 'dynamodb:GetItem', Resource: table, Condition: projectedTo(RECORD_READ) };
const updateState: Statement = { Effect: 'Allow', Action: 'dynamodb:UpdateItem', Resource: table, Condition: STATE_UPDATE };
const putAndDelete: Statement = { Effect: 'Allow', Action: ['dynamodb:DeleteItem', 'dynamodb:PutItem'], Resource: table };
const generateDataKey: Statement = { Effect: 'Allow', Action: 'kms:GenerateDataKey', Resource: key, Condition: CONTEXT_CONDITION };
const audit = { 'Fn::GetAtt': [stack.getLogicalId(stack.auditTable.node.defaultChild as never), 'Arn'] };
/** Appends of audit records, and nothing else of that table: a record's attributes only. */
const appendAudit: Statement = {
  Effect: 'Allow',
  Action: 'dynamodb:PutItem',
  Resource: audit,
  Condition: attributesOnly([...KEYS, 'event', 'connection_id', 'actor', 'purpose', 'outcome', 'changed_fields', 'at', 'expires_at']),
};
const assumeCustomerRoles: Statement = {
  Effect: 'Allow',
  Action: 'sts:AssumeRole',
  Resource: 'arn:aws:iam::*:role/*',
  Condition: { StringLike: { 'sts:ExternalId': 'wc-*' } },
};
const decrypt: Statement = { Effect: 'Allow', Action: 'kms:Decrypt', Resource: key, Condition: CONTEXT_CONDITION };
const editItems: Statement = { Effect: 'Allow', Action: 'dynamodb:UpdateItem', Resource: table, Condition: attributesOnly(EDIT_UPDATE) };

const EXPECTED_DATA_ACCESS: Record<string, Statement[]> = {
  'create-connection': [readRecords, updateState, putAndDelete, generateDataKey, appendAudit],
  'create-named-connection': [readRecords, updateState, putAndDelete, generateDataKey, appendAudit],
  'get-connection': [readRecords],
  'get-named-connection': [readRecords],
  'list-connections': [
    { Effect: 'Allow', Action: ['dynamodb:GetItem', 'dynamodb:Query'], Resource: table, Condition: projectedTo(LIST_READ) },
  ],
  'patch-connection': [readRecords, editItems, generateDataKey, appendAudit],
  'patch-named-connection': [readRecords, editItems, generateDataKey, appendAudit],
  'delete-connection': [readRecords, updateState, { Effect: 'Allow', Action: 'dynamodb:DeleteItem', Resource: table }, appendAudit],
  'delete-named-connection': [readRecords, updateState, { Effect: 'Allow', Action: 'dynamodb:DeleteItem', Resource: table }, appendAudit],
  'activate-connection': [readRecords, updateState, appendAudit],
  // Reads the audit table, and the organization's cursor key (made on first use) in the connections table.
  'list-audit': [
    { Effect: 'Allow', Action: 'dynamodb:GetItem', Resource: table, Condition: projectedTo([...KEYS, 'cursor_key']) },
    { Effect: 'Allow', Action: 'dynamodb:UpdateItem', Resource: table, Condition: attributesOnly([...KEYS, 'cursor_key']) },
    { Effect: 'Allow', Action: 'dynamodb:Query', Resource: audit },
  ],
  // The whole item (it decrypts), nothing written to the connections table; every resolve audited.
  'resolve-connection': [{ Effect: 'Allow', Action: 'dynamodb:GetItem', Resource: table }, decrypt, appendAudit, assumeCustomerRoles],
  'test-connection': [
    { Effect: 'Allow', Action: 'dynamodb:GetItem', Resource: table },
    { Effect: 'Allow', Action: 'dynamodb:UpdateItem', Resource: table, Condition: attributesOnly([...KEYS, 'id', 'version', ...STATUS]) },
    { Effect: 'Allow', Action: 'dynamodb:UpdateItem', Resource: table, Condition: attributesOnly([...KEYS, 'tests', 'expires_at']) },
    decrypt,
    appendAudit,
    assumeCustomerRoles,
  ],
  'get-aws-identity': [],
};

function roleOf(functionName: string) {
  const fn = resources[logicalIdOf(stack, functionName)];
  const roleId = (fn?.Properties.Role as { 'Fn::GetAtt': [string, string] })['Fn::GetAtt'][0];
  const role = resources[roleId];
  if (!role) throw new Error(`No role for ${functionName}`);
  return { roleId, role: role.Properties };
}

/** The policies attached to a role as separate resources. */
function attachedPolicies(roleId: string) {
  return Object.values(resources).filter(
    (resource) => resource.Type === 'AWS::IAM::Policy' && JSON.stringify(resource.Properties.Roles).includes(`"${roleId}"`),
  );
}

/** The role's inline statements, then those of the policies attached to it. */
function statementsOf(functionName: string): Statement[] {
  const { roleId, role } = roleOf(functionName);
  const inline = (role.Policies as { PolicyDocument: { Statement: Statement[] } }[]).flatMap((policy) => policy.PolicyDocument.Statement);
  const attached = attachedPolicies(roleId).flatMap((policy) => (policy.Properties.PolicyDocument as { Statement: Statement[] }).Statement);
  return [...inline, ...attached];
}

const allStatements = () =>
  Object.values(resources).flatMap((resource) => {
    if (resource.Type === 'AWS::IAM::Role')
      return ((resource.Properties.Policies ?? []) as { PolicyDocument: { Statement: Statement[] } }[]).flatMap(
        (p) => p.PolicyDocument.Statement,
      );
    if (resource.Type === 'AWS::IAM::Policy') return (resource.Properties.PolicyDocument as { Statement: Statement[] }).Statement;
    return [];
  });

const actionsOf = (statement: Statement) => [statement.Action].flat();

describe('each function holds exactly its statements', () => {
  test('the expectations cover every route', () => {
    expect(Object.keys(EXPECTED_DATA_ACCESS).sort()).toEqual(FUNCTIONS.map((route) => route.functionName).sort());
  });

  test.each(FUNCTIONS.map((route) => route.functionName))('%s', (functionName) => {
    const logGroupId = (resources[logicalIdOf(stack, functionName)]?.Properties.LoggingConfig as { LogGroup: { Ref: string } }).LogGroup
      .Ref;
    expect(statementsOf(functionName)).toEqual([
      { Effect: 'Allow', Action: ['logs:CreateLogStream', 'logs:PutLogEvents'], Resource: { 'Fn::GetAtt': [logGroupId, 'Arn'] } },
      ...(EXPECTED_DATA_ACCESS[functionName] ?? []),
    ]);
  });

  test.each(FUNCTIONS.map((route) => route.functionName))(
    '%s: no managed policies; its data policy, if it has one, is attached to its role alone',
    (functionName) => {
      const { roleId, role } = roleOf(functionName);
      expect(role.ManagedPolicyArns).toBeUndefined();
      const attached = attachedPolicies(roleId);
      expect(attached).toHaveLength((EXPECTED_DATA_ACCESS[functionName] ?? []).length > 0 ? 1 : 0);
      for (const policy of attached) expect(policy.Properties.Roles).toEqual([{ Ref: roleId }]);
    },
  );
});

type KeyStatement = Statement & { Sid?: string; Principal: unknown };
const keyPolicy = () =>
  (resources[stack.getLogicalId(stack.key.node.defaultChild as never)]!.Properties.KeyPolicy as { Statement: KeyStatement[] }).Statement;

describe('the key policy', () => {
  test('only the roles that must decrypt can decrypt (the test and resolve functions): a deny for every other principal of the account', () => {
    const roleIds = ['test-connection', 'resolve-connection'].map((name) => roleOf(name).roleId);
    const denies = keyPolicy().filter(
      (statement) => statement.Effect === 'Deny' && actionsOf(statement).includes('kms:Decrypt') && statement.Condition?.ArnNotEquals,
    );
    expect(denies).toEqual([
      expect.objectContaining({
        Principal: { AWS: '*' },
        Condition: { ArnNotEquals: { 'aws:PrincipalArn': roleIds.map((roleId) => ({ 'Fn::GetAtt': [roleId, 'Arn'] })) } },
      }),
    ]);
  });

  test('administrators keep managing the key: the account root keeps kms:*, and only cryptographic actions are denied', () => {
    expect(keyPolicy()).toContainEqual(expect.objectContaining({ Effect: 'Allow', Action: 'kms:*' }));
    for (const statement of keyPolicy().filter((candidate) => candidate.Effect === 'Deny')) {
      for (const action of actionsOf(statement)) expect(action).toMatch(/^kms:(Encrypt|Decrypt|ReEncrypt\*|GenerateDataKey\*)$/);
    }
  });

  test.each(['organization_id', 'connection_id'])('a request without %s in its encryption context is denied to everyone', (contextKey) => {
    expect(keyPolicy()).toContainEqual(
      expect.objectContaining({
        Effect: 'Deny',
        Principal: { AWS: '*' },
        Condition: { Null: { [`kms:EncryptionContext:${contextKey}`]: 'true' } },
      }),
    );
  });

  test('nobody may re-encrypt (it would move a secret under another key)', () => {
    expect(keyPolicy()).toContainEqual(expect.objectContaining({ Effect: 'Deny', Principal: { AWS: '*' }, Action: 'kms:ReEncrypt*' }));
    expect(keyPolicy().find((statement) => statement.Action === 'kms:ReEncrypt*')?.Condition).toBeUndefined();
  });
});

describe('across the stack', () => {
  test('only the test function (both test routes) and the resolve function may kms:Decrypt', () => {
    const decrypting = FUNCTIONS.map((route) => route.functionName).filter((name) =>
      statementsOf(name).some((statement) => actionsOf(statement).some((action) => /^kms:(Decrypt|\*)$/.test(action))),
    );
    expect(decrypting).toEqual(['test-connection', 'resolve-connection']);
    const anyDecrypt = allStatements().filter((statement) =>
      actionsOf(statement).some((action) => /^kms:(Decrypt|\*|Decrypt\*)$/.test(action)),
    );
    expect(anyDecrypt).toHaveLength(2);
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
