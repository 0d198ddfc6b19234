/**
 * `node --import tsx infra/build-bundle.ts <entry> <outdir>`: builds one Lambda bundle as the stack
 * deploys it (bundling.ts). Run by buildBundleSync, because CDK's local bundling is synchronous and
 * esbuild runs plugins only in its asynchronous API.
 */
import { build } from 'esbuild';
import { copyNativeBindings, esbuildOptions } from './bundling.js';

const [entry, outdir] = process.argv.slice(2);
if (!entry || !outdir) throw new Error('usage: build-bundle.ts <entry> <outdir>');
const { metafile } = await build({ ...esbuildOptions(entry, outdir), metafile: true, logLevel: 'error' });
copyNativeBindings(Object.keys(metafile.inputs), outdir);
