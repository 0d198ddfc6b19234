import { CreateTableCommand, DynamoDBClient, waitUntilTableExists } from '@aws-sdk/client-dynamodb';
import { randomBytes } from 'node:crypto';
import { chmodSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startLocalDynamoDb } from '../dynamodb.js';
import { startLocalKms } from '../kms-server.js';
import { readStackArtifact } from './cloud-assembly.js';
import { startRehearsalApi } from './http-api.js';
import { startIamGate, type GateCall, type GatePrincipal } from './iam-gate.js';
import { lambdaNode } from './lambda-node.js';
import { FunctionRuntime, type FunctionStats } from './lambda-service.js';
import { PhysicalNames } from './physical-names.js';
import { rehearsalIssuer, type RehearsalIssuer } from './rehearsal-issuer.js';
import { readStackModel, type StackModel } from './stack-model.js';

/**
 * The deployment rehearsal: the stack of a synthesized cloud assembly, started on this machine as
 * AWS would run it, from the template and its assets alone. DynamoDB is dynalite and KMS the local
 * stand-in, both behind an IAM gate that holds every call to the calling function's role and the
 * key policy; the functions run their deployed bundles on the Lambda runtime's Node.js; the HTTP
 * API comes from the template's routes and authorizer.
 *
 * How the template's references resolve: the table's name and ARN to a table created in dynalite
 * from the template's key schema; the key's id and ARN to the local KMS key (same account and
 * region); every other resource to a name of the shape CloudFormation gives it.
 */
export interface RehearsalOptions {
  assemblyDir: string;
  stackName?: string;
  /**
   * Variables added to every function's environment that the template does not set, each named in
   * the report. The AWS endpoints are always among them; tests add the warehouse vendors' endpoints
   * (Snowflake, Google), which reach loopback stand-ins instead of the internet.
   */
  environment?: Record<string, string>;
  /** Each line a function writes; by default they go to this process's stdout. */
  onLog?: (functionName: string, line: string) => void;
  /**
   * Principals (role ARNs) of other accounts the tests act as on the Lambda Invoke API: each gets an
   * access key (`Rehearsal.principalCredentials`), and only resource policies let them invoke.
   */
  principals?: string[];
}

export interface FunctionReport extends FunctionStats {
  /** Whether the Node.js that ran it is the runtime's major (nodejs24.x -> v24). */
  runtimeMatches: boolean;
  allowed: number;
  denied: number;
}

export interface RehearsalReport {
  functions: FunctionReport[];
  denials: GateCall[];
  overrides: string[];
}

export interface Rehearsal {
  apiUrl: string;
  region: string;
  account: string;
  /** Credentials of the account's administrator, for the Lambda Invoke API. */
  operator: { accessKeyId: string; secretAccessKey: string };
  /** Credentials of each principal of `RehearsalOptions.principals`, by its ARN. */
  principalCredentials: Record<string, { accessKeyId: string; secretAccessKey: string }>;
  outputs: Record<string, string>;
  model: StackModel;
  issuer: RehearsalIssuer;
  calls: GateCall[];
  /** The IAM gate's endpoints, for calls made as one of the functions. */
  aws: { dynamoDbEndpoint: string; kmsEndpoint: string };
  /** The access key a function's calls are signed with, by its logical id. */
  credentialsOf(logicalId: string): { accessKeyId: string; secretAccessKey: string; sessionToken: string };
  report(): RehearsalReport;
  close(): Promise<void>;
}

export const REHEARSAL_ENVIRONMENT = { account: '210987654321', region: 'eu-west-1' } as const;

export async function startRehearsal(options: RehearsalOptions): Promise<Rehearsal> {
  const { account, region } = REHEARSAL_ENVIRONMENT;
  const stack = readStackArtifact(options.assemblyDir, options.stackName);
  const workDir = mkdtempSync(join(tmpdir(), 'rehearsal-'));
  const closers: (() => Promise<void> | void)[] = [() => removeTree(workDir)];
  const close = async () => {
    for (const closer of closers.reverse()) await closer();
  };

  try {
    const kms = await startLocalKms({ region, accountId: account });
    closers.push(() => kms.close());
    const keyId = kms.keyArn.split('/').at(-1)!;
    const keyResources = Object.entries(stack.template.Resources).filter(([, resource]) => resource.Type === 'AWS::KMS::Key');
    if (keyResources.length > 1) throw new Error('The rehearsal runs one KMS key per stack (the local KMS holds one)');
    const bindings = Object.fromEntries(
      keyResources.map(([logicalId]) => [logicalId, { ref: keyId, attributes: { Arn: kms.keyArn, KeyId: keyId } }]),
    );
    const names = new PhysicalNames(stack.template, { account, region, stackName: stack.stackName }, bindings);
    const model = readStackModel(stack, names);

    const dynamodb = await startLocalDynamoDb();
    closers.push(() => dynamodb.close());
    await createTables(model, dynamodb.endpoint, region);

    const principals = new Map(
      model.functions.map((fn) => [fn.logicalId, principalFor(fn.functionName, fn.role.name, fn.role.arn, fn.role.policies, account)]),
    );
    const gate = await startIamGate({
      account,
      region,
      principals: [...principals.values()],
      dynamoDbEndpoint: dynamodb.endpoint,
      kmsEndpoint: kms.endpoint,
      tableArn: (tableName) =>
        model.tables.find((table) => table.name === tableName)?.arn ?? `arn:aws:dynamodb:${region}:${account}:table/${tableName}`,
      keyArnOf: (reference, ciphertext) => keyArnOf(reference, ciphertext, kms.keyArn, kms.aliasName, region, account),
      keyPolicyOf: (keyArn) => model.keys.find((key) => key.arn === keyArn)?.policy,
    });
    closers.push(() => gate.close());

    const overrides = { AWS_ENDPOINT_URL_DYNAMODB: gate.dynamoDbEndpoint, AWS_ENDPOINT_URL_KMS: gate.kmsEndpoint, ...options.environment };
    const onLog = options.onLog ?? ((_name: string, line: string) => void process.stdout.write(`${line}\n`));
    const runtimes = new Map<string, FunctionRuntime>();
    for (const fn of model.functions) {
      const principal = principals.get(fn.logicalId)!;
      const runtime = new FunctionRuntime(fn, {
        node: lambdaNode(fn.runtime),
        workDir,
        region,
        environment: {
          ...overrides,
          AWS_ACCESS_KEY_ID: principal.accessKeyId,
          AWS_SECRET_ACCESS_KEY: principal.secretAccessKey,
          AWS_SESSION_TOKEN: sessionToken(fn.logicalId),
        },
        onLog: (line) => onLog(fn.functionName, line),
      });
      runtimes.set(fn.logicalId, runtime);
      closers.push(() => runtime.close());
    }

    const issuer = await rehearsalIssuer();
    const operator = { accessKeyId: accessKeyId(), secretAccessKey: secret() };
    const principalCredentials = Object.fromEntries(
      (options.principals ?? []).map((principalArn) => [principalArn, { accessKeyId: accessKeyId(), secretAccessKey: secret() }]),
    );
    const api = model.api
      ? await startRehearsalApi({
          api: model.api,
          account,
          region,
          functions: runtimes,
          invokePermissions: model.invokePermissions,
          verifierFor: (authorizer) => issuer.verifierFor(authorizer.issuer, authorizer.audiences),
          invokers: [
            operator,
            ...Object.entries(principalCredentials).map(([principalArn, credentials]) => ({ ...credentials, principalArn })),
          ],
        })
      : undefined;
    if (api) closers.push(() => api.close());

    return {
      apiUrl: api?.url ?? '',
      region,
      account,
      operator,
      principalCredentials,
      outputs: model.outputs,
      model,
      issuer,
      calls: gate.calls,
      aws: { dynamoDbEndpoint: gate.dynamoDbEndpoint, kmsEndpoint: gate.kmsEndpoint },
      credentialsOf: (logicalId) => {
        const principal = principals.get(logicalId);
        if (!principal) throw new Error(`No function ${logicalId} in the stack`);
        return { accessKeyId: principal.accessKeyId, secretAccessKey: principal.secretAccessKey, sessionToken: sessionToken(logicalId) };
      },
      report: () => ({
        functions: [...runtimes.values()].map((runtime) => {
          const calls = gate.calls.filter((call) => call.principal === runtime.fn.functionName);
          return {
            ...runtime.stats,
            runtimeMatches: lambdaNode(runtime.fn.runtime).matchesRuntime,
            allowed: calls.filter((call) => call.decision.allowed).length,
            denied: calls.filter((call) => !call.decision.allowed).length,
          };
        }),
        denials: gate.calls.filter((call) => !call.decision.allowed),
        overrides: Object.keys(overrides),
      }),
      close,
    };
  } catch (error) {
    await close();
    throw error;
  }
}

/** The rehearsal's report as lines a person reads: one per function, then every denial. */
export function formatReport(report: RehearsalReport): string {
  const lines = report.functions.map(
    (fn) =>
      `${fn.functionName}: Node.js ${fn.node}${fn.runtimeMatches ? '' : ' (not the runtime major)'}, ${fn.invocations} invocations, ` +
      `${fn.coldStarts} cold starts, ${fn.timeouts} timeouts, peak ${fn.peakRssMb} MB; IAM ${fn.allowed} allowed, ${fn.denied} denied`,
  );
  for (const denial of report.denials) lines.push(`denied: ${denial.principal} ${denial.action} on ${denial.resource}`);
  lines.push(`rehearsal-only environment: ${report.overrides.join(', ')}`);
  return lines.join('\n');
}

async function createTables(model: StackModel, endpoint: string, region: string): Promise<void> {
  const client = new DynamoDBClient({ endpoint, region, credentials: { accessKeyId: 'rehearsal', secretAccessKey: 'rehearsal' } });
  try {
    for (const table of model.tables) {
      await client.send(
        new CreateTableCommand({
          TableName: table.name,
          BillingMode: 'PAY_PER_REQUEST',
          AttributeDefinitions: table.attributeDefinitions as never,
          KeySchema: table.keySchema as never,
        }),
      );
      await waitUntilTableExists({ client, maxWaitTime: 30, minDelay: 1 }, { TableName: table.name });
    }
  } finally {
    client.destroy();
  }
}

function principalFor(
  label: string,
  roleName: string,
  roleArn: string,
  policies: GatePrincipal['policies'],
  account: string,
): GatePrincipal {
  return {
    label,
    roleArn,
    sessionArn: `arn:aws:sts::${account}:assumed-role/${roleName}/${label}`,
    policies,
    accessKeyId: accessKeyId(),
    secretAccessKey: secret(),
  };
}

function keyArnOf(
  reference: string | undefined,
  ciphertext: string | undefined,
  keyArn: string,
  aliasName: string,
  region: string,
  account: string,
): string {
  if (reference === undefined) {
    // The local KMS writes the key id into its ciphertext, as KMS does into its own.
    const keyId = ciphertext === undefined ? '' : Buffer.from(ciphertext, 'base64').subarray(1, 37).toString('latin1');
    return `arn:aws:kms:${region}:${account}:key/${keyId}`;
  }
  if (reference === aliasName || reference === `arn:aws:kms:${region}:${account}:${aliasName}`) return keyArn;
  if (reference.startsWith('arn:')) return reference;
  return `arn:aws:kms:${region}:${account}:key/${reference}`;
}

function sessionToken(logicalId: string): string {
  return `rehearsal-session-${logicalId}`;
}

function accessKeyId(): string {
  return `ASIA${[...randomBytes(16)].map((byte) => 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567'[byte % 32]).join('')}`;
}

function secret(): string {
  return randomBytes(30).toString('base64');
}

/** Task folders are read-only, as in Lambda; they are made writable again to be removed. */
function removeTree(path: string): void {
  const open = (entry: string) => {
    const stats = statSync(entry);
    if (!stats.isDirectory()) return;
    chmodSync(entry, 0o755);
    for (const child of readdirSync(entry)) open(join(entry, child));
  };
  try {
    open(path);
  } finally {
    rmSync(path, { recursive: true, force: true });
  }
}
