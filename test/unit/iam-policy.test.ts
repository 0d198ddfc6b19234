import { describe, expect, test } from '@jest/globals';
import { dynamoDbCall, kmsCall } from '../../local/rehearsal/aws-requests.js';
import {
  authorize,
  UnsupportedPolicyError,
  type AuthorizationRequest,
  type PolicyDocument,
  type PolicyStatement,
} from '../../local/rehearsal/iam-policy.js';

/** The rehearsal's IAM evaluation, case by case against AWS's documented rules. */
const ACCOUNT = '111122223333';
const ROLE = `arn:aws:iam::${ACCOUNT}:role/test-role`;
const KEY = `arn:aws:kms:eu-west-1:${ACCOUNT}:key/k`;

function request(overrides: Partial<AuthorizationRequest> = {}): AuthorizationRequest {
  return {
    principalArn: ROLE,
    sessionArn: `arn:aws:sts::${ACCOUNT}:assumed-role/test-role/fn`,
    account: ACCOUNT,
    action: 'kms:Decrypt',
    resource: KEY,
    context: {
      'kms:EncryptionContextKeys': ['organization_id', 'connection_id'],
      'kms:EncryptionContext:organization_id': 'o',
      'kms:EncryptionContext:connection_id': 'c',
    },
    ...overrides,
  };
}

const policy = (...statements: PolicyStatement[]): PolicyDocument => ({ Version: '2012-10-17', Statement: statements });
const allowDecrypt: PolicyStatement = { Effect: 'Allow', Action: 'kms:Decrypt', Resource: KEY };
const rootKeyPolicy: PolicyStatement = {
  Effect: 'Allow',
  Principal: { AWS: `arn:aws:iam::${ACCOUNT}:root` },
  Action: 'kms:*',
  Resource: '*',
};

describe('who decides', () => {
  test('without a resource policy, the identity policy allows or nothing does', () => {
    expect(authorize(request(), [policy(allowDecrypt)])).toEqual({ allowed: true, by: 'identity' });
    expect(authorize(request({ action: 'kms:Encrypt' }), [policy(allowDecrypt)])).toEqual({
      allowed: false,
      reason: 'no_allow',
      policy: 'identity',
    });
  });

  test('a key policy that trusts the account delegates to IAM: both must allow', () => {
    expect(authorize(request(), [policy(allowDecrypt)], policy(rootKeyPolicy))).toEqual({ allowed: true, by: 'identity' });
    expect(authorize(request(), [], policy(rootKeyPolicy))).toMatchObject({ allowed: false, policy: 'identity' });
    expect(
      authorize(request(), [policy(allowDecrypt)], policy({ ...rootKeyPolicy, Principal: { AWS: 'arn:aws:iam::999988887777:root' } })),
    ).toMatchObject({ allowed: false, policy: 'resource' });
  });

  test('a key policy that names the role allows without IAM', () => {
    expect(authorize(request(), [], policy({ Effect: 'Allow', Principal: { AWS: ROLE }, Action: 'kms:Decrypt', Resource: '*' }))).toEqual({
      allowed: true,
      by: 'resource',
    });
  });

  test('an explicit deny in either policy wins over every allow', () => {
    const deny: PolicyStatement = { Sid: 'NoDecrypt', Effect: 'Deny', Principal: { AWS: '*' }, Action: 'kms:Decrypt', Resource: '*' };
    expect(authorize(request(), [policy(allowDecrypt)], policy(rootKeyPolicy, deny))).toEqual({
      allowed: false,
      reason: 'explicit_deny',
      policy: 'resource',
      statement: 'NoDecrypt',
    });
    expect(
      authorize(request(), [policy(allowDecrypt, { Effect: 'Deny', Action: 'kms:*', Resource: '*' })], policy(rootKeyPolicy)),
    ).toMatchObject({ reason: 'explicit_deny', policy: 'identity' });
  });

  test('actions match case-insensitively with wildcards; resources exactly with wildcards', () => {
    expect(
      authorize(request({ action: 'kms:GenerateDataKey' }), [
        policy({ Effect: 'Allow', Action: 'KMS:generatedatakey*', Resource: 'arn:aws:kms:*:*:key/*' }),
      ]).allowed,
    ).toBe(true);
    expect(authorize(request(), [policy({ Effect: 'Allow', Action: 'kms:Decrypt', Resource: `${KEY}-other` })]).allowed).toBe(false);
  });
});

describe('conditions', () => {
  const allowWhen = (condition: PolicyStatement['Condition']) => [policy({ ...allowDecrypt, Condition: condition })];

  test('ForAllValues holds for an absent set; ForAnyValue does not', () => {
    const none = request({ context: {} });
    expect(authorize(none, allowWhen({ 'ForAllValues:StringEquals': { 'kms:EncryptionContextKeys': ['organization_id'] } })).allowed).toBe(
      true,
    );
    expect(authorize(none, allowWhen({ 'ForAnyValue:StringEquals': { 'kms:EncryptionContextKeys': ['organization_id'] } })).allowed).toBe(
      false,
    );
  });

  test('ForAllValues needs every request value listed; ForAnyValue:StringNotEquals finds one unlisted', () => {
    expect(
      authorize(request(), allowWhen({ 'ForAllValues:StringEquals': { 'kms:EncryptionContextKeys': ['organization_id'] } })).allowed,
    ).toBe(false);
    expect(
      authorize(request(), allowWhen({ 'ForAnyValue:StringNotEquals': { 'kms:EncryptionContextKeys': ['organization_id'] } })).allowed,
    ).toBe(true);
  });

  test('Null tests presence; an empty set counts as absent', () => {
    expect(
      authorize(request({ context: { 'kms:EncryptionContextKeys': [] } }), allowWhen({ Null: { 'kms:EncryptionContextKeys': 'true' } }))
        .allowed,
    ).toBe(true);
    expect(authorize(request(), allowWhen({ Null: { 'kms:EncryptionContext:organization_id': 'false' } })).allowed).toBe(true);
  });

  test('a missing key fails a positive operator, passes a negated one, and IfExists passes', () => {
    const none = request({ context: {} });
    expect(authorize(none, allowWhen({ StringEquals: { 'dynamodb:Select': 'SPECIFIC_ATTRIBUTES' } })).allowed).toBe(false);
    expect(authorize(none, allowWhen({ StringNotEquals: { 'dynamodb:Select': 'ALL_ATTRIBUTES' } })).allowed).toBe(true);
    expect(authorize(none, allowWhen({ StringEqualsIfExists: { 'dynamodb:Select': 'SPECIFIC_ATTRIBUTES' } })).allowed).toBe(true);
    expect(
      authorize(
        request({ context: { 'dynamodb:Select': 'ALL_ATTRIBUTES' } }),
        allowWhen({ StringEqualsIfExists: { 'dynamodb:Select': 'SPECIFIC_ATTRIBUTES' } }),
      ).allowed,
    ).toBe(false);
  });

  test('ArnNotEquals on aws:PrincipalArn spares the listed role only', () => {
    const deny = (arns: string[]): PolicyDocument =>
      policy(rootKeyPolicy, {
        Effect: 'Deny',
        Principal: { AWS: '*' },
        Action: 'kms:Decrypt',
        Resource: '*',
        Condition: { ArnNotEquals: { 'aws:PrincipalArn': arns } },
      });
    const withArn = request({ context: { ...request().context, 'aws:PrincipalArn': ROLE } });
    expect(authorize(withArn, [policy(allowDecrypt)], deny([ROLE])).allowed).toBe(true);
    expect(authorize(withArn, [policy(allowDecrypt)], deny([`${ROLE}-other`])).allowed).toBe(false);
  });

  test.each([
    ['an unknown operator', { NumericLessThan: { 'dynamodb:Select': '1' } }],
    ['an unknown key', { StringEquals: { 'aws:SourceVpc': 'vpc-1' } }],
    ['a single-valued operator on a set key', { StringEquals: { 'kms:EncryptionContextKeys': 'organization_id' } }],
    ['a set operator on a single-valued key', { 'ForAllValues:StringEquals': { 'dynamodb:Select': ['SPECIFIC_ATTRIBUTES'] } }],
  ])('%s fails the rehearsal instead of being guessed', (_, condition) => {
    expect(() => authorize(request(), allowWhen(condition as PolicyStatement['Condition']))).toThrow(UnsupportedPolicyError);
  });

  test('NotPrincipal fails the rehearsal', () => {
    expect(() => authorize(request(), [], policy({ ...rootKeyPolicy, Principal: undefined, NotPrincipal: { AWS: ROLE } }))).toThrow(
      UnsupportedPolicyError,
    );
  });
});

describe('what IAM sees of a request', () => {
  const arn = (table: string) => `arn:aws:dynamodb:eu-west-1:${ACCOUNT}:table/${table}`;

  test('an update names its key, placeholders, bare names and condition attributes; values and nested paths are not attributes', () => {
    const { calls } = dynamoDbCall(
      'DynamoDB_20120810.UpdateItem',
      {
        TableName: 't',
        Key: { pk: { S: 'a' }, sk: { S: 'b' } },
        UpdateExpression: 'SET #s = :s, latency_ms = :l, info.nested = :n REMOVE old',
        ConditionExpression: 'attribute_exists(pk) AND #id = :id',
        ExpressionAttributeNames: { '#s': 'status', '#id': 'id' },
      },
      arn,
    );
    expect(calls).toEqual([
      {
        action: 'dynamodb:UpdateItem',
        resource: arn('t'),
        context: { 'dynamodb:Attributes': ['pk', 'sk', 'status', 'latency_ms', 'info', 'old', 'id'] },
      },
    ]);
  });

  test('a read without a projection asks for all attributes; with one, for specific ones', () => {
    expect(
      dynamoDbCall('DynamoDB_20120810.GetItem', { TableName: 't', Key: { pk: { S: 'a' } } }, arn).calls[0]!.context['dynamodb:Select'],
    ).toBe('ALL_ATTRIBUTES');
    const projected = dynamoDbCall(
      'DynamoDB_20120810.GetItem',
      { TableName: 't', Key: { pk: { S: 'a' } }, ProjectionExpression: 'id, #p', ExpressionAttributeNames: { '#p': 'provider' } },
      arn,
    ).calls[0]!;
    expect(projected.context).toEqual({ 'dynamodb:Attributes': ['pk', 'id', 'provider'], 'dynamodb:Select': 'SPECIFIC_ATTRIBUTES' });
  });

  test('a transaction is authorized item by item under each item action', () => {
    const { calls } = dynamoDbCall(
      'DynamoDB_20120810.TransactWriteItems',
      {
        TransactItems: [
          { Put: { TableName: 't', Item: { pk: { S: 'a' }, v: { S: 'x' } } } },
          { Delete: { TableName: 'u', Key: { pk: { S: 'b' } } } },
        ],
      },
      arn,
    );
    expect(calls.map((call) => [call.action, call.resource, call.context['dynamodb:Attributes']])).toEqual([
      ['dynamodb:PutItem', arn('t'), ['pk', 'v']],
      ['dynamodb:DeleteItem', arn('u'), ['pk']],
    ]);
  });

  test('a KMS request carries its context keys and values', () => {
    const call = kmsCall(
      'TrentService.Decrypt',
      { KeyId: 'alias/x', EncryptionContext: { organization_id: 'o', connection_id: 'c' } },
      () => KEY,
      ACCOUNT,
    );
    expect(call).toEqual({
      action: 'kms:Decrypt',
      resource: KEY,
      context: {
        'kms:CallerAccount': ACCOUNT,
        'kms:EncryptionContextKeys': ['organization_id', 'connection_id'],
        'kms:EncryptionContext:organization_id': 'o',
        'kms:EncryptionContext:connection_id': 'c',
      },
    });
  });
});
