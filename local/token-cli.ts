import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { localIssuer } from './jwt.js';

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
const claim = process.env.ORG_CLAIM || 'org_id';
console.log(await issuer.sign({ sub: values.sub, [claim]: values.org }, { expiresIn: values['expires-in'] }));
