import { AssetHashType, DockerImage } from 'aws-cdk-lib';
import { Code } from 'aws-cdk-lib/aws-lambda';
import { buildSync } from 'esbuild';
import { dirname } from 'node:path';
import { esbuildOptions } from './bundling.js';

/**
 * A function's code, bundled by the project's own esbuild with the shared settings (bundling.ts),
 * never in Docker. NodejsFunction cannot split code (it bundles to one file), so the stack bundles
 * through an asset with local bundling instead; the asset hash is the output's, so an unchanged
 * bundle is not uploaded again.
 */
export function lambdaCode(entry: string): Code {
  return Code.fromAsset(dirname(entry), {
    assetHashType: AssetHashType.OUTPUT,
    bundling: {
      // Never used: local bundling always succeeds or throws.
      image: DockerImage.fromRegistry('local-esbuild-only'),
      local: {
        tryBundle(outputDir: string) {
          buildSync({ ...esbuildOptions(entry, outputDir), logLevel: 'error' });
          return true;
        },
      },
    },
  });
}
