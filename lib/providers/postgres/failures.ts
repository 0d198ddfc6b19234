import { ProbeFailure } from '../verdict.js';
import type { OwnCodes } from '../pg-wire/failures.js';

/**
 * PostgreSQL's own reading of the codes the shared wire classifier (lib/providers/pg-wire/failures.ts)
 * leaves open: 28000 is a login refused by pg_hba.conf or a role without LOGIN.
 */
export const postgresCodes: OwnCodes = (code, context, cause) =>
  code === '28000'
    ? new ProbeFailure(
        'auth_failed',
        `The server does not accept user '${context.username}' from this network (pg_hba.conf) or the role may not log in.`,
        { cause },
      )
    : undefined;
