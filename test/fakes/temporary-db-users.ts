import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { TEST_POSTGRES, testPostgresAddress } from '../setup/test-postgres-fixture.js';

/**
 * What Redshift does in the database when it issues temporary credentials, played on the real test
 * PostgreSQL: a fresh password for the login user, valid until the credentials expire (created
 * first when asked to, as AutoCreate and Redshift Serverless do). The users are members of the test
 * role, so they may use its schemas; they are dropped on close. Works through a role that may only
 * create roles (CREATEROLE), never the superuser.
 */
export interface TemporaryDbUsers {
  /** A database user as the customer's administrator would create it (no password: only issued ones work). */
  create(login: string): Promise<void>;
  /**
   * A fresh password for `login` until `expiresAt`; when the user does not exist and may not be
   * created, a password that works nowhere (Redshift's call succeeds, the login then fails).
   */
  issue(login: string, expiresAt: Date, autoCreate: boolean): Promise<string>;
  /** Every password issued, for the tests that check none leaks. */
  readonly issuedPasswords: string[];
  close(): Promise<void>;
}

export async function connectTemporaryDbUsers(): Promise<TemporaryDbUsers> {
  const { host, port } = testPostgresAddress();
  const admin = new pg.Client({
    host,
    port,
    database: TEST_POSTGRES.database,
    user: TEST_POSTGRES.iamAdminUsername,
    password: TEST_POSTGRES.iamAdminPassword,
  });
  await admin.connect();
  const created = new Set<string>();
  const issuedPasswords: string[] = [];
  const exists = async (login: string) => (await admin.query('SELECT 1 FROM pg_roles WHERE rolname = $1', [login])).rowCount === 1;
  const create = async (login: string) => {
    created.add(login);
    await admin.query(`CREATE ROLE ${admin.escapeIdentifier(login)} LOGIN IN ROLE ${admin.escapeIdentifier(TEST_POSTGRES.username)}`);
  };

  return {
    create,
    issuedPasswords,
    async issue(login, expiresAt, autoCreate) {
      const password = `rs-temp-canary-${randomBytes(18).toString('base64url')}`;
      issuedPasswords.push(password);
      if (!(await exists(login))) {
        if (!autoCreate) return password;
        await create(login);
      }
      await admin.query(
        `ALTER ROLE ${admin.escapeIdentifier(login)} PASSWORD ${admin.escapeLiteral(password)} VALID UNTIL ${admin.escapeLiteral(expiresAt.toISOString())}`,
      );
      return password;
    },
    async close() {
      try {
        for (const login of created) await admin.query(`DROP ROLE IF EXISTS ${admin.escapeIdentifier(login)}`);
      } finally {
        await admin.end();
      }
    },
  };
}
