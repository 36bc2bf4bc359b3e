import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { buildSync } from 'esbuild';

const bundled = new Map<string, string>();

/**
 * The code of one of the library's own Lambda handlers: a folder holding `index.js`, the handler in
 * `handlerDir` bundled by esbuild (from TypeScript in the source tree, from the compiled JavaScript
 * in the published package), with `@aws-sdk/*` left to the Lambda runtime. The folder is named
 * after the bundle's hash (and `name`) and paths in the bundle are relative to the handler's
 * folder, so the asset hash is the same on every synth. Bundled once per process.
 */
export function handlerBundle(handlerDir: string, name: string): string {
  const known = bundled.get(handlerDir);
  if (known && fs.existsSync(path.join(known, 'index.js'))) return known;
  const entry = ['index.ts', 'index.js'].map((f) => path.join(handlerDir, f)).find((f) => fs.existsSync(f));
  if (!entry) throw new Error(`cdk-web-tiers: the ${name} handler is missing from ${handlerDir}`);
  const [out] = buildSync({
    entryPoints: [entry],
    outfile: 'bundle/index.js', // not written (write: false); a path apart from the entry in dist
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node24',
    external: ['@aws-sdk/*'],
    absWorkingDir: handlerDir,
    legalComments: 'none',
    logLevel: 'silent',
    write: false,
  }).outputFiles;
  const hash = createHash('sha256').update(out.contents).digest('hex').slice(0, 16);
  const directory = path.join(os.tmpdir(), `cdk-web-tiers-${name}-${hash}`);
  const file = path.join(directory, 'index.js');
  if (!fs.existsSync(file)) {
    // Written under a temporary name, then renamed: parallel synths never see half a file.
    fs.mkdirSync(directory, { recursive: true });
    const partial = path.join(os.tmpdir(), `cdk-web-tiers-${name}-${hash}.${process.pid}.tmp`);
    fs.writeFileSync(partial, out.contents);
    fs.renameSync(partial, file);
  }
  bundled.set(handlerDir, directory);
  return directory;
}
