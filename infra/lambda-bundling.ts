import { AssetHashType, DockerImage } from 'aws-cdk-lib';
import { Code } from 'aws-cdk-lib/aws-lambda';
import { dirname, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildBundleSync } from './bundling.js';

const PROJECT_ROOT = fileURLToPath(new URL('..', import.meta.url));

/**
 * A function's code, bundled by the project's own esbuild with the shared settings (bundling.ts),
 * never in Docker. NodejsFunction cannot split code (it bundles to one file), so the stack bundles
 * through an asset with local bundling instead; the asset hash is the output's, so an unchanged
 * bundle is not uploaded again.
 *
 * CDK stages each asset once per cache key, built from the source folder and the *serializable*
 * bundling options: the `tryBundle` closure is not part of it. Every function's entry lives in
 * `functions/`, so without the entry in the serializable options all of them share one key and
 * every function gets the first one's bundle. `command` carries the entry for that reason (it is
 * never run: there is no Docker bundling).
 */
export function lambdaCode(entry: string): Code {
  return Code.fromAsset(dirname(entry), {
    assetHashType: AssetHashType.OUTPUT,
    bundling: {
      // Never used: local bundling always succeeds or throws.
      image: DockerImage.fromRegistry('local-esbuild-only'),
      command: ['esbuild', relative(PROJECT_ROOT, entry)],
      local: {
        tryBundle(outputDir: string) {
          buildBundleSync(entry, outputDir);
          return true;
        },
      },
    },
  });
}
