import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * A cloud assembly as `cdk synth` writes it and `cdk deploy` reads it: the manifest, each stack's
 * template, and the asset manifest that says which folder becomes which S3 object. Nothing here
 * reads the TypeScript sources.
 */
export interface TemplateResource {
  Type: string;
  Properties?: Record<string, unknown>;
  DependsOn?: string | string[];
  DeletionPolicy?: string;
  UpdateReplacePolicy?: string;
  Condition?: string;
}

export interface Template {
  Resources: Record<string, TemplateResource>;
  Outputs?: Record<string, { Value: unknown; Description?: string }>;
  Conditions?: Record<string, unknown>;
  Parameters?: Record<string, { Type: string; Default?: unknown }>;
}

export interface StackArtifact {
  stackName: string;
  /** The environment the assembly names: `aws://unknown-account/unknown-region` when agnostic. */
  environment: string;
  template: Template;
  /** The staged folder of a file asset, by the S3 object key the template points at. */
  assetFolder(objectKey: string): string;
}

interface Manifest {
  artifacts: Record<
    string,
    { type: string; environment?: string; displayName?: string; properties?: { templateFile?: string; file?: string } }
  >;
}

interface AssetManifest {
  files?: Record<string, { source: { path: string; packaging?: string }; destinations: Record<string, { objectKey: string }> }>;
}

export function readStackArtifacts(assemblyDir: string): StackArtifact[] {
  const manifest = readJson<Manifest>(join(assemblyDir, 'manifest.json'));
  const assetManifests = Object.values(manifest.artifacts)
    .filter((artifact) => artifact.type === 'cdk:asset-manifest' && artifact.properties?.file)
    .map((artifact) => readJson<AssetManifest>(join(assemblyDir, artifact.properties!.file!)));
  const folders = new Map<string, string>();
  for (const assets of assetManifests) {
    for (const file of Object.values(assets.files ?? {})) {
      if (file.source.packaging !== 'zip') continue;
      for (const destination of Object.values(file.destinations)) folders.set(destination.objectKey, join(assemblyDir, file.source.path));
    }
  }
  return Object.entries(manifest.artifacts)
    .filter(([, artifact]) => artifact.type === 'aws:cloudformation:stack')
    .map(([id, artifact]) => ({
      stackName: artifact.displayName ?? id,
      environment: artifact.environment ?? 'aws://unknown-account/unknown-region',
      template: readJson<Template>(join(assemblyDir, artifact.properties!.templateFile!)),
      assetFolder(objectKey: string) {
        const folder = folders.get(objectKey);
        if (!folder) throw new Error(`The assembly has no zipped asset for S3 key ${objectKey}`);
        return folder;
      },
    }));
}

export function readStackArtifact(assemblyDir: string, stackName?: string): StackArtifact {
  const stacks = readStackArtifacts(assemblyDir);
  const stack = stackName === undefined ? stacks[0] : stacks.find((candidate) => candidate.stackName === stackName);
  if (!stack || (stackName === undefined && stacks.length !== 1)) {
    throw new Error(
      `Expected ${stackName ?? 'exactly one stack'} in ${assemblyDir}; found ${stacks.map((candidate) => candidate.stackName).join(', ') || 'none'}`,
    );
  }
  return stack;
}

function readJson<T>(path: string): T {
  return JSON.parse(readFileSync(path, 'utf8')) as T;
}
