import { createPublicKey } from 'node:crypto';
import { startFakeBigQuery, type FakeBigQuery } from '../fakes/bigquery-server.js';
import { startFakeSnowflake, type FakeSnowflake } from '../fakes/snowflake-server.js';
import { bigqueryBody, CANARY, snowflakeBody } from './bodies.js';

/**
 * Snowflake and BigQuery stand-ins holding the accounts of the seed bodies (test/helpers/bodies.ts),
 * so a Snowflake or BigQuery connection created from those bodies tests successfully. `environment`
 * points a test function at them (the vendors' endpoints are the one thing the rehearsal sets that
 * the template does not).
 */
export interface WarehouseStandIns {
  snowflake: FakeSnowflake;
  bigquery: FakeBigQuery;
  environment: Record<string, string>;
  close(): Promise<void>;
}

export async function startWarehouseStandIns(): Promise<WarehouseStandIns> {
  const sf = snowflakeBody().credentials;
  const snowflake = await startFakeSnowflake({
    account: sf.account.toUpperCase(),
    users: { [sf.username]: { password: CANARY.snowflakePassword, roles: ['PUBLIC', 'LOADER_ROLE'], defaultRole: 'LOADER_ROLE' } },
    warehouses: { [sf.warehouse]: ['LOADER_ROLE'] },
    databases: { [sf.database]: { roles: ['LOADER_ROLE'], schemas: { [sf.schema]: ['LOADER_ROLE'] } } },
  });
  const bq = bigqueryBody();
  const bigquery = await startFakeBigQuery(
    [
      {
        projectId: bq.project_id,
        apiEnabled: true,
        jobUsers: [bq.credentials.client_email],
        datasets: { [bq.dataset_id]: { readers: [bq.credentials.client_email], location: 'US' } },
      },
    ],
    [{ email: bq.credentials.client_email, publicKey: createPublicKey(bq.credentials.private_key), keyId: bq.credentials.private_key_id }],
  );
  return {
    snowflake,
    bigquery,
    environment: { WAREHOUSE_SNOWFLAKE_ACCESS_URL: snowflake.accessUrl, WAREHOUSE_BIGQUERY_API_ENDPOINT: bigquery.apiEndpoint },
    close: async () => {
      await Promise.all([snowflake.close(), bigquery.close()]);
    },
  };
}
