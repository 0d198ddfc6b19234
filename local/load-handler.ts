import type { Context } from 'aws-lambda';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Route } from '../lib/routes.js';

/** A Lambda handler as the functions export it. */
export type LambdaHandler = (event: unknown, context: Context) => Promise<unknown>;

const PROJECT_ROOT = fileURLToPath(new URL('..', import.meta.url));

/**
 * Imports a route's handler from its entry module (the TypeScript source), as Lambda loads the
 * function's entry file: the one way the local runtime, the benchmarks and the tests get a handler.
 */
export async function loadHandler(route: Pick<Route, 'entry'>): Promise<LambdaHandler> {
  const module = (await import(resolve(PROJECT_ROOT, route.entry))) as { handler?: unknown };
  if (typeof module.handler !== 'function') throw new Error(`${route.entry} exports no handler`);
  return module.handler as LambdaHandler;
}
