/**
 * Creates a user of one organization in the deployed user pool, gives it a password and prints an
 * ID token for the API:
 *
 *   npm run create-user -- --org acme --email dev@example.com
 *   TOKEN=$(npm run -s create-user -- --org acme --email dev@example.com --password '...')
 *
 * The token goes to stdout alone; everything else to stderr. Ids come from the stack's outputs
 * (DescribeStacks) unless given as --user-pool-id and --client-id. Credentials and region are the
 * AWS SDK's usual ones (AWS_PROFILE, AWS_REGION, ...), or --region.
 */
import { parseArgs } from 'node:util';
import { DEFAULT_STACK_NAME, OUTPUT_KEYS } from '../infra/stack-contract.js';
import { isValidOrganizationId } from './lib/organization-id.js';
import { OrganizationUsers, type UserPoolIds } from './lib/organization-user.js';
import { generatePassword } from './lib/password.js';
import { stackOutputs } from './lib/stack-outputs.js';

const USAGE = `Usage: npm run create-user -- --org <organization id> --email <email>
         [--password <password>] [--stack ${DEFAULT_STACK_NAME}] [--region <region>]
         [--user-pool-id <id> --client-id <id>]`;

interface Options {
  org: string;
  email: string;
  password: string | undefined;
  stack: string;
  region: string | undefined;
  userPoolId: string | undefined;
  clientId: string | undefined;
}

function readOptions(): Options {
  const { values } = parseArgs({
    options: {
      org: { type: 'string' },
      email: { type: 'string' },
      password: { type: 'string' },
      stack: { type: 'string', default: DEFAULT_STACK_NAME },
      region: { type: 'string' },
      'user-pool-id': { type: 'string' },
      'client-id': { type: 'string' },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    process.exit(0);
  }
  if (!values.org || !values.email) fail(USAGE);
  if (!isValidOrganizationId(values.org))
    fail(`--org "${values.org}" is not an organization id the API accepts (letters, digits and . _ : @ | -, up to 128).`);
  if (!/^[^@\s]+@[^@\s]+$/.test(values.email)) fail(`--email "${values.email}" is not an email address.`);
  return {
    org: values.org,
    email: values.email,
    password: values.password ?? process.env.WAREHOUSE_USER_PASSWORD,
    stack: values.stack ?? DEFAULT_STACK_NAME,
    region: values.region,
    userPoolId: values['user-pool-id'],
    clientId: values['client-id'],
  };
}

async function userPoolIds(options: Options): Promise<{ ids: UserPoolIds; apiUrl?: string }> {
  if (options.userPoolId && options.clientId) return { ids: { userPoolId: options.userPoolId, clientId: options.clientId } };
  const outputs = await stackOutputs(options.stack, options.region);
  const userPoolId = outputs[OUTPUT_KEYS.userPoolId];
  const clientId = outputs[OUTPUT_KEYS.userPoolClientId];
  if (!userPoolId || !clientId) {
    fail(`Stack ${options.stack} has no user pool: it was deployed with an external issuer (-c issuer=...). Get tokens from that issuer.`);
  }
  const apiUrl = outputs[OUTPUT_KEYS.apiUrl];
  return { ids: { userPoolId, clientId }, ...(apiUrl ? { apiUrl } : {}) };
}

function fail(message: string): never {
  process.stderr.write(`${message}\n`);
  process.exit(2);
}

async function main(): Promise<void> {
  const options = readOptions();
  const { ids, apiUrl } = await userPoolIds(options);
  const password = options.password ?? generatePassword();
  const users = new OrganizationUsers(ids, options.region);
  try {
    const created = await users.ensureUser(options.email, options.org);
    await users.setPassword(options.email, password);
    const { token, expiresInSeconds } = await users.idToken(options.email, password);

    const note = (line: string) => process.stderr.write(`${line}\n`);
    note(`${created ? 'Created' : 'Found'} ${options.email} in organization ${options.org} (user pool ${ids.userPoolId}).`);
    if (!options.password) note(`Password (generated, shown once): ${password}`);
    note(`ID token valid for ${Math.round(expiresInSeconds / 60)} minutes; run again with --password to get a new one.`);
    if (apiUrl) note(`Try: curl -H "Authorization: Bearer $TOKEN" ${apiUrl.replace(/\/$/, '')}/api/v2/warehouse/connections`);
    process.stdout.write(`${token}\n`);
  } finally {
    users.close();
  }
}

main().catch((error: unknown) => {
  const { name, message } = error instanceof Error ? error : { name: 'Error', message: String(error) };
  process.stderr.write(`create-user failed: ${name}: ${message}\n`);
  process.exit(1);
});
