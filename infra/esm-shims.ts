/**
 * Injected into every Lambda bundle (see bundling.ts): CommonJS code bundled into an ES module
 * finds __dirname and __filename here. They name the bundle, which is all such code can expect.
 */
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const bundleFile = fileURLToPath(import.meta.url);

export { bundleFile as __filename };
export const __dirname = dirname(bundleFile);
