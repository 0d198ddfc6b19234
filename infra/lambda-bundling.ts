import { OutputFormat, SourceMapMode, type BundlingOptions } from 'aws-cdk-lib/aws-lambda-nodejs';
import { LAMBDA_BUNDLE } from './bundling.js';

/**
 * The shared bundle settings as NodejsFunction bundling options. Bundling runs the project's own
 * esbuild, never Docker: Docker is not needed to deploy, and local esbuild is the one tests and
 * benchmarks use.
 */
export function lambdaBundling(): BundlingOptions {
  return {
    forceDockerBundling: false,
    target: LAMBDA_BUNDLE.target,
    format: OutputFormat.ESM,
    mainFields: [...LAMBDA_BUNDLE.mainFields],
    minify: LAMBDA_BUNDLE.minify,
    keepNames: LAMBDA_BUNDLE.keepNames,
    sourceMap: LAMBDA_BUNDLE.sourcemap,
    sourceMapMode: SourceMapMode.DEFAULT,
    sourcesContent: LAMBDA_BUNDLE.sourcesContent,
    banner: LAMBDA_BUNDLE.banner,
    inject: [...LAMBDA_BUNDLE.inject],
    externalModules: [...LAMBDA_BUNDLE.external],
  };
}
