/**
 * `npm run test:deployed`: the end-to-end scenarios (test/e2e) against the deployed stack. Reads
 * the API URL and function names from the stack's outputs, signs in one user in each of two
 * organizations (created in the stack's user pool on first run), then runs test/deployed with
 * jest. Without AWS credentials it says what it needs and stops; it never reports a pass it did
 * not earn.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { DEFAULT_STACK_NAME, functionNameOutputKey, OUTPUT_KEYS } from '../infra/stack-contract.js';
import { DEFAULTS } from '../lib/config.js';
import { ROUTES } from '../lib/routes.js';
import type { DeployedSettings } from '../test/helpers/deployed-transports.js';
import { OrganizationUsers } from './lib/organization-user.js';
import { generatePassword } from './lib/password.js';
import { stackOutputs } from './lib/stack-outputs.js';

const { values } = parseArgs({
  options: { stack: { type: 'string', default: process.env.STACK_NAME ?? DEFAULT_STACK_NAME }, region: { type: 'string' } },
});
const stack = values.stack ?? DEFAULT_STACK_NAME;
const region = values.region ?? process.env.AWS_REGION ?? process.env.AWS_DEFAULT_REGION;
// Credentials only from the environment or ~/.aws: never by probing the instance metadata address.
process.env.AWS_EC2_METADATA_DISABLED = 'true';

const hasCredentials =
  [
    'AWS_ACCESS_KEY_ID',
    'AWS_PROFILE',
    'AWS_WEB_IDENTITY_TOKEN_FILE',
    'AWS_CONTAINER_CREDENTIALS_FULL_URI',
    'AWS_CONTAINER_CREDENTIALS_RELATIVE_URI',
  ].some((name) => process.env[name]) ||
  existsSync(join(homedir(), '.aws', 'credentials')) ||
  existsSync(join(homedir(), '.aws', 'config'));
if (!hasCredentials) {
  console.log(
    `test:deployed skipped: needs AWS credentials (AWS_PROFILE or AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, and AWS_REGION) for an account where the ${stack} stack is deployed (npm run deploy).`,
  );
  process.exit(0);
}

const outputs = await stackOutputs(stack, region);
const functionNames = Object.fromEntries(ROUTES.map((route) => [route.functionName, outputs[functionNameOutputKey(route)] ?? '']));
const missing = [OUTPUT_KEYS.apiUrl, ...ROUTES.map(functionNameOutputKey)].filter((key) => !outputs[key]);
if (missing.length > 0) throw new Error(`Stack ${stack} lacks outputs ${missing.join(', ')}: deploy the current version (npm run deploy)`);

const tokens = process.env.DEPLOYED_TOKENS ? (JSON.parse(process.env.DEPLOYED_TOKENS) as Record<string, string>) : await signInTestUsers();
const settings: DeployedSettings = {
  apiUrl: outputs[OUTPUT_KEYS.apiUrl]!,
  functionNames,
  tokens,
  orgClaim: outputs[OUTPUT_KEYS.orgClaim] ?? DEFAULTS.orgClaim,
  ...(region ? { region } : {}),
};

const jest = spawnSync(
  process.execPath,
  ['node_modules/jest/bin/jest.js', '--roots', '<rootDir>/test/deployed', '--testPathIgnorePatterns', '/node_modules/', '--runInBand'],
  {
    stdio: 'inherit',
    env: {
      ...process.env,
      DEPLOYED_SETTINGS: JSON.stringify(settings),
      JEST_SKIP_LOCAL_SERVERS: '1',
      NODE_OPTIONS: '--experimental-vm-modules --disable-warning=ExperimentalWarning',
    },
  },
);
process.exit(jest.status ?? 1);

/** One user in each of two organizations, in the stack's Cognito user pool. */
async function signInTestUsers(): Promise<Record<string, string>> {
  const userPoolId = outputs[OUTPUT_KEYS.userPoolId];
  const clientId = outputs[OUTPUT_KEYS.userPoolClientId];
  if (!userPoolId || !clientId) {
    throw new Error(
      'The stack uses an external issuer: set DEPLOYED_TOKENS to {"<org a>":"<token>","<org b>":"<token>"} with tokens of two organizations',
    );
  }
  const users = new OrganizationUsers({ userPoolId, clientId }, region);
  try {
    const tokens: Record<string, string> = {};
    for (const suffix of ['a', 'b']) {
      const org = `org-test-deployed-${suffix}`;
      const email = `test-deployed-${suffix}@example.com`;
      const password = generatePassword();
      await users.ensureUser(email, org);
      await users.setPassword(email, password);
      tokens[org] = (await users.idToken(email, password)).token;
    }
    return tokens;
  } finally {
    users.close();
  }
}
