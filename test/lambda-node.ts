/**
 * The Node.js binary of the major that Lambda runs (`LAMBDA_RUNTIME`), for the runtime tests and
 * the benchmarks. A runtime bump moves them with it: the major is read from the construct's
 * runtime, and the binary comes from the npm registry's `node-<platform>-<arch>@<major>` package,
 * which ships it in its tarball (no download step). It is installed once into node_modules/.cache.
 * `LAMBDA_NODE=/path/to/node` uses a binary of your own (it must be of that major).
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { LAMBDA_RUNTIME } from '../constructs/shared/app-function';

/** 24 for `nodejs24.x`. */
export function lambdaNodeMajor(): number {
  const match = /^nodejs(\d+)\.x$/.exec(LAMBDA_RUNTIME.name);
  if (!match) throw new Error(`LAMBDA_RUNTIME is ${LAMBDA_RUNTIME.name}, not a nodejsNN.x runtime`);
  return Number(match[1]);
}

const majorOf = (bin: string) => Number(execFileSync(bin, ['-p', 'process.versions.node'], { encoding: 'utf8' }).split('.')[0]);

export function lambdaNode(): string {
  const major = lambdaNodeMajor();
  const own = process.env.LAMBDA_NODE;
  if (own) {
    if (majorOf(own) !== major) throw new Error(`LAMBDA_NODE=${own} is not Node ${major}, which ${LAMBDA_RUNTIME.name} runs`);
    return own;
  }
  if (Number(process.versions.node.split('.')[0]) === major) return process.execPath;
  const platform = process.platform === 'win32' ? 'win' : process.platform;
  const pkg = `node-${platform}-${process.arch}`;
  const dir = path.join(__dirname, '..', 'node_modules', '.cache', 'cdk-web-tiers', `${pkg}-${major}`);
  const bin = path.join(dir, 'node_modules', pkg, 'bin', platform === 'win' ? 'node.exe' : 'node');
  if (!fs.existsSync(bin)) {
    execFileSync('npm', ['install', '--no-save', '--no-package-lock', '--no-audit', '--no-fund', '--loglevel=error', '--prefix', dir, `${pkg}@${major}`], { stdio: ['ignore', 'ignore', 'inherit'] });
  }
  if (majorOf(bin) !== major) throw new Error(`${bin} is not Node ${major}; delete ${dir} and run again`);
  return bin;
}
