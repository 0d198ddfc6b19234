import type { DriverOptionsBuilder } from '../driver-options.js';
import { sessionActions } from './access.js';

/**
 * What a worker's queries read beyond the test's `SHOW TABLES`: the tables' and partitions'
 * definitions and the data itself. The customer's role decides which tables and buckets; the
 * session policy only keeps the session to querying.
 */
const QUERY_ACTIONS = [
  'glue:GetTable',
  'glue:GetPartition',
  'glue:GetPartitions',
  'glue:BatchGetPartition',
  's3:GetObject',
  's3:ListBucket',
];

/**
 * `@aws-sdk/client-athena` `AthenaClient` options with temporary credentials of the customer's role
 * (assumed with the organization's external id, as the test does, with a session policy of the
 * test's calls plus the reads a query of tables makes), and what a `StartQueryExecution` needs:
 * workgroup, catalog, database, output location.
 */
export const athenaDriverOptions: DriverOptionsBuilder<'athena'> = async (definition, { limits, signal }) => {
  const { credentials } = definition;
  // The AWS clients load only here, as in the probe.
  const { assumeCustomerRole, DURATION_SECONDS } = await import('../aws/role-session.js');
  const role = await assumeCustomerRole(
    { roleArn: credentials.role_arn, region: credentials.region, actions: [...new Set([...sessionActions(definition), ...QUERY_ACTIONS])] },
    limits,
    signal,
  );
  return {
    driver: '@aws-sdk/client-athena',
    options: {
      region: credentials.region,
      credentials: role,
      query: {
        WorkGroup: credentials.workgroup,
        QueryExecutionContext: { Catalog: credentials.catalog, Database: definition.dataset_id },
        ...(credentials.output_location === undefined ? {} : { ResultConfiguration: { OutputLocation: credentials.output_location } }),
      },
    },
    tls: null,
    address: null,
    expiresAt: new Date(Date.now() + DURATION_SECONDS * 1000).toISOString(),
  };
};
