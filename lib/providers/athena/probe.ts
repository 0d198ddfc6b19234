import { AthenaClient } from '@aws-sdk/client-athena';
import { assumeCustomerRole, awsEndpoint, clientConfig, externalIdOf } from '../aws/role-session.js';
import type { Probe } from '../probe.js';
import { ProbeFailure, seconds } from '../verdict.js';
import { sessionActions, type AthenaDefinition } from './access.js';
import type { AthenaContext } from './failures.js';
import { firstRows, runQuery, type QuerySession } from './query.js';

/**
 * Assumes the customer's role (STS, the organization's external id, a session policy allowing only
 * what follows), then with the role's credentials runs two queries in the workgroup:
 * - `SELECT 1`: the workgroup runs queries, writes their results to its output location, and the
 *   role reads them back (GetQueryResults);
 * - ``SHOW TABLES IN `db` ``: the database in dataset_id exists in the catalog and the role may list
 *   its tables (glue:GetDatabase, glue:GetTables, Lake Formation), what any query of it needs. It
 *   scans no data; GetDatabase through the Athena API would be one call lighter, but needs a
 *   permission querying does not (athena:GetDatabase) and proves less (not the tables, not S3).
 * Each query gets the statement timeout, cut to what is left of the test's deadline less the time
 * a StopQueryExecution needs, so a query that does not end is stopped before the test answers.
 */
export const probeAthena: Probe = async (definition, limits, signal, stages) => {
  if (definition.provider !== 'athena') throw new Error('probeAthena needs an athena connection');
  const deadlineAt = performance.now() + limits.deadlineMs;
  const { credentials } = definition;
  const externalId = externalIdOf(limits);

  stages.begin('assume_role');
  const role = await assumeCustomerRole(
    { roleArn: credentials.role_arn, region: credentials.region, actions: sessionActions(definition) },
    limits,
    signal,
  );

  const endpoint = awsEndpoint('athena', 'Amazon Athena', credentials.region, limits.awsEndpoints?.athena);
  const context: AthenaContext = { definition, externalId, limits, endpoint };
  const client = new AthenaClient(clientConfig(credentials.region, endpoint, limits, role));
  const session: QuerySession = { client, context, signal };
  const stopBudgetMs = Math.min(1_000, limits.connectTimeoutMs);
  /** The statement timeout, cut to what is left of the deadline once a stop is allowed for. */
  const budget = (what: string) => {
    const ms = Math.floor(Math.min(limits.statementTimeoutMs, deadlineAt - performance.now() - stopBudgetMs));
    if (ms <= 0) throw new ProbeFailure('timeout', `No time was left within ${seconds(limits.deadlineMs)} for ${what}.`);
    return ms;
  };
  try {
    stages.begin('query');
    const test = await runQuery(session, { sql: 'SELECT 1', purpose: 'query', budgetMs: budget('the test query'), stopBudgetMs });
    const rows = await firstRows(session, test.QueryExecutionId, 2);
    // The header row, then the value.
    if (rows.at(-1)?.[0] !== '1') throw new ProbeFailure('warehouse_error', 'Amazon Athena answered SELECT 1 with something else.');

    stages.begin('schema_access');
    const budgetMs = budget(`the check of database '${definition.dataset_id}'`);
    await runQuery(session, { sql: showTables(definition), purpose: 'schema_access', budgetMs, stopBudgetMs });
  } finally {
    client.destroy();
  }
};

/** The database name is letters, digits, `_` and `-` (the schema's rule), so it cannot leave the quotes. */
function showTables(definition: AthenaDefinition): string {
  return `SHOW TABLES IN \`${definition.dataset_id}\``;
}
