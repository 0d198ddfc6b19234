import { DEFAULTS } from '../lib/config.js';
import type { FunctionSpec } from '../lib/routes.js';
import type { LogLevel } from './service-settings.js';

/** What every function is told about the service around it (names as read by lib/config.ts). */
export interface SharedEnvironment {
  tableName: string;
  keyArn: string;
  orgClaim: string;
  logLevel: LogLevel;
  /** Private networks the probe may reach (WAREHOUSE_ALLOWED_CIDRS); none by default. */
  allowedNetworks: readonly string[];
  /** Names the deployment in the external ids presented to customers' roles (the stack's name). */
  deploymentId: string;
  /** The role tests run as, which customers' roles trust (shown by GET .../aws-identity). */
  probeRoleArn: string;
  /** The resolve function's role, which customers' roles trust too (Redshift with IAM, Athena). */
  resolverRoleArn: string;
  auditTableName: string;
  auditRetentionDays: number;
}

/** Per-attempt timeout and attempts of every DynamoDB and KMS call: the service's defaults (lib/config.ts). */
const AWS_REQUEST_TIMEOUT_MS = DEFAULTS.aws.requestTimeoutMs;
const AWS_MAX_ATTEMPTS = DEFAULTS.aws.maxAttempts;

/** The warehouse probe's limits, for the functions whose route probes (lib/routes.ts). */
const PROBE_LIMITS = DEFAULTS.probe;
/** Time kept free in the test function for init and response once its AWS calls and probe are done. */
const INIT_AND_RESPONSE_MARGIN_MS = 2_000;

export function functionEnvironment(route: FunctionSpec, shared: SharedEnvironment): Record<string, string> {
  return {
    TABLE_NAME: shared.tableName,
    KMS_KEY_ID: shared.keyArn,
    ORG_CLAIM: shared.orgClaim,
    LOG_LEVEL: shared.logLevel,
    AWS_REQUEST_TIMEOUT_MS: String(AWS_REQUEST_TIMEOUT_MS),
    AWS_MAX_ATTEMPTS: String(AWS_MAX_ATTEMPTS),
    DEPLOYMENT_ID: shared.deploymentId,
    ...(route.table === 'none' ? { PROBE_ROLE_ARN: shared.probeRoleArn, RESOLVER_ROLE_ARN: shared.resolverRoleArn } : {}),
    ...(route.audit === 'none' ? {} : { AUDIT_TABLE_NAME: shared.auditTableName, AUDIT_RETENTION_DAYS: String(shared.auditRetentionDays) }),
    ...(route.probes ? probeEnvironment(route, shared) : {}),
  };
}

function probeEnvironment(route: FunctionSpec, shared: SharedEnvironment): Record<string, string> {
  assertProbeFitsTimeout(route);
  return {
    ...(shared.allowedNetworks.length > 0 ? { WAREHOUSE_ALLOWED_CIDRS: shared.allowedNetworks.join(',') } : {}),
    WAREHOUSE_CONNECT_TIMEOUT_MS: String(PROBE_LIMITS.connectTimeoutMs),
    WAREHOUSE_STATEMENT_TIMEOUT_MS: String(PROBE_LIMITS.statementTimeoutMs),
    WAREHOUSE_TEST_DEADLINE_MS: String(PROBE_LIMITS.deadlineMs),
    // snowflake-sdk tries to load a native add-on that is not in the bundle.
    SNOWFLAKE_DISABLE_MINICORE: 'true',
    // snowflake-sdk otherwise probes instance metadata and calls STS for telemetry when it loads
    // (the probe sets this too; here it also holds for anything else that loads the driver).
    SNOWFLAKE_DISABLE_PLATFORM_DETECTION: 'true',
  };
}

/**
 * A test reads the item, decrypts the data key, probes, then records the verdict: the Lambda
 * timeout must hold the probe deadline plus one attempt of each AWS call, or a slow warehouse
 * would end in a Lambda timeout (a 5xx) instead of a verdict. Retries can exceed this; they
 * are the rare case, and the deadline is what a slow warehouse hits.
 */
export function assertProbeFitsTimeout(route: Pick<FunctionSpec, 'functionName' | 'timeoutSeconds'>): void {
  const awsCalls = 3;
  const neededMs = PROBE_LIMITS.deadlineMs + awsCalls * AWS_REQUEST_TIMEOUT_MS + INIT_AND_RESPONSE_MARGIN_MS;
  if (route.timeoutSeconds * 1_000 < neededMs) {
    throw new Error(
      `${route.functionName}: timeout ${route.timeoutSeconds} s is below the ${neededMs / 1_000} s a test may need ` +
        `(${PROBE_LIMITS.deadlineMs / 1_000} s probe deadline + ${awsCalls} AWS calls + margin)`,
    );
  }
}
