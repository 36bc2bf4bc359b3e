import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { buildSync, type BuildFailure, type BuildOptions } from 'esbuild';
import { WebTiersValidationError, checkUrlPath } from './validation';

/** Options for {@link WebApp.fromEntry}. */
export interface WebAppOptions {
  /**
   * The path the app answers health checks on. Load balancers and the server
   * adapter's drain logic use it; the app should prove its dependencies there
   * (e.g. a `SELECT 1`), not just return 200.
   * @default '/health'
   */
  readonly healthCheckPath?: string;

  /**
   * Modules left out of both bundles, for optional dependencies that are
   * never loaded at run time (such as `pg-native`). Node.js built-ins are
   * always external; the lambda bundle also leaves out `@aws-sdk/*`, which the
   * Lambda runtime provides.
   * @default - none
   */
  readonly externalModules?: string[];

  /**
   * Compile-time constants, as esbuild's `define` (values are JavaScript expressions).
   * `process.env.WEB_TIERS_TARGET` is always defined, as `"server"` or `"lambda"`.
   * @default - none
   */
  readonly define?: { [name: string]: string };
}

/** What a bundling step produced: one JavaScript file and its source map, in a folder of their own. */
export interface WebAppBundle {
  /** Absolute path of the folder holding the bundle, its source map and license notices. */
  readonly directory: string;
  /** File name of the bundle inside `directory` (`server.js` or `index.js`). */
  readonly file: string;
  /** Size of the bundle file in bytes (source map excluded). */
  readonly sizeBytes: number;
}

/** Which adapter wraps the app. */
enum Target { SERVER = 'server', LAMBDA = 'lambda' }

const RUNTIME_DIR = path.join(__dirname, '..', 'runtime');
const cache = new Map<string, WebAppBundle>();

/**
 * The web application every tier runs: a module whose default export has
 * `fetch(request: Request): Response | Promise<Response>`.
 *
 * The library owns the adapters: the server bundle listens on `PORT` and
 * drains on SIGTERM (tiers 1–4); the lambda bundle answers API Gateway
 * REST/HTTP, ALB and Function URL events (tiers 5–6). Each is built once per
 * synth with esbuild — minified, tree-shaken, with source maps — and shared
 * by every construct that needs it. No Docker is involved.
 */
export class WebApp {
  /**
   * A web app from the path of its entry module (TypeScript or JavaScript).
   */
  public static fromEntry(entry: string, options: WebAppOptions = {}): WebApp {
    const resolved = path.resolve(entry);
    if (!fs.existsSync(resolved) || !fs.statSync(resolved).isFile()) {
      throw new WebTiersValidationError(undefined, 'entry',
        `no file at '${resolved}'; accepted: the path of a module whose default export has fetch(request)`);
    }
    return new WebApp(resolved, options);
  }

  /** Absolute path of the entry module. */
  public readonly entry: string;
  /** The path the app answers health checks on. */
  public readonly healthCheckPath: string;
  private readonly options: WebAppOptions;

  private constructor(entry: string, options: WebAppOptions) {
    checkUrlPath(undefined, 'healthCheckPath', options.healthCheckPath);
    this.entry = entry;
    this.options = options;
    this.healthCheckPath = options.healthCheckPath ?? '/health';
  }

  /** The bundle run by the server tiers: `node server.js` serves the app on `PORT`. */
  public serverBundle(): WebAppBundle {
    return this.bundle(Target.SERVER);
  }

  /** The bundle run by the Lambda tiers: handler `index.handler`. */
  public lambdaBundle(): WebAppBundle {
    return this.bundle(Target.LAMBDA);
  }

  private bundle(target: Target): WebAppBundle {
    const key = JSON.stringify({ entry: this.entry, target, external: this.options.externalModules, define: this.options.define });
    let result = cache.get(key);
    if (!result) {
      result = build(this.entry, target, this.options);
      cache.set(key, result);
    }
    return result;
  }
}

/**
 * The esbuild options of one target's bundle: what `WebApp` deploys and what the dev command serves
 * are built from the same options, so a difference between them is a bug. Internal.
 */
export function bundleOptions(entry: string, target: 'server' | 'lambda', options: WebAppOptions = {}): BuildOptions & { absWorkingDir: string } {
  const external = [...(options.externalModules ?? [])];
  if (target === Target.LAMBDA) external.push('@aws-sdk/*');
  const runtime = path.join(RUNTIME_DIR, target === Target.SERVER ? 'server' : 'lambda');
  const contents = target === Target.SERVER
    ? `import app from ${JSON.stringify(entry)};\nimport { startServer } from ${JSON.stringify(runtime)};\nstartServer(app);\n`
    : `import app from ${JSON.stringify(entry)};\nimport { createHandler } from ${JSON.stringify(runtime)};\nexport const handler = createHandler(app);\n`;
  return {
    stdin: { contents, resolveDir: path.dirname(entry), sourcefile: `${target}-entry.js`, loader: 'js' },
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    mainFields: ['module', 'main'],
    minify: true,
    treeShaking: true,
    sourcemap: 'linked',
    sourcesContent: false,
    legalComments: 'external',
    external,
    // Both bundles bind the app's Headers/Request/Response/fetch to the light classes.
    inject: [runtimeFile('fetch-globals')],
    // WEB_TIERS_TARGET lets an app leave the other target's code out of the bundle.
    define: { 'process.env.NODE_ENV': '"production"', ...options.define, 'process.env.WEB_TIERS_TARGET': JSON.stringify(target) },
    absWorkingDir: packageRoot(entry),
    logLevel: 'silent',
  };
}

/** The file name of a target's bundle. */
export function bundleFile(target: 'server' | 'lambda'): string {
  return target === Target.SERVER ? 'server.js' : 'index.js';
}

function build(entry: string, target: Target, options: WebAppOptions): WebAppBundle {
  const file = bundleFile(target);
  const esbuildOptions = bundleOptions(entry, target, options);
  const root = esbuildOptions.absWorkingDir;
  const directory = fs.mkdtempSync(path.join(os.tmpdir(), `cdk-web-tiers-${target}-`));
  const outfile = path.join(directory, file);

  let outputs;
  try {
    outputs = buildSync({ ...esbuildOptions, outfile, write: false }).outputFiles;
  } catch (e) {
    const failure = e as BuildFailure;
    const first = failure.errors?.[0];
    const where = first?.location ? ` (${first.location.file}:${first.location.line})` : '';
    throw new WebTiersValidationError(undefined, 'entry',
      `esbuild could not bundle '${entry}' for the ${target} target: ${first?.text ?? String(e)}${where}`);
  }

  let sizeBytes = 0;
  for (const out of outputs) {
    let bytes: Uint8Array | string = out.contents;
    if (out.path.endsWith('.map')) {
      // esbuild writes sources relative to the output folder, which is a fresh temp
      // folder each time; make them relative to the app's package root instead so the
      // bundle (and so its asset hash) is the same on every machine.
      const map = JSON.parse(out.text) as { sources: string[] };
      map.sources = map.sources.map((s) => path.relative(root, path.resolve(directory, s)).split(path.sep).join('/'));
      bytes = JSON.stringify(map);
    } else if (out.path === outfile) {
      sizeBytes = out.contents.byteLength;
    }
    fs.writeFileSync(out.path, bytes);
  }
  return { directory, file, sizeBytes };
}

/**
 * An ES module of the runtime by name (esbuild injects only ES modules): TypeScript in the source
 * tree, JavaScript in the published package.
 */
function runtimeFile(name: string): string {
  const source = path.join(RUNTIME_DIR, `${name}.mts`);
  return fs.existsSync(source) ? source : path.join(RUNTIME_DIR, `${name}.mjs`);
}

/** The nearest folder above `file` holding a package.json (or the file's own folder). */
function packageRoot(file: string): string {
  let dir = path.dirname(file);
  for (;;) {
    if (fs.existsSync(path.join(dir, 'package.json'))) return dir;
    const parent = path.dirname(dir);
    if (parent === dir) return path.dirname(file);
    dir = parent;
  }
}
