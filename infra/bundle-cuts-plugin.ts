import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import type { Plugin, PluginBuild } from 'esbuild';
import type { BundleCut, BundleEdit } from './bundle-cuts.js';

const PROJECT_ROOT = fileURLToPath(new URL('..', import.meta.url));
const STUB_RUNTIME = fileURLToPath(new URL('./bundle-cut-stub.ts', import.meta.url));
const NAMESPACE = 'bundle-cut';
const RESOLVING = Symbol('resolving for a bundle cut');

/**
 * A path from the project's node_modules/ on (metafile inputs are relative, importers absolute):
 * `axios/…` is the project's own axios, not a copy nested under another package, which keeps its own.
 */
const underNodeModules = (path: string) => {
  const normalized = `/${path.replace(/\\/g, '/')}`;
  const at = normalized.indexOf('/node_modules/');
  return at < 0 ? normalized : normalized.slice(at + '/node_modules/'.length);
};
const escapeRegExp = (text: string) => text.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
const packageOf = (path: string) =>
  path
    .split('/')
    .slice(0, path.startsWith('@') ? 2 : 1)
    .join('/');

/**
 * An esbuild plugin that applies bundle cuts (each a module replaced by a stub where its importer
 * imports it) and bundle edits (text removed from a module) to every build it is given to, and
 * fails the build when one no longer matches (bundle-cuts.ts describes both).
 */
export function bundleCuts({ cuts, edits }: { cuts: readonly BundleCut[]; edits: readonly BundleEdit[] }): Plugin {
  return {
    name: 'bundle-cuts',
    setup(build: PluginBuild) {
      if (cuts.length === 0 && edits.length === 0) return;
      build.initialOptions.metafile = true;
      const applied = new Set<BundleCut>();
      build.onStart(() => applied.clear());

      if (cuts.length > 0) {
        const specifiers = [...new Set(cuts.map((cut) => cut.specifier))].map(escapeRegExp);
        build.onResolve({ filter: new RegExp(`(^|/)(${specifiers.join('|')})(\\.js|/index\\.js)?$`) }, async (args) => {
          if (args.pluginData === RESOLVING) return undefined;
          const importer = underNodeModules(args.importer);
          const candidates = cuts.filter(
            (cut) => importer.startsWith(cut.importedFrom) && args.path.split('/').includes(cut.specifier.split('/').at(-1)!),
          );
          if (candidates.length === 0) return undefined;
          const resolved = await build.resolve(args.path, {
            kind: args.kind,
            importer: args.importer,
            resolveDir: args.resolveDir,
            pluginData: RESOLVING,
          });
          if (resolved.errors.length > 0) return undefined;
          const cut = candidates.find((candidate) => underNodeModules(resolved.path).startsWith(candidate.module));
          if (!cut) return undefined;
          applied.add(cut);
          return { path: cut.module, namespace: NAMESPACE, pluginData: cut };
        });

        build.onLoad({ filter: /.*/, namespace: NAMESPACE }, (args) => {
          const cut = args.pluginData as BundleCut;
          return {
            contents: `module.exports = require(${JSON.stringify(STUB_RUNTIME)}).cutModule(${JSON.stringify(cut.module)}, ${JSON.stringify(cut.feature)});`,
            loader: 'js',
            resolveDir: PROJECT_ROOT,
          };
        });
      }

      for (const edit of edits) {
        build.onLoad(
          { filter: new RegExp(`[\\\\/]node_modules[\\\\/]${escapeRegExp(edit.module).replace(/\\\//g, '[\\\\/]')}$`) },
          async (args) => {
            const source = await readFile(args.path, 'utf8');
            const found = source.split(edit.remove).length - 1;
            if (found !== 1)
              return {
                errors: [
                  {
                    text: `Bundle edit of ${edit.module} expects ${JSON.stringify(edit.remove)} once, found it ${found} times: the package changed. Update or remove it in infra/bundle-cuts.ts.`,
                  },
                ],
              };
            return { contents: source.replace(edit.remove, '\n'), loader: 'js' };
          },
        );
      }

      build.onEnd((result) => {
        const inputs = Object.keys(result.metafile?.inputs ?? {}).map(underNodeModules);
        const staleCuts = cuts.filter((cut) => !applied.has(cut) && inputs.some((input) => input.startsWith(cut.importedFrom)));
        const staleEdits = edits.filter(
          (edit) => !inputs.includes(edit.module) && inputs.some((input) => input.startsWith(`${packageOf(edit.module)}/`)),
        );
        return {
          errors: [
            ...staleCuts.map((cut) => ({
              text: `Bundle cut of ${cut.module} (imported from ${cut.importedFrom}) matched nothing: the driver changed. Update or remove it in infra/bundle-cuts.ts.`,
            })),
            ...staleEdits.map((edit) => ({
              text: `Bundle edit of ${edit.module} matched nothing: the package changed. Update or remove it in infra/bundle-cuts.ts.`,
            })),
          ],
        };
      });
    },
  };
}
