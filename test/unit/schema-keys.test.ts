import { describe, expect, test } from '@jest/globals';
import { generateKeyPairSync } from 'node:crypto';
import { KEY_REQUIREMENTS } from '../../lib/providers/private-key.js';
import {
  accepted,
  type Body,
  type Case,
  checkCases,
  MINIMAL,
  nullableTextField,
  OMIT,
  parsed,
  picklistField,
  refused,
  SERVICE_ACCOUNT_KEY,
  stringField,
  unknownFields,
  withFields,
} from './schema-cases.js';

/** The request schemas that take a private key: Snowflake (key-pair authentication) and BigQuery (a service-account key file). */
const PASSPHRASE = 'canary-passphrase-7c1d';
/** The longest passphrase secret(1024) takes. */
const LONGEST_PASSPHRASE = 'canary'.padEnd(1_024, 'p');
const rsa = (modulusLength: number) => generateKeyPairSync('rsa', { modulusLength }).privateKey;
const ENCRYPTED_KEY = rsa(2_048).export({ type: 'pkcs8', format: 'pem', cipher: 'aes-256-cbc', passphrase: PASSPHRASE }).toString();
const LONG_PASSPHRASE_KEY = rsa(2_048)
  .export({ type: 'pkcs8', format: 'pem', cipher: 'aes-256-cbc', passphrase: LONGEST_PASSPHRASE })
  .toString();
const EC_KEY = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
const SMALL_RSA_KEY = rsa(1_024).export({ type: 'pkcs8', format: 'pem' }).toString();
const MAX_PEM = 16_384;

/**
 * The PEM text rules shared by both key fields (lib/schema/fields.ts privateKeyPemText): one block,
 * nothing but whitespace around it, at most 16384 characters.
 */
function pemTextRules(base: Body, path: string): Case[] {
  const at = (value: unknown) => withFields(base, { [path]: value });
  const notOneBlock = (rule: string, value: string) => refused(`${path} ${rule}`, at(value), path, KEY_REQUIREMENTS.not_one_pem_block);
  return [
    accepted(`${path} padded with newlines to ${MAX_PEM} characters`, at(SERVICE_ACCOUNT_KEY.padEnd(MAX_PEM, '\n'))),
    refused(
      `${path} padded to ${MAX_PEM + 1} characters`,
      at(SERVICE_ACCOUNT_KEY.padEnd(MAX_PEM + 1, '\n')),
      path,
      `must be at most ${MAX_PEM} characters`,
    ),
    notOneBlock(`of ${MAX_PEM} characters that are not PEM`, 'x'.repeat(MAX_PEM)),
    notOneBlock('empty', ''),
    notOneBlock('two keys', `${SERVICE_ACCOUNT_KEY}\n${SERVICE_ACCOUNT_KEY}`),
    notOneBlock('text before the key', `key:\n${SERVICE_ACCOUNT_KEY}`),
    notOneBlock('a certificate', '-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----'),
    refused(`${path} a number`, at(42), path, 'must be a string'),
  ];
}

describe('Snowflake', () => {
  const base = MINIMAL.snowflake;
  const credentials = base.credentials as Body;
  const keyPair = (changes: Record<string, unknown> = {}) =>
    withFields(base, {
      'credentials.auth_method': 'key_pair',
      'credentials.password': OMIT,
      'credentials.private_key': SERVICE_ACCOUNT_KEY,
      ...changes,
    });
  const ACCOUNT_MESSAGE =
    "must be an account identifier such as 'myorg-myaccount' or 'xy12345.us-east-2.aws' (without the .snowflakecomputing.com or .cn domain)";

  describe('the account: in credentials, in project_id, or both alike', () => {
    test('only project_id: it becomes credentials.account', async () => {
      expect(await parsed(withFields(base, { project_id: 'acme-analytics', 'credentials.account': OMIT }))).toEqual({
        provider: 'snowflake',
        project_id: 'acme-analytics',
        dataset_id: 'PUBLIC',
        credentials: { ...credentials, account: 'acme-analytics', auth_method: 'password', schema: 'PUBLIC' },
        settings: {},
      });
    });

    test('both, differing in case only: credentials.account is kept for both', async () => {
      const definition = await parsed(withFields(base, { project_id: 'ACME-analytics', 'credentials.account': 'acme-ANALYTICS' }));
      expect(definition).toMatchObject({ project_id: 'acme-ANALYTICS', credentials: { account: 'acme-ANALYTICS' } });
    });

    test('project_id null: the account of credentials', async () => {
      expect(await parsed(withFields(base, { project_id: null }))).toMatchObject({ project_id: 'acme-analytics' });
    });

    checkCases([
      refused(
        'no account anywhere',
        withFields(base, { 'credentials.account': OMIT }),
        'project_id',
        'is required: give the account identifier here or in credentials.account',
      ),
      refused(
        'project_id null and no account',
        withFields(base, { project_id: null, 'credentials.account': OMIT }),
        'project_id',
        'is required: give the account identifier here or in credentials.account',
      ),
      refused('project_id another account', withFields(base, { project_id: 'acme-other' }), 'project_id', 'must match credentials.account'),
    ]);
  });

  describe('account identifiers (credentials.account and project_id)', () => {
    const forms = (path: string): Case[] => {
      const at = (value: unknown) =>
        withFields(base, path === 'project_id' ? { project_id: value, 'credentials.account': OMIT } : { [path]: value });
      return [
        ...[
          'myorg-myaccount',
          'MyOrg2-my_account_2',
          'xy12345',
          'xy12345.us-east-2',
          'xy12345.us-east-2.aws',
          'tenanta.us-east-1.privatelink',
          'xy1.cn-north-1',
          'a-b',
        ].map((value) => accepted(`${path} ${value}`, at(value))),
        accepted(`${path} of 255 characters`, at('a'.repeat(255))),
        refused(`${path} of 256 characters`, at('a'.repeat(256)), path, 'must be at most 255 characters'),
        ...[
          '',
          'xy12345.us-east-2.aws.extra',
          '1org-account',
          'my-org-account',
          'myorg-acc.evil.example',
          'xy12345..aws',
          'xy12345.-us',
          'xy12345.us--east',
          'xy12345.us-east-',
          '.xy12345',
          'xy12345.',
          'xy12345/evil',
          'evil.example/xy12345',
          'xy12345 ',
          'myorg-acc@evil',
          'https://xy12345',
          // The domain pasted with the account: the locator pattern alone reads it as region and cloud.
          'acme.snowflakecomputing.com',
          'xy12345.us-east-2.snowflakecomputing',
          'xy12345.SnowflakeComputing.com',
          'snowflakecomputing',
        ].map((value) => refused(`${path} ${JSON.stringify(value)}`, at(value), path, ACCOUNT_MESSAGE)),
        refused(`${path} a number`, at(42), path, 'must be a string'),
      ];
    };
    checkCases([...forms('credentials.account'), ...forms('project_id')]);
  });

  describe('fields', () => {
    test('dataset_id is the schema unless given', async () => {
      expect(await parsed(withFields(base, { 'credentials.schema': 'STAGING' }))).toMatchObject({
        dataset_id: 'STAGING',
        credentials: { schema: 'STAGING' },
      });
      expect(await parsed(withFields(base, { dataset_id: 'RAW', 'credentials.schema': 'STAGING' }))).toMatchObject({
        dataset_id: 'RAW',
        credentials: { schema: 'STAGING' },
      });
      expect(await parsed(withFields(base, { dataset_id: null, 'credentials.schema': 'STAGING' }))).toMatchObject({
        dataset_id: 'STAGING',
      });
    });

    test('role is kept when given', async () => {
      expect(await parsed(withFields(base, { 'credentials.role': 'REPORTER' }))).toMatchObject({ credentials: { role: 'REPORTER' } });
    });

    checkCases([
      ...stringField(base, 'credentials.username', 255, 'text'),
      ...stringField(base, 'credentials.warehouse', 255, 'text'),
      ...stringField(base, 'credentials.database', 255, 'text'),
      ...stringField(base, 'credentials.schema', 255, 'text'),
      ...stringField(base, 'credentials.role', 255, 'text'),
      ...stringField(base, 'credentials.password', 1_024, 'secret'),
      ...nullableTextField(base, 'dataset_id', 255),
      ...picklistField(
        base,
        'credentials.auth_method',
        ['password'],
        ['keypair', 'KEY_PAIR', 'oauth', 'externalbrowser', ''],
        "must be 'password' or 'key_pair'",
      ),
      ...unknownFields(base, ['authenticator', 'token', 'host', 'access_url', 'client_session_keep_alive']),
    ]);
  });

  describe('key-pair authentication', () => {
    test('a key-pair body: the key kept, no password', async () => {
      expect(await parsed(keyPair({ 'credentials.role': 'LOADER_ROLE' }))).toEqual({
        provider: 'snowflake',
        project_id: 'acme-analytics',
        dataset_id: 'PUBLIC',
        credentials: {
          ...credentials,
          password: undefined,
          auth_method: 'key_pair',
          private_key: SERVICE_ACCOUNT_KEY,
          schema: 'PUBLIC',
          role: 'LOADER_ROLE',
        },
        settings: {},
      });
    });

    test('an encrypted key with its passphrase (opened in a worker) is accepted and kept', async () => {
      expect(
        await parsed(keyPair({ 'credentials.private_key': ENCRYPTED_KEY, 'credentials.private_key_passphrase': PASSPHRASE })),
      ).toMatchObject({
        credentials: { private_key: ENCRYPTED_KEY, private_key_passphrase: PASSPHRASE },
      });
    });

    const passphrase = 'credentials.private_key_passphrase';
    const withPassphrase = (value: unknown) => keyPair({ 'credentials.private_key': LONG_PASSPHRASE_KEY, [passphrase]: value });
    const UNREADABLE = `${KEY_REQUIREMENTS.unreadable}: check private_key_passphrase`;
    checkCases([
      accepted("credentials.auth_method 'key_pair'", keyPair()),
      ...pemTextRules(keyPair(), 'credentials.private_key'),
      refused(
        'a private_key that is not PEM, and a password too: only the key is reported (its own check runs before the cross-field rules)',
        keyPair({ 'credentials.private_key': 'not-a-key', 'credentials.password': 'pem-order-canary' }),
        'credentials.private_key',
        KEY_REQUIREMENTS.not_one_pem_block,
      ),
      accepted(`${passphrase} of 1024 characters`, withPassphrase(LONGEST_PASSPHRASE)),
      refused(`${passphrase} of 1025 characters`, withPassphrase(`${LONGEST_PASSPHRASE}p`), passphrase, 'must be at most 1024 characters'),
      refused(`${passphrase} empty`, withPassphrase(''), passphrase, 'must not be empty'),
      refused(`${passphrase} with a NUL`, withPassphrase('canary\u0000p'), passphrase, 'must not contain NUL characters'),
      refused(`${passphrase} a number`, withPassphrase(42), passphrase, 'must be a string'),
      refused(
        'key pair without private_key',
        keyPair({ 'credentials.private_key': OMIT }),
        'credentials.private_key',
        "is required when auth_method is 'key_pair'",
      ),
      refused(
        'key pair with a password',
        keyPair({ 'credentials.password': 'sf-canary-password' }),
        'credentials.password',
        "must not be set when auth_method is 'key_pair'",
      ),
      refused(
        'password auth without password',
        withFields(base, { 'credentials.password': OMIT }),
        'credentials.password',
        "is required when auth_method is 'password'",
      ),
      refused(
        'password auth, said, without password',
        withFields(base, { 'credentials.auth_method': 'password', 'credentials.password': OMIT }),
        'credentials.password',
        "is required when auth_method is 'password'",
      ),
      refused(
        'password auth with private_key',
        withFields(base, { 'credentials.private_key': SERVICE_ACCOUNT_KEY }),
        'credentials.private_key',
        "is only used when auth_method is 'key_pair'",
      ),
      refused(
        'password auth with private_key_passphrase alone',
        withFields(base, { [passphrase]: PASSPHRASE }),
        'credentials.private_key',
        "is only used when auth_method is 'key_pair'",
      ),
      refused('an EC key', keyPair({ 'credentials.private_key': EC_KEY }), 'credentials.private_key', KEY_REQUIREMENTS.not_rsa),
      refused(
        'a 1024-bit RSA key',
        keyPair({ 'credentials.private_key': SMALL_RSA_KEY }),
        'credentials.private_key',
        KEY_REQUIREMENTS.rsa_size,
      ),
      refused(
        'an encrypted key with the wrong passphrase',
        keyPair({ 'credentials.private_key': ENCRYPTED_KEY, [passphrase]: 'canary-wrong' }),
        'credentials.private_key',
        UNREADABLE,
      ),
      refused(
        'an encrypted key without its passphrase',
        keyPair({ 'credentials.private_key': ENCRYPTED_KEY }),
        'credentials.private_key',
        UNREADABLE,
      ),
    ]);
  });
});

describe('BigQuery', () => {
  const base = MINIMAL.bigquery;
  const PROJECT_MESSAGE = "must be a Google Cloud project id such as 'my-project-123'";
  const KEY_FILE = {
    private_key_id: '0123456789abcdef0123456789abcdef01234567',
    client_id: '112233445566778899001',
    auth_uri: 'https://accounts.google.com/o/oauth2/auth',
    token_uri: 'https://oauth2.googleapis.com/token',
    universe_domain: 'googleapis.com',
  };

  test('a whole key file is kept; location and maximum_bytes_billed go to settings', async () => {
    const body = withFields(base, { location: 'EU', maximum_bytes_billed: 1, credentials: { ...(base.credentials as Body), ...KEY_FILE } });
    expect(await parsed(body)).toEqual({
      provider: 'bigquery',
      project_id: 'acme-analytics-123',
      dataset_id: 'levered',
      credentials: { ...(base.credentials as Body), ...KEY_FILE },
      settings: { location: 'EU', maximum_bytes_billed: 1 },
    });
  });

  test('without location, settings has none', async () => {
    expect((await parsed(base)).settings).not.toHaveProperty('location');
  });

  describe('project ids (top level and credentials.project_id)', () => {
    const forms = (path: string): Case[] => {
      const at = (value: unknown) => withFields(base, { [path]: value });
      return [
        ...[
          'my-project-123',
          'abcdef',
          `a${'b'.repeat(29)}`,
          'example.com:my-project',
          'ab:my-project',
          `${'d'.repeat(63)}:my-project`,
        ].map((value) => accepted(`${path} ${value.length > 40 ? `with a domain of 63 characters` : value}`, at(value))),
        ...[
          'abcde',
          `a${'b'.repeat(30)}`,
          '1project',
          'my-project-',
          'My-project',
          'my_project',
          'a:my-project',
          `${'d'.repeat(64)}:my-project`,
          'Example.com:my-project',
          '.example.com:my-project',
          '/my-project-123',
          'my-project-123/',
          ':my-project',
          '',
        ].map((value) =>
          refused(`${path} ${JSON.stringify(value.length > 40 ? `${value.length} characters` : value)}`, at(value), path, PROJECT_MESSAGE),
        ),
        refused(`${path} a number`, at(42), path, 'must be a string'),
      ];
    };
    checkCases([...forms('project_id'), ...forms('credentials.project_id')]);
  });

  describe('fields', () => {
    const DATASET_MESSAGE = 'must be a BigQuery dataset id (letters, digits and underscores, at most 1024)';
    const LOCATION_MESSAGE = "must be a BigQuery location such as 'US', 'EU' or 'europe-west2'";
    const BYTES_MESSAGE = 'must be an integer number of bytes';
    const top = (field: string, value: unknown) => withFields(base, { [field]: value });
    const email = (length: number) => `${'r'.repeat(length - '@example.com'.length)}@example.com`;
    checkCases([
      accepted('dataset_id of one character', top('dataset_id', 'a')),
      accepted('dataset_id of 1024 letters, digits and _', top('dataset_id', `Ab_1${'d'.repeat(1_020)}`)),
      ...['', 'd'.repeat(1_025), 'my-dataset', 'my.dataset', 'my dataset', 'project:dataset'].map((value) =>
        refused(
          `dataset_id ${JSON.stringify(value.length > 40 ? `${value.length} characters` : value)}`,
          top('dataset_id', value),
          'dataset_id',
          DATASET_MESSAGE,
        ),
      ),
      ...['US', 'EU', 'europe-west2', 'L'.repeat(64)].map((value) =>
        accepted(`location ${value.length > 20 ? '64 characters' : value}`, top('location', value)),
      ),
      ...['U', 'L'.repeat(65), 'us_east1', 'US ', 'europe west2', ''].map((value) =>
        refused(
          `location ${JSON.stringify(value.length > 20 ? `${value.length} characters` : value)}`,
          top('location', value),
          'location',
          LOCATION_MESSAGE,
        ),
      ),
      accepted('maximum_bytes_billed 1', top('maximum_bytes_billed', 1)),
      accepted('maximum_bytes_billed 2^53 - 1', top('maximum_bytes_billed', Number.MAX_SAFE_INTEGER)),
      refused('maximum_bytes_billed 0', top('maximum_bytes_billed', 0), 'maximum_bytes_billed', 'must be at least 1'),
      refused('maximum_bytes_billed negative', top('maximum_bytes_billed', -5), 'maximum_bytes_billed', 'must be at least 1'),
      refused('maximum_bytes_billed 2^53', top('maximum_bytes_billed', 2 ** 53), 'maximum_bytes_billed', 'is too large'),
      refused('maximum_bytes_billed fractional', top('maximum_bytes_billed', 1.5), 'maximum_bytes_billed', BYTES_MESSAGE),
      refused('maximum_bytes_billed a string', top('maximum_bytes_billed', '10'), 'maximum_bytes_billed', BYTES_MESSAGE),
      refused('maximum_bytes_billed null', top('maximum_bytes_billed', null), 'maximum_bytes_billed', BYTES_MESSAGE),
      ...picklistField(
        base,
        'credentials.type',
        ['service_account'],
        ['authorized_user', 'Service_account', 'service_account ', ''],
        "must be 'service_account'",
      ),
      accepted('client_email of 320 characters', top('credentials.client_email', email(320))),
      refused(
        'client_email of 321 characters',
        top('credentials.client_email', email(321)),
        'credentials.client_email',
        'must be at most 320 characters',
      ),
      ...['reader', 'reader@', '@example.com', 'reader@example'].map((value) =>
        refused(
          `client_email ${JSON.stringify(value)}`,
          top('credentials.client_email', value),
          'credentials.client_email',
          'must be an email address',
        ),
      ),
      refused('client_email a number', top('credentials.client_email', 42), 'credentials.client_email', 'must be a string'),
      ...stringField(base, 'credentials.client_id', 2_048, 'text'),
      accepted(
        'another key-file field, kept',
        top('credentials.client_x509_cert_url', 'https://www.googleapis.com/robot/v1/metadata/x509/reader'),
      ),
      ...['credentials_json', 'key_filename', 'scopes'].map((name) =>
        refused(`an unknown top-level field ${name}`, top(name, 'x'), name, 'is not a known field'),
      ),
    ]);
  });

  describe('the service-account key: unencrypted RSA', () => {
    const key = (value: unknown) => withFields(base, { 'credentials.private_key': value });
    checkCases([
      ...pemTextRules(base, 'credentials.private_key'),
      refused('an EC key', key(EC_KEY), 'credentials.private_key', KEY_REQUIREMENTS.not_rsa),
      refused('a 1024-bit RSA key', key(SMALL_RSA_KEY), 'credentials.private_key', KEY_REQUIREMENTS.rsa_size),
      refused('an encrypted key (a key file has none)', key(ENCRYPTED_KEY), 'credentials.private_key', KEY_REQUIREMENTS.unreadable),
    ]);
  });
});
