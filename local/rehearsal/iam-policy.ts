/**
 * IAM policy evaluation for the rehearsal: the identity policies of a function's role and, for
 * KMS, the key policy, applied to one request with its real action, resource and context keys.
 *
 * Written for this service rather than taken from a package: the maintained simulators either
 * carry a licence the project cannot ship (AGPL) or report `kms:EncryptionContext:<key>` conditions
 * as missing. It covers the condition operators and keys the template uses and refuses, by
 * throwing, any operator, key or policy element it does not know, so an unsupported policy fails
 * the rehearsal instead of being evaluated on a guess.
 *
 * The logic follows AWS's documented evaluation for one account: an explicit Deny in any policy
 * wins; a resource policy (the key policy) that allows the caller's role allows; a resource
 * policy that allows the account delegates to the identity policies; without a resource policy
 * (DynamoDB here) the identity policies decide.
 */
export interface PolicyStatement {
  Sid?: string;
  Effect: 'Allow' | 'Deny';
  Action?: string | string[];
  NotAction?: string | string[];
  Resource?: string | string[];
  NotResource?: string | string[];
  Principal?: '*' | Record<string, string | string[]>;
  NotPrincipal?: unknown;
  Condition?: Record<string, Record<string, string | string[] | boolean>>;
}

export interface PolicyDocument {
  Version?: string;
  Statement: PolicyStatement | PolicyStatement[];
}

export interface AuthorizationRequest {
  /** The role the caller's session belongs to (what `aws:PrincipalArn` is for a role session). */
  principalArn: string;
  /** The session: `arn:aws:sts::<account>:assumed-role/<role>/<session>`. */
  sessionArn: string;
  account: string;
  action: string;
  resource: string;
  /** Condition keys of the request; multivalued keys are arrays, absent keys are left out. */
  context: Record<string, string | string[]>;
}

export type Decision =
  | { allowed: true; by: 'identity' | 'resource' }
  | { allowed: false; reason: 'explicit_deny'; policy: 'identity' | 'resource'; statement: string | undefined }
  | { allowed: false; reason: 'no_allow'; policy: 'identity' | 'resource' };

export class UnsupportedPolicyError extends Error {
  override name = 'UnsupportedPolicyError';
}

/** Keys the rehearsal knows, and whether each holds one value or a set. */
const CONDITION_KEYS: Record<string, 'single' | 'set'> = {
  'aws:principalarn': 'single',
  'aws:principalaccount': 'single',
  'aws:securetransport': 'single',
  'kms:calleraccount': 'single',
  'kms:viaservice': 'single',
  'kms:encryptioncontextkeys': 'set',
  'dynamodb:attributes': 'set',
  'dynamodb:leadingkeys': 'set',
  'dynamodb:select': 'single',
  'dynamodb:returnvalues': 'single',
  'dynamodb:returnconsumedcapacity': 'single',
};

export function authorize(request: AuthorizationRequest, identityPolicies: PolicyDocument[], resourcePolicy?: PolicyDocument): Decision {
  const identity = identityPolicies.flatMap(statementsOf);
  const resource = resourcePolicy ? statementsOf(resourcePolicy) : [];
  const applies = (statement: PolicyStatement, withPrincipal: boolean) =>
    actionMatches(statement, request.action) &&
    resourceMatches(statement, request.resource) &&
    (!withPrincipal || principalOf(statement, request) !== 'none') &&
    conditionsHold(statement, request.context);

  for (const [policy, statements, withPrincipal] of [
    ['resource', resource, true],
    ['identity', identity, false],
  ] as const) {
    const deny = statements.find((statement) => statement.Effect === 'Deny' && applies(statement, withPrincipal));
    if (deny) return { allowed: false, reason: 'explicit_deny', policy, statement: deny.Sid };
  }
  const identityAllows = identity.some((statement) => statement.Effect === 'Allow' && applies(statement, false));
  if (!resourcePolicy)
    return identityAllows ? { allowed: true, by: 'identity' } : { allowed: false, reason: 'no_allow', policy: 'identity' };

  const resourceAllows = resource.filter((statement) => statement.Effect === 'Allow' && applies(statement, true));
  if (resourceAllows.some((statement) => principalOf(statement, request) === 'caller')) return { allowed: true, by: 'resource' };
  if (!resourceAllows.some((statement) => principalOf(statement, request) === 'account'))
    return { allowed: false, reason: 'no_allow', policy: 'resource' };
  return identityAllows ? { allowed: true, by: 'identity' } : { allowed: false, reason: 'no_allow', policy: 'identity' };
}

function statementsOf(document: PolicyDocument): PolicyStatement[] {
  const statements = Array.isArray(document.Statement) ? document.Statement : [document.Statement];
  for (const statement of statements) {
    if (statement.NotPrincipal !== undefined) throw new UnsupportedPolicyError('NotPrincipal is not supported by the rehearsal');
    if (statement.Effect !== 'Allow' && statement.Effect !== 'Deny')
      throw new UnsupportedPolicyError(`Effect ${String(statement.Effect)} is not supported`);
  }
  return statements;
}

function actionMatches(statement: PolicyStatement, action: string): boolean {
  const matches = (patterns: string | string[]) => list(patterns).some((pattern) => wildcard(pattern, action, true));
  if (statement.Action !== undefined) return matches(statement.Action);
  if (statement.NotAction !== undefined) return !matches(statement.NotAction);
  throw new UnsupportedPolicyError('A statement needs Action or NotAction');
}

function resourceMatches(statement: PolicyStatement, resource: string): boolean {
  const matches = (patterns: string | string[]) => list(patterns).some((pattern) => wildcard(pattern, resource, false));
  if (statement.Resource !== undefined) return matches(statement.Resource);
  if (statement.NotResource !== undefined) return !matches(statement.NotResource);
  throw new UnsupportedPolicyError('A statement needs Resource or NotResource');
}

/** Whom a resource policy statement names: the calling role itself, its whole account, or neither. */
function principalOf(statement: PolicyStatement, request: AuthorizationRequest): 'caller' | 'account' | 'none' {
  const principal = statement.Principal;
  if (principal === undefined) throw new UnsupportedPolicyError('A resource policy statement needs a Principal');
  if (principal === '*') return 'caller';
  let named: 'caller' | 'account' | 'none' = 'none';
  for (const [kind, values] of Object.entries(principal)) {
    if (kind !== 'AWS' && kind !== 'Service' && kind !== 'Federated')
      throw new UnsupportedPolicyError(`Principal type ${kind} is not supported`);
    if (kind !== 'AWS') continue;
    for (const value of list(values)) {
      if (value === '*' || value === request.principalArn || value === request.sessionArn) return 'caller';
      if (value === request.account || value === `arn:aws:iam::${request.account}:root`) named = 'account';
    }
  }
  return named;
}

function conditionsHold(statement: PolicyStatement, context: Record<string, string | string[]>): boolean {
  const lowerContext = new Map(Object.entries(context).map(([key, value]) => [key.toLowerCase(), value]));
  return Object.entries(statement.Condition ?? {}).every(([operator, keys]) =>
    Object.entries(keys).every(([key, expected]) =>
      conditionHolds(operator, key, list(expected).map(String), lowerContext.get(key.toLowerCase())),
    ),
  );
}

function conditionHolds(operator: string, key: string, expected: string[], actual: string | string[] | undefined): boolean {
  const kind = keyKind(key);
  if (operator === 'Null') {
    const absent = actual === undefined || (Array.isArray(actual) && actual.length === 0);
    return expected.every((value) => (value === 'true') === absent);
  }
  const [, qualifier, base = '', ifExists] = /^(?:(ForAllValues|ForAnyValue):)?(.+?)(IfExists)?$/.exec(operator) ?? [];
  const compare = comparator(base);
  const values = actual === undefined ? [] : list(actual);
  if (qualifier !== undefined) {
    if (kind !== 'set') throw new UnsupportedPolicyError(`${operator} on the single-valued key ${key}`);
    if (qualifier === 'ForAllValues') return values.every((value) => compare(value, expected));
    return values.some((value) => compare(value, expected));
  }
  if (kind === 'set') throw new UnsupportedPolicyError(`${operator} on the multivalued key ${key} needs ForAllValues or ForAnyValue`);
  if (actual === undefined) return ifExists !== undefined || base.includes('Not');
  return compare(values[0]!, expected);
}

/** Whether one request value satisfies the operator against the policy's values. */
function comparator(operator: string): (value: string, expected: string[]) => boolean {
  const positive: Record<string, (value: string, pattern: string) => boolean> = {
    StringEquals: (value, pattern) => value === pattern,
    StringEqualsIgnoreCase: (value, pattern) => value.toLowerCase() === pattern.toLowerCase(),
    StringLike: (value, pattern) => wildcard(pattern, value, false),
    ArnEquals: (value, pattern) => value === pattern,
    ArnLike: (value, pattern) => wildcard(pattern, value, false),
    Bool: (value, pattern) => value.toLowerCase() === pattern.toLowerCase(),
  };
  const negated = /^(String|Arn)Not(Equals|EqualsIgnoreCase|Like)$/.exec(operator);
  if (negated) {
    const match = positive[`${negated[1]}${negated[2]}`]!;
    return (value, expected) => !expected.some((pattern) => match(value, pattern));
  }
  const match = positive[operator];
  if (!match) throw new UnsupportedPolicyError(`Condition operator ${operator} is not supported by the rehearsal`);
  return (value, expected) => expected.some((pattern) => match(value, pattern));
}

function keyKind(key: string): 'single' | 'set' {
  const lower = key.toLowerCase();
  if (lower.startsWith('kms:encryptioncontext:')) return 'single';
  const kind = CONDITION_KEYS[lower];
  if (!kind) throw new UnsupportedPolicyError(`Condition key ${key} is not supported by the rehearsal`);
  return kind;
}

/** IAM's `*` and `?` wildcards, case-sensitive as in ARNs. */
export function matchesWildcard(pattern: string, value: string): boolean {
  return wildcard(pattern, value, false);
}

function wildcard(pattern: string, value: string, ignoreCase: boolean): boolean {
  const source = pattern
    .replace(/[.+^${}()|[\]\\]/g, '\\$&')
    .replace(/\*/g, '.*')
    .replace(/\?/g, '.');
  return new RegExp(`^${source}$`, ignoreCase ? 'is' : 's').test(value);
}

function list<T>(value: T | T[]): T[] {
  return Array.isArray(value) ? value : [value];
}
