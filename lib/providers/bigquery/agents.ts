import { Agent as HttpAgent } from 'node:http';
import { Agent as HttpsAgent } from 'node:https';
import { pinAgent, type Destination } from '../pinned-agent.js';

/**
 * @google-cloud/bigquery sends every request through teeny-request and node-fetch, which take no
 * agent from the caller and follow redirects (a 307 re-posts the query). teeny-request takes its
 * agents from a pool that it fills only where empty, so filling the pool first with agents pinned
 * to the BigQuery API (pinned-agent.ts) puts the check under every request, redirects included:
 * node-fetch keeps the first request's agent when it follows one. The API endpoint is the
 * deployment's, the same for every tenant, so one pool serves the whole process.
 *
 * A redirect to the other protocol fails in Node itself (an HTTPS agent cannot carry HTTP).
 */
const POOL_KEYS = ['http', 'http:forever', 'https', 'https:forever'] as const;

type AgentPool = Map<string, HttpAgent | HttpsAgent>;

let pinnedTo: string | undefined;

export async function pinBigQueryAgents(apiEndpoint: string, destination: Destination): Promise<void> {
  if (pinnedTo === apiEndpoint) return;
  // A CommonJS module: the pool teeny-request itself reads is module.exports.pool. Node, jest and
  // esbuild's bundles give module.exports as `default` (named exports of a CommonJS chunk do not
  // survive bundling); tsx (npm start, the bench) gives the named exports only.
  const agents = (await import('teeny-request/build/src/agents.js')) as { default?: { pool: AgentPool }; pool?: AgentPool };
  const pool = (agents.default?.pool ?? agents.pool)!;
  const secure = new URL(apiEndpoint).protocol === 'https:';
  // The protocol the endpoint does not use gets agents that refuse everything.
  const nowhere: Destination = { host: '', port: -1 };
  for (const key of POOL_KEYS) {
    const https = key.startsWith('https');
    const options = { keepAlive: true, maxSockets: Infinity };
    const agent = https ? new HttpsAgent(options) : new HttpAgent(options);
    pool.get(key)?.destroy();
    pool.set(key, pinAgent(agent, https === secure ? destination : nowhere));
  }
  pinnedTo = apiEndpoint;
}
