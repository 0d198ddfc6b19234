import { generateKeyPairSync } from 'node:crypto';

/** Valid Snowflake and BigQuery connection bodies for the verdict measurements. */
export function snowflakeBody() {
  return {
    provider: 'snowflake',
    credentials: { account: 'bench-account', username: 'BENCH', password: 'bench-password', warehouse: 'WH', database: 'DB' },
  };
}

const serviceAccountKey = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();

export function bigqueryBody() {
  return {
    provider: 'bigquery',
    project_id: 'bench-project-1',
    dataset_id: 'bench',
    credentials: { type: 'service_account', project_id: 'bench-project-1', private_key: serviceAccountKey, client_email: 'bench@bench-project-1.iam.gserviceaccount.com' },
  };
}
