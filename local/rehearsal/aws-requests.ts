/**
 * What IAM sees of a DynamoDB or KMS request: the action(s), the resource ARN and the condition
 * keys, read from the JSON body the SDK sends, as the services document them.
 *
 * DynamoDB (`dynamodb:Attributes`): the top-level attribute names a request reads or writes: the
 * key attributes, a read's projection, an item's attributes, and every name an update or
 * condition expression touches. A read without a projection asks for all attributes, which IAM
 * sees as `dynamodb:Select = ALL_ATTRIBUTES`; with one, `SPECIFIC_ATTRIBUTES`. A transaction or
 * batch is authorized item by item, each under its own action.
 */
export interface AuthorizedCall {
  action: string;
  resource: string;
  context: Record<string, string | string[]>;
}

export interface DynamoDbCall {
  operation: string;
  calls: AuthorizedCall[];
}

type Input = Record<string, unknown>;
type Names = Record<string, string>;

/** Words of DynamoDB's expression grammar that are not attribute names. */
const EXPRESSION_WORDS = new Set([
  'set',
  'remove',
  'add',
  'delete',
  'and',
  'or',
  'not',
  'between',
  'in',
  'attribute_exists',
  'attribute_not_exists',
  'attribute_type',
  'begins_with',
  'contains',
  'size',
  'if_not_exists',
  'list_append',
]);

export function dynamoDbCall(target: string, input: Input, tableArn: (tableName: string) => string): DynamoDbCall {
  const operation = target.replace(/^DynamoDB_\d+\./, '');
  const single = (action: string, request: Input, tableName: unknown, extra: string[] = []) =>
    itemCall(`dynamodb:${action}`, tableArn(String(tableName)), request, extra);
  switch (operation) {
    case 'GetItem':
    case 'DeleteItem':
    case 'UpdateItem':
    case 'Query':
      return { operation, calls: [single(operation, input, input.TableName)] };
    case 'PutItem':
      return { operation, calls: [single(operation, input, input.TableName, Object.keys((input.Item as Input | undefined) ?? {}))] };
    case 'BatchGetItem':
      return {
        operation,
        calls: Object.entries((input.RequestItems as Record<string, Input & { Keys: Input[] }>) ?? {}).flatMap(([table, request]) =>
          request.Keys.map((key) => single('BatchGetItem', { ...request, Key: key }, table)),
        ),
      };
    case 'TransactWriteItems':
      return {
        operation,
        calls: ((input.TransactItems as Record<string, Input & { TableName: string }>[]) ?? []).map((entry) => {
          const [kind, request] = Object.entries(entry)[0]!;
          const action =
            kind === 'Put' ? 'PutItem' : kind === 'Update' ? 'UpdateItem' : kind === 'Delete' ? 'DeleteItem' : 'ConditionCheckItem';
          return single(action, request, request.TableName, kind === 'Put' ? Object.keys((request.Item as Input | undefined) ?? {}) : []);
        }),
      };
    case 'TransactGetItems':
      return {
        operation,
        calls: ((input.TransactItems as { Get: Input & { TableName: string } }[]) ?? []).map((entry) =>
          single('GetItem', entry.Get, entry.Get.TableName),
        ),
      };
    default:
      return { operation, calls: [{ action: `dynamodb:${operation}`, resource: tableArn(String(input.TableName ?? '*')), context: {} }] };
  }
}

function itemCall(action: string, resource: string, request: Input, itemAttributes: string[]): AuthorizedCall {
  const names = (request.ExpressionAttributeNames as Names | undefined) ?? {};
  const attributes = new Set([...Object.keys((request.Key as Input | undefined) ?? {}), ...itemAttributes]);
  for (const expression of [
    'UpdateExpression',
    'ConditionExpression',
    'ProjectionExpression',
    'KeyConditionExpression',
    'FilterExpression',
  ]) {
    for (const name of expressionNames(request[expression], names)) attributes.add(name);
  }
  for (const name of (request.AttributesToGet as string[] | undefined) ?? []) attributes.add(name);
  const context: Record<string, string | string[]> = { 'dynamodb:Attributes': [...attributes] };
  if (/GetItem$|:Query$|:Scan$/.test(action)) {
    context['dynamodb:Select'] =
      typeof request.Select === 'string'
        ? request.Select
        : request.ProjectionExpression !== undefined || request.AttributesToGet !== undefined
          ? 'SPECIFIC_ATTRIBUTES'
          : 'ALL_ATTRIBUTES';
  }
  if (typeof request.ReturnValues === 'string') context['dynamodb:ReturnValues'] = request.ReturnValues;
  return { action, resource, context };
}

/** Top-level attribute names in an expression: `#placeholders` resolved, bare names kept, values and functions skipped. */
function expressionNames(expression: unknown, names: Names): string[] {
  if (typeof expression !== 'string') return [];
  const found: string[] = [];
  // A path's first element is its top-level attribute; what follows a dot or an index is nested.
  for (const match of expression.matchAll(/(^|[^.\w#:\]])(#?[A-Za-z_][\w]*)/g)) {
    const token = match[2]!;
    if (token.startsWith('#')) {
      const name = names[token];
      if (name === undefined) throw new Error(`Expression names ${token} without ExpressionAttributeNames`);
      found.push(name);
    } else if (!EXPRESSION_WORDS.has(token.toLowerCase())) {
      found.push(token);
    }
  }
  return found;
}

/** KMS: the key the request is about (an alias or key id resolved to the key ARN) and its encryption context. */
export function kmsCall(
  target: string,
  input: Input,
  keyArnOf: (reference: string | undefined, ciphertext: string | undefined) => string,
  account: string,
): AuthorizedCall {
  const operation = target.replace(/^TrentService\./, '');
  const encryptionContext = (input.EncryptionContext as Record<string, string> | undefined) ?? {};
  const context: Record<string, string | string[]> = { 'kms:CallerAccount': account };
  const keys = Object.keys(encryptionContext);
  if (keys.length > 0) context['kms:EncryptionContextKeys'] = keys;
  for (const [key, value] of Object.entries(encryptionContext)) context[`kms:EncryptionContext:${key}`] = value;
  const reference = typeof input.KeyId === 'string' ? input.KeyId : undefined;
  const ciphertext = typeof input.CiphertextBlob === 'string' ? input.CiphertextBlob : undefined;
  return { action: `kms:${operation}`, resource: keyArnOf(reference, ciphertext), context };
}
