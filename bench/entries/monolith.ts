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
import { ROUTE, routeKey } from '../../lib/routes.js';

const byRoute: Record<string, (event: unknown, context: unknown) => Promise<unknown>> = {
  [routeKey(ROUTE.create)]: createConnection as never,
  [routeKey(ROUTE.get)]: getConnection as never,
  [routeKey(ROUTE.test)]: testConnection as never,
  [routeKey(ROUTE.delete)]: deleteConnection as never,
};

export const handler = (event: { routeKey: string }, context: unknown) => byRoute[event.routeKey]!(event, context);
