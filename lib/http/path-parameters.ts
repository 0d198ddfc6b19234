import { BadRequestError } from '../errors.js';
import type { EndpointRequest } from './endpoint.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** The `{connection_id}` of a route's path: a connection id is a UUID (compared in lower case). */
export function connectionIdOf(request: Pick<EndpointRequest, 'pathParameters'>): string {
  const value = request.pathParameters.connection_id;
  if (value === undefined || !UUID.test(value)) {
    throw new BadRequestError('invalid_connection_id', 'path.connection_id: must be a connection id (a UUID)', 'path.connection_id');
  }
  return value.toLowerCase();
}
