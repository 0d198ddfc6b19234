import type { DriverOptionsBuilder } from '../driver-options.js';
import { DEFAULT_BIGQUERY_API } from './failures.js';

/**
 * `@google-cloud/bigquery` `BigQueryOptions`: the project, the service account's email and key
 * (the two fields the client's credentials take), the location; the bytes cap for its queries.
 */
export const bigqueryDriverOptions: DriverOptionsBuilder<'bigquery'> = async (definition, { limits }) => {
  const { credentials, settings } = definition;
  return {
    driver: '@google-cloud/bigquery',
    options: {
      projectId: definition.project_id,
      credentials: { client_email: credentials.client_email, private_key: credentials.private_key },
      ...(settings.location ? { location: settings.location } : {}),
      ...(limits.bigqueryApiEndpoint && limits.bigqueryApiEndpoint !== DEFAULT_BIGQUERY_API
        ? { apiEndpoint: limits.bigqueryApiEndpoint }
        : {}),
      maximumBytesBilled: String(settings.maximum_bytes_billed),
    },
    tls: null,
    address: null,
    expiresAt: null,
  };
};
