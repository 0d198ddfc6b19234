import type { Context } from 'aws-lambda';
import { routeOf, type Route } from '../lib/routes.js';
import { lambdaContext, routeEvent } from '../local/http-api-event.js';
import { loadHandler as loadRouteHandler } from '../local/load-handler.js';

export type Handler = (event: unknown, context: Context) => Promise<{ statusCode: number; body?: string }>;

export function route(functionName: string): Route {
  return routeOf(functionName);
}

/** An API Gateway v2 event for one of the service's routes, from a caller of `org` (every path parameter `bench`). */
export function eventFor(functionName: string, org: string, body?: unknown) {
  const { path } = route(functionName);
  return routeEvent(route(functionName), {
    claims: { sub: 'bench', org_id: org },
    pathParameters: Object.fromEntries([...path.matchAll(/\{(\w+)\}/g)].map(([, name]) => [name!, 'bench'])),
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
}

/** A Lambda Invoke payload for the resolver (lib/connections/resolve.ts), as a consumer's worker sends it. */
export function invokeEventFor(org: string) {
  return { organization_id: org, caller: 'bench', purpose: 'bench: memory of the resolve function' };
}

export function contextFor(functionName: string): Context {
  return lambdaContext(route(functionName));
}

export async function loadHandler(functionName: string): Promise<Handler> {
  return (await loadRouteHandler(route(functionName))) as Handler;
}
