/**
 * What a single Lambda app pays: all four handlers and all three drivers imported statically.
 */
import 'pg';
import 'snowflake-sdk';
import '@google-cloud/bigquery';
import { handler as createConnection } from '../../functions/create-connection.js';
import { handler as deleteConnection } from '../../functions/delete-connection.js';
import { handler as getConnection } from '../../functions/get-connection.js';
import { handler as testConnection } from '../../functions/test-connection.js';

const byRoute: Record<string, (event: unknown, context: unknown) => Promise<unknown>> = {
  'POST /api/v2/warehouse/connections': createConnection as never,
  'GET /api/v2/warehouse/connections': getConnection as never,
  'POST /api/v2/warehouse/connections/test': testConnection as never,
  'DELETE /api/v2/warehouse/connections': deleteConnection as never,
};

export const handler = (event: { routeKey: string }, context: unknown) => byRoute[event.routeKey]!(event, context);
