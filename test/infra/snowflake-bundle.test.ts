import { spawn, type ChildProcess } from 'node:child_process';
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, jest, test } from '@jest/globals';
import { build, type Metafile } from 'esbuild';
import { BUNDLE_CUT_WARNING, BundleCutError, cutModule } from '../../infra/bundle-cut-stub.js';
import { BUNDLE_CUTS, BUNDLE_EDITS, type BundleCut, type BundleEdit } from '../../infra/bundle-cuts.js';
import { esbuildOptions } from '../../infra/bundling.js';
import type { FailureCode, ProbeLimits, Verdict } from '../../lib/providers/verdict.js';
import { ROUTE } from '../../lib/routes.js';
import { parseConnectionRequest, type ConnectionDefinition } from '../../lib/schema/connection.js';
import { lambdaNode } from '../../local/rehearsal/lambda-node.js';
import { pemCanaries, RsaKeyPool } from '../fakes/keys.js';
import { startTrap, type ConnectionMode } from '../fakes/loopback-server.js';
import { startFakeSnowflake, type FakeSnowflake, type FakeSnowflakeAccount, type SnowflakeBehaviour } from '../fakes/snowflake-server.js';
import { PROJECT_ROOT } from './synthesize.js';

/**
 * The Snowflake probe as the stack deploys it: the test function's bundle built with the stack's
 * esbuild options (infra/bundling.ts), so with the driver's unused parts cut (infra/bundle-cuts.ts),
 * run in Node (the Lambda runtime's major where installed) against the Snowflake stand-in. The
 * provider tests (test/providers/snowflake.test.ts) run the TypeScript sources, where nothing is
 * cut; this runs their cases through the bundled chunk and checks that no cut is ever called.
 */
const outdir = mkdtempSync(join(tmpdir(), 'warehouse-connections-snowflake-bundle-'));
const TEST_FUNCTION_ENTRY = join(PROJECT_ROOT, ROUTE.test.entry);
const HARNESS_ENTRY = join(PROJECT_ROOT, 'test/infra/snowflake-bundle-entry.ts');
const NODE = lambdaNode('nodejs24.x');
const LIMITS: ProbeLimits = { connectTimeoutMs: 2_000, statementTimeoutMs: 2_000, deadlineMs: 5_000 };
const keys = new RsaKeyPool(2048);

const account: FakeSnowflakeAccount = {
  account: 'TESTORG-TESTACCOUNT',
  users: {
    PROBE_USER: { password: 'replaced-per-test', roles: ['PUBLIC', 'PROBE_ROLE'], defaultRole: 'PUBLIC' },
    KEY_USER: { roles: ['PUBLIC', 'PROBE_ROLE'], defaultRole: 'PROBE_ROLE' },
  },
  warehouses: { PROBE_WH: ['PROBE_ROLE'], ADMIN_WH: ['SYSADMIN'] },
  databases: { ANALYTICS: { roles: ['PROBE_ROLE'], schemas: { REPORTING: ['PROBE_ROLE'], LOCKED: ['SYSADMIN'] } } },
};
const LOCATION = { account: 'testorg-testaccount', warehouse: 'probe_wh', database: 'analytics', schema: 'reporting', role: 'probe_role' };

/** The test function's bundle as the stack builds it (its cuts unless `cuts` says otherwise), plus the harness entry. */
async function buildTestFunction(dir: string, { cuts, edits }: { cuts?: readonly BundleCut[]; edits?: readonly BundleEdit[] } = {}) {
  const { metafile } = await build({
    ...esbuildOptions(TEST_FUNCTION_ENTRY, dir, { ...(cuts ? { cuts } : {}), ...(edits ? { edits } : {}) }),
    entryPoints: { index: TEST_FUNCTION_ENTRY, 'snowflake-harness': HARNESS_ENTRY },
    logLevel: 'silent',
  });
  return { harness: join(dir, 'snowflake-harness.mjs'), metafile: metafile! };
}

/** The inputs of the lazy chunk the test function loads for a Snowflake test. */
function snowflakeChunkInputs(metafile: Metafile): string[] {
  const chunks = Object.values(metafile.outputs).filter(
    (output) => output.entryPoint && /^lib\/providers\/.*snowflake/.test(output.entryPoint),
  );
  if (chunks.length !== 1) throw new Error(`Expected one Snowflake probe chunk, found ${chunks.length}`);
  return Object.keys(chunks[0]!.inputs).sort();
}

interface ProbeRun {
  verdict: Verdict;
  ms: number;
  /** Messages of the BundleCutWarnings emitted while it ran: a stub was called. */
  cutCalls: string[];
}

/**
 * A Node process that loaded the bundle and runs Snowflake tests on request. It stays up across
 * tests, as a warm Lambda does, and reports every cut stub called.
 */
class BundledProbes {
  private readonly pending = new Map<number, (run: ProbeRun) => void>();
  private nextId = 0;
  private stderr = '';

  private constructor(private readonly child: ChildProcess) {
    child.stderr!.on('data', (chunk: Buffer) => (this.stderr += chunk.toString('utf8')));
    child.on('message', (message: ProbeRun & { id: number }) => {
      this.pending.get(message.id)?.(message);
      this.pending.delete(message.id);
    });
  }

  static start(harness: string): Promise<BundledProbes> {
    const script = `
      const cutCalls = [];
      process.on('warning', (warning) => { if (warning.code === ${JSON.stringify(BUNDLE_CUT_WARNING)}) cutCalls.push(warning.message); });
      process.on('disconnect', () => process.exit(0));
      const { testSnowflakeConnection } = await import(${JSON.stringify(harness)});
      process.on('message', async ({ id, definition, limits }) => {
        const started = performance.now();
        const verdict = definition ? await testSnowflakeConnection(definition, limits) : undefined;
        const ms = performance.now() - started;
        await new Promise((resolve) => setImmediate(resolve)); // warnings are emitted on the next tick
        process.send({ id, verdict, ms, cutCalls: cutCalls.splice(0) });
      });
      process.send({ id: -1 });`;
    // The function's environment, less what the driver loader must set itself (platform detection off).
    const env = { PATH: process.env.PATH ?? '', LOG_LEVEL: 'silent', SNOWFLAKE_DISABLE_MINICORE: 'true' };
    const child = spawn(NODE.path, ['--enable-source-maps', '--input-type=module', '-e', script], {
      env,
      stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
    });
    const probes = new BundledProbes(child);
    return new Promise((resolve, reject) => {
      probes.pending.set(-1, () => resolve(probes));
      child.once('exit', (code) => reject(new Error(`The bundled harness exited (${code}) before it was ready:\n${probes.stderr}`)));
    });
  }

  run(definition: ConnectionDefinition | undefined, limits: ProbeLimits): Promise<ProbeRun> {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      const budgetMs = limits.deadlineMs + 5_000;
      const timer = setTimeout(() => reject(new Error(`No verdict from the bundle within ${budgetMs} ms:\n${this.stderr}`)), budgetMs);
      this.pending.set(id, (run) => {
        clearTimeout(timer);
        resolve(run);
      });
      this.child.send({ id, definition, limits });
    });
  }

  /** Cut calls reported after the last verdict (a logout that went on after the deadline). */
  async lateCutCalls(): Promise<string[]> {
    return (await this.run(undefined, LIMITS)).cutCalls;
  }

  close(): void {
    this.child.disconnect();
  }
}

let fake: FakeSnowflake;
let deployed: Awaited<ReturnType<typeof buildTestFunction>>;
let probes: BundledProbes;

beforeAll(async () => {
  // Settled, not raced: a failed build must not leave the stand-in running (jest would wait on it).
  const [built, server] = await Promise.allSettled([
    buildTestFunction(join(outdir, 'deployed')),
    startFakeSnowflake(account),
    keys.fill(4),
  ]);
  if (server.status === 'fulfilled') fake = server.value;
  if (built.status === 'rejected') throw built.reason;
  if (server.status === 'rejected') throw server.reason;
  deployed = built.value;
  probes = await BundledProbes.start(deployed.harness);
}, 60_000);

afterAll(async () => {
  probes?.close();
  await fake?.close();
  rmSync(outdir, { recursive: true, force: true });
});

afterEach(async () => {
  fake.behave({});
  await fake.setMode('serve');
});

const canary = (label: string) => `canary-${label}-${randomBytes(6).toString('hex')}`;

/** One scenario: the request body, the secrets it must not leak, and optionally a stored key that create would now refuse. */
type Arrange = () => { body: unknown; secrets: string[]; storedKey?: string };

function withPassword(overrides: Record<string, unknown> = {}): Arrange {
  return () => {
    const password = canary('password');
    account.users.PROBE_USER!.password = password;
    return {
      body: { provider: 'snowflake', credentials: { ...LOCATION, username: 'probe_user', password, ...overrides } },
      secrets: [password],
    };
  };
}

function withKey({ registered, passphrase }: { registered: boolean; passphrase?: string }): Arrange {
  return () => {
    const phrase = passphrase && canary(passphrase);
    const pair = keys.take(phrase);
    account.users.KEY_USER!.publicKey = registered ? pair.publicKey : keys.take().publicKey;
    const credentials = { ...LOCATION, username: 'key_user', auth_method: 'key_pair', private_key: pair.privateKeyPem };
    return {
      body: { provider: 'snowflake', credentials: phrase ? { ...credentials, private_key_passphrase: phrase } : credentials },
      secrets: [...pemCanaries(pair.privateKeyPem), ...(phrase ? [phrase] : [])],
    };
  };
}

const smallKey: Arrange = () => {
  const { body, secrets } = withKey({ registered: true })();
  const pem = generateKeyPairSync('rsa', { modulusLength: 1024 }).privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
  return { body, secrets: [...secrets, ...pemCanaries(pem)], storedKey: pem };
};

async function probe(arrange: Arrange, limits: Partial<ProbeLimits> = {}, runner = probes): Promise<ProbeRun> {
  const { body, secrets, storedKey } = arrange();
  const definition = await parseConnectionRequest(body);
  if (storedKey !== undefined && definition.provider === 'snowflake') definition.credentials.private_key = storedKey;
  const run = await runner.run(definition, { ...LIMITS, snowflakeAccessUrl: fake.accessUrl, ...limits });
  for (const secret of secrets) expect(JSON.stringify(run.verdict)).not.toContain(secret);
  return run;
}

describe('the Snowflake chunk of the deployed test function', () => {
  test('leaves out every cut module where its importer imports it, and keeps a stub in its place', () => {
    const inputs = deployed.metafile.inputs;
    for (const cut of BUNDLE_CUTS) {
      const importers = Object.entries(inputs).filter(([path]) => path.includes(`node_modules/${cut.importedFrom}`));
      const imported = importers.flatMap(([, input]) => input.imports.map((imported) => imported.path));
      expect({ cut: cut.module, kept: imported.filter((path) => path.includes(`node_modules/${cut.module}`)) }).toEqual({
        cut: cut.module,
        kept: [],
      });
      expect(imported).toContain(`bundle-cut:${cut.module}`);
    }
  });

  test('is the chunk the test function alone would load (the harness entry changes nothing in it)', async () => {
    const alone = await build({ ...esbuildOptions(TEST_FUNCTION_ENTRY, join(outdir, 'alone')), write: false, logLevel: 'silent' });
    expect(snowflakeChunkInputs(deployed.metafile)).toEqual(snowflakeChunkInputs(alone.metafile!));
  });
  test("the OCSP cuts hold: snowflake-sdk uses none of the OCSP library's cut parts (its HTTPS path never runs against the stand-in)", () => {
    const library = readFileSync(join(PROJECT_ROOT, 'node_modules/@techteamer/ocsp/lib/ocsp.js'), 'utf8');
    const cutExports = BUNDLE_CUTS.filter((cut) => cut.importedFrom === '@techteamer/ocsp/lib/ocsp.js').map((cut) => {
      const part = cut.module.replace(/^.*\/(\w+)\.js$/, '$1');
      return new RegExp(`exports\\.(\\w+) = require\\('\\./ocsp/${part}'\\)`).exec(library)?.[1];
    });
    expect(cutExports).toEqual(['Cache', 'Agent', 'Server']);

    const lib = join(PROJECT_ROOT, 'node_modules/snowflake-sdk/dist/lib');
    const used = new Set<string>();
    for (const file of readdirSync(lib, { recursive: true, encoding: 'utf8' }).filter((name) => name.endsWith('.js'))) {
      const code = readFileSync(join(lib, file), 'utf8');
      for (const [, name] of code.matchAll(/(\w+)\s*=\s*require\(['"]@techteamer\/ocsp['"]\)/g))
        for (const [, member] of code.matchAll(new RegExp(`\\b${name}\\.(\\w+)`, 'g'))) used.add(member!);
    }
    expect(used).toContain('request'); // the scan finds the driver's uses
    expect([...used].filter((member) => cutExports.includes(member))).toEqual([]);
  });
});

describe('Snowflake tests through the bundled chunk', () => {
  test.each([
    ['a password', withPassword()],
    ['an unencrypted key pair', withKey({ registered: true })],
    ['an encrypted key pair and its passphrase', withKey({ registered: true, passphrase: 'passphrase' })],
  ])('log in with %s, check the session and log out, calling no cut', async (_, arrange) => {
    const before = fake.requests.length;
    const run = await probe(arrange);
    expect(run).toMatchObject({ verdict: { success: true, code: 'ok' }, cutCalls: [] });
    const paths = fake.requests.slice(before).map((call) => call.path);
    expect(paths).toEqual(expect.arrayContaining(['/session/v1/login-request', '/queries/v1/query-request', '/session']));
    expect(fake.openSessions).toBe(0);
  });

  interface FailureCase {
    name: string;
    arrange: Arrange;
    behaviour?: SnowflakeBehaviour;
    mode?: ConnectionMode;
    limits?: Partial<ProbeLimits>;
    code: FailureCode;
    message: RegExp;
  }
  const wrongPassword: Arrange = () => {
    const { body } = withPassword()();
    account.users.PROBE_USER!.password = canary('right-password');
    return { body, secrets: [account.users.PROBE_USER!.password] };
  };
  const FAILURES: FailureCase[] = [
    {
      name: 'wrong password',
      arrange: wrongPassword,
      code: 'auth_failed',
      message: /^Incorrect username or password for user 'probe_user'/,
    },
    { name: 'key not registered', arrange: withKey({ registered: false }), code: 'auth_failed', message: /RSA_PUBLIC_KEY/ },
    { name: 'stored RSA key below 2048 bits', arrange: smallKey, code: 'invalid_credentials', message: /2048 to 4096 bits/ },
    { name: 'role not granted', arrange: withPassword({ role: 'spare_role' }), code: 'permission_denied', message: /not granted/ },
    {
      name: 'HTTP 403 at login',
      arrange: withPassword(),
      behaviour: { loginHttpStatus: 403 },
      code: 'permission_denied',
      message: /HTTP 403/,
    },
    {
      name: 'missing warehouse',
      arrange: withPassword({ warehouse: 'no_such_wh' }),
      code: 'object_not_found',
      message: /^Warehouse 'no_such_wh'/,
    },
    {
      name: 'schema the role may not use',
      arrange: withPassword({ schema: 'locked' }),
      code: 'object_not_found',
      message: /^Schema 'locked'/,
    },
    {
      name: 'insufficient privileges',
      arrange: withPassword(),
      behaviour: { queryError: { code: '003001', message: 'SQL access control error: Insufficient privileges', sqlState: '42501' } },
      code: 'permission_denied',
      message: /lacks a privilege/,
    },
    {
      name: 'Snowflake unavailable',
      arrange: withPassword(),
      behaviour: { loginHttpStatus: 503 },
      code: 'warehouse_unavailable',
      message: /HTTP 503/,
    },
    {
      name: 'statement timeout on the server',
      arrange: withPassword(),
      behaviour: { queryError: { code: '000630', message: 'Statement reached its statement or warehouse timeout', sqlState: '57014' } },
      code: 'timeout',
      message: /cancelled the test query/,
    },
    {
      name: 'unexpected SQL error',
      arrange: withPassword(),
      behaviour: { queryError: { code: '000603', message: 'SQL execution internal error', sqlState: 'XX000' } },
      code: 'warehouse_error',
      message: /error 000603/,
    },
    {
      name: 'slow login',
      arrange: withPassword(),
      behaviour: { loginDelayMs: 1_500 },
      limits: { connectTimeoutMs: 500 },
      code: 'timeout',
      message: /did not finish within 0\.5 s/,
    },
    {
      name: 'slow query',
      arrange: withPassword(),
      behaviour: { queryDelayMs: 1_200 },
      limits: { statementTimeoutMs: 500 },
      code: 'timeout',
      message: /^The test query did not finish within 0\.5 s/,
    },
    { name: 'refused connection', arrange: withPassword(), mode: 'refuse', code: 'connection_refused', message: /^Connection refused/ },
    { name: 'connection reset', arrange: withPassword(), mode: 'reset', code: 'network_error', message: /closed unexpectedly/ },
  ];

  test.each(FAILURES)('$name -> $code, calling no cut', async ({ arrange, behaviour, mode, limits, code, message }) => {
    fake.behave(behaviour ?? {});
    await fake.setMode(mode ?? 'serve');
    const run = await probe(arrange, limits);
    expect(run).toMatchObject({ verdict: { success: false, code, error: expect.stringMatching(message) }, cutCalls: [] });
  });

  test('HTTPS to a server that does not speak TLS -> tls_error, through the OCSP-checking agent', async () => {
    const run = await probe(withPassword(), { snowflakeAccessUrl: fake.accessUrl.replace(/^http:/, 'https:') });
    expect(run).toMatchObject({ verdict: { success: false, code: 'tls_error' }, cutCalls: [] });
  });

  test('a login redirected to another host -> host_not_allowed, and the other host gets nothing', async () => {
    const trap = await startTrap();
    try {
      fake.behave({ redirectTo: trap.origin });
      const run = await probe(withPassword());
      expect(run).toMatchObject({ verdict: { success: false, code: 'host_not_allowed' }, cutCalls: [] });
      expect(trap.requests).toEqual([]);
    } finally {
      await trap.close();
    }
  });

  test('the deadline holds against a server that never answers', async () => {
    await fake.setMode('blackhole');
    const run = await probe(withPassword(), { connectTimeoutMs: 10_000, statementTimeoutMs: 10_000, deadlineMs: 1_500 });
    expect(run).toMatchObject({
      verdict: { success: false, code: 'timeout', error: 'The warehouse did not answer within 1.5 s.' },
      cutCalls: [],
    });
    expect(run.ms).toBeGreaterThanOrEqual(1_450);
    expect(run.ms).toBeLessThan(2_500); // well short of the 10 s step limits
  });

  test('no cut was called after a verdict either (sessions closed late, logouts)', async () => {
    expect(await probes.lateCutCalls()).toEqual([]);
  });
});

describe('a cut the probe does reach', () => {
  test('fails the Snowflake test loudly, naming the module (jsonwebtoken, which signs key-pair logins)', async () => {
    const signing: BundleCut = {
      specifier: 'jsonwebtoken',
      module: 'jsonwebtoken/',
      importedFrom: 'snowflake-sdk/',
      feature: 'signing key-pair logins',
      safeBecause: 'it is not: this cut shows what a wrong one does',
    };
    const overcut = await buildTestFunction(join(outdir, 'overcut'), { cuts: [...BUNDLE_CUTS, signing] });
    const overcutProbes = await BundledProbes.start(overcut.harness);
    try {
      const keyPair = await probe(withKey({ registered: true }), {}, overcutProbes);
      expect(keyPair.verdict.success).toBe(false);
      expect(keyPair.cutCalls).toEqual([
        expect.stringMatching(/jsonwebtoken.* is cut from this bundle \(infra\/bundle-cuts\.ts: signing key-pair logins\)/),
      ]);
      // A password login never signs: the same bundle still passes it.
      expect(await probe(withPassword(), {}, overcutProbes)).toMatchObject({ verdict: { success: true }, cutCalls: [] });
    } finally {
      overcutProbes.close();
    }
  }, 60_000);

  test('a cut that matches nothing fails the build, naming it (the driver renamed or moved the module)', async () => {
    const stale: BundleCut = {
      specifier: 'file_transfer_agent_v2',
      module: 'snowflake-sdk/dist/lib/file_transfer_agent/file_transfer_agent_v2.js',
      importedFrom: 'snowflake-sdk/',
      feature: 'file transfer',
      safeBecause: 'a test of the stale-cut check',
    };
    await expect(buildTestFunction(join(outdir, 'stale'), { cuts: [...BUNDLE_CUTS, stale] })).rejects.toThrow(
      /Bundle cut of snowflake-sdk\/dist\/lib\/file_transfer_agent\/file_transfer_agent_v2\.js .* matched nothing/,
    );
  }, 60_000);

  test('an edit whose text is not in its module once fails the build, naming it (the package changed)', async () => {
    const [warmUp] = BUNDLE_EDITS;
    const changed: BundleEdit = { ...warmUp!, remove: '\ngetFetch(); // a call axios no longer makes\n' };
    await expect(buildTestFunction(join(outdir, 'stale-edit'), { edits: [changed] })).rejects.toThrow(
      /Bundle edit of axios\/dist\/node\/axios\.cjs expects .* once, found it 0 times/,
    );
  }, 60_000);
});

describe('a cut module (bundle-cut-stub.ts)', () => {
  const stub = cutModule('example-sdk/lib/uploader.js', 'uploads') as Record<string, never> & (() => never);

  test('loads like the module: members can be read, extended, tested with instanceof and awaited', async () => {
    const { Uploader } = stub as unknown as { Uploader: new () => object };
    class Subclass extends Uploader {}
    expect(typeof Subclass).toBe('function');
    expect({} instanceof Uploader).toBe(false);
    expect(stub['Uploader']).toBe(Uploader);
    await expect(Promise.resolve(stub)).resolves.toBe(stub);
  });

  test('throws a BundleCutError naming the module, the member and why it was cut when used (called, constructed, listed), and warns first', () => {
    const warn = jest.spyOn(process, 'emitWarning').mockImplementation(() => undefined);
    try {
      const { Uploader } = stub as unknown as { Uploader: new () => object };
      expect(() => new Uploader()).toThrow(BundleCutError);
      expect(() => (stub as unknown as { upload: () => void }).upload()).toThrow(
        'example-sdk/lib/uploader.js.upload was called, but example-sdk/lib/uploader.js is cut from this bundle (infra/bundle-cuts.ts: uploads).',
      );
      expect(() => Object.assign({}, stub)).toThrow(BundleCutError);
      expect(warn.mock.calls.map(([message, options]) => [String(message).split(' was called')[0], options])).toEqual([
        ['example-sdk/lib/uploader.js.Uploader', { type: 'BundleCutWarning', code: BUNDLE_CUT_WARNING }],
        ['example-sdk/lib/uploader.js.upload', { type: 'BundleCutWarning', code: BUNDLE_CUT_WARNING }],
        ['example-sdk/lib/uploader.js', { type: 'BundleCutWarning', code: BUNDLE_CUT_WARNING }],
      ]);
    } finally {
      warn.mockRestore();
    }
  });
});
