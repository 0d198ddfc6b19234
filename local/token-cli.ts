import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { DEFAULTS } from '../lib/config.js';
import { localIssuer, TokenRejectedError } from './jwt.js';

/** `npm run --silent token -- --org <org_id> [--sub <user>] [--expires-in 1h]`: a token the local server accepts. */
const { values } = parseArgs({
  options: {
    org: { type: 'string' },
    sub: { type: 'string', default: 'local-user' },
    'expires-in': { type: 'string', default: '1h' },
  },
});
if (!values.org) {
  console.error('usage: npm run --silent token -- --org <org_id> [--sub <user>] [--expires-in 1h]');
  process.exit(2);
}
const issuer = await localIssuer({ dataDir: resolve(process.env.DATA_DIR ?? '.data') });
const claim = process.env.ORG_CLAIM || DEFAULTS.orgClaim;
const token = await issuer.sign({ sub: values.sub, [claim]: values.org }, { expiresIn: values['expires-in'] });
// Never print a token the server would refuse (e.g. --expires-in beyond the 24-hour limit).
try {
  await issuer.verifier().verify(`Bearer ${token}`);
} catch (error) {
  console.error(error instanceof TokenRejectedError ? `refused: ${error.message}` : error);
  process.exit(2);
}
console.log(token);
