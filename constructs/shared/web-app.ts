import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { buildSync, type BuildFailure, type BuildOptions } from 'esbuild';
import { Construct, type IConstruct } from 'constructs';
import { checkAppContract, type ContractVerdict } from './app-contract';
import { arrayOf, checkSpec, describe, literal, recordOf, string, type Spec } from './checks';
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
/** The app contract's verdict per app (entry and options), checked once per synth: see app-contract.ts. */
const contracts = new Map<string, ContractVerdict>();

/** What an entry must be, in every error about it. */
const ACCEPTED_APP = "a module whose default export has fetch(request), e.g. 'export default new Hono()' or 'export default { fetch }'";
const ACCEPTED_DEFINE = "keys an identifier or dotted name such as 'process.env.API_URL', values a JavaScript expression esbuild can inline, "
  + "such as '\"text\"' (quotes included), '42', 'true' or '{\"a\":1}'";

const entryCheck = literal(string(undefined, `the path of ${ACCEPTED_APP}`));
const OPTIONS: Spec = {
  healthCheckPath: string(undefined, "an absolute URL path starting with '/', such as '/health'"),
  externalModules: arrayOf(literal(string(/^[^*]+$|^[^*]*\*[^*]*$/, "a module name or a pattern with at most one '*', such as 'pg-native' or '@scope/*'"))),
  define: recordOf(literal(string(undefined, 'a string holding a JavaScript expression')), `an object of strings: ${ACCEPTED_DEFINE}`),
};

/**
 * The web application every tier runs: a module whose default export has
 * `fetch(request: Request): Response | Promise<Response>`.
 *
 * The library owns the adapters: the server bundle listens on `PORT` and
 * drains on SIGTERM (tiers 1–4); the lambda bundle answers API Gateway
 * REST/HTTP, ALB and Function URL events (tiers 5–6). Each is built once per
 * synth with esbuild — minified, tree-shaken, with source maps — and shared
 * by every construct that needs it. No Docker is involved. The first bundle
 * built for an app also checks the app contract (see app-contract.ts).
 */
export class WebApp {
  /**
   * A web app from the path of its entry module (TypeScript or JavaScript).
   *
   * The arguments are checked here (a `WebTiersValidationError` naming the argument: `entry`,
   * `options`, `externalModules[1]`, `define.API_URL`, …); the app itself is checked when its
   * first bundle is built (see {@link WebApp.lambdaBundle}).
   */
  public static fromEntry(entry: string, options?: WebAppOptions): WebApp {
    if (entry === undefined || entry === null) throw new WebTiersValidationError(undefined, 'entry', `is required; accepted: ${entryCheck.accepted}`);
    entryCheck.validate(entry, { scope: undefined, prop: 'entry' });
    // null is how jsii languages pass an optional argument left out.
    const given = (options ?? {}) as WebAppOptions;
    if (typeof given !== 'object' || Array.isArray(given) || Construct.isConstruct(given)) {
      throw new WebTiersValidationError(undefined, 'options', `got ${describe(given)}; accepted: an object of WebAppOptions such as { externalModules: ['pg-native'] }`);
    }
    if (typeof given.externalModules === 'string') {
      throw new WebTiersValidationError(undefined, 'externalModules',
        `got ${describe(given.externalModules)}; accepted: an array of module names (one module is an array of one: ['${given.externalModules}'])`);
    }
    checkSpec(undefined, given as Record<string, unknown>, OPTIONS);
    const resolved = path.resolve(entry);
    if (!fs.existsSync(resolved) || !fs.statSync(resolved).isFile()) {
      throw new WebTiersValidationError(undefined, 'entry',
        `no file at '${resolved}'; accepted: the path of a module whose default export has fetch(request)`);
    }
    return new WebApp(resolved, {
      healthCheckPath: given.healthCheckPath ?? undefined,
      // Copies: a later change to the caller's array or object changes neither the bundles nor their cache keys.
      externalModules: given.externalModules ? [...given.externalModules] : undefined,
      define: given.define ? { ...given.define } : undefined,
    });
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

  /**
   * The bundle run by the server tiers: `node server.js` serves the app on `PORT`.
   *
   * The first bundle built for an app (either target) also checks the app contract; see
   * {@link WebApp.lambdaBundle}.
   *
   * @param scope the construct that needs the bundle, if any: its path prefixes the
   * `WebTiersValidationError` thrown when the entry cannot be bundled or breaks the app contract.
   */
  public serverBundle(scope?: IConstruct): WebAppBundle {
    return this.bundle(Target.SERVER, scope);
  }

  /**
   * The bundle run by the Lambda tiers: handler `index.handler`.
   *
   * The first bundle built for an app (either target) checks the app contract: the lambda bundle
   * is loaded once in a child `node` process (never the server bundle, which would listen), and
   * an entry whose default export has no `fetch` function fails with a `WebTiersValidationError`
   * naming `entry`. An app that cannot load at synth (it throws at import, a module is missing,
   * it blocks for over 2 s) is not failed: the adapter checks the contract again at start-up.
   *
   * @param scope the construct that needs the bundle, if any: its path prefixes the
   * `WebTiersValidationError` thrown when the entry cannot be bundled or breaks the app contract.
   */
  public lambdaBundle(scope?: IConstruct): WebAppBundle {
    return this.bundle(Target.LAMBDA, scope);
  }

  private get key(): string {
    return JSON.stringify({ entry: this.entry, external: this.options.externalModules, define: this.options.define });
  }

  private bundle(target: Target, scope: IConstruct | undefined): WebAppBundle {
    const result = this.built(target, scope);
    this.checkContract(scope);
    return result;
  }

  private built(target: Target, scope: IConstruct | undefined): WebAppBundle {
    const key = `${target}:${this.key}`;
    let result = cache.get(key);
    if (!result) {
      result = buildBundle(this.entry, target, this.options, scope);
      cache.set(key, result);
    }
    return result;
  }

  /** The app contract, once per app per synth, on the lambda bundle (see app-contract.ts). */
  private checkContract(scope: IConstruct | undefined): void {
    let verdict = contracts.get(this.key);
    if (!verdict) {
      let bundle: WebAppBundle | undefined;
      try {
        bundle = this.built(Target.LAMBDA, scope);
      } catch {
        // Only the lambda target fails to build (code behind WEB_TIERS_TARGET): the server tiers
        // are not failed for it; the lambda tiers get the error when they ask for their bundle.
      }
      verdict = bundle
        ? checkAppContract(path.join(bundle.directory, bundle.file), lambdaExternals(this.options), bundle.directory)
        : { ok: 'inconclusive', reason: 'the lambda bundle could not be built' };
      contracts.set(this.key, verdict);
    }
    if (verdict.ok === false) {
      const json = /\.json$/i.test(this.entry) ? ": a JSON module's default export is its data" : '';
      throw new WebTiersValidationError(scope, 'entry',
        `the default export of '${this.entry}' has no fetch function (got ${verdict.got}${json}); accepted: ${ACCEPTED_APP}`);
    }
  }
}

/**
 * The esbuild options of one target's bundle: what `WebApp` deploys and what the dev command serves
 * are built from the same options, so a difference between them is a bug. Internal.
 */
export function bundleOptions(entry: string, target: 'server' | 'lambda', options: WebAppOptions = {}): BuildOptions & { absWorkingDir: string } {
  const external = target === Target.LAMBDA ? lambdaExternals(options) : [...(options.externalModules ?? [])];
  const runtime = path.join(RUNTIME_DIR, target === Target.SERVER ? 'server' : 'lambda');
  const contents = target === Target.SERVER
    ? `import app from ${JSON.stringify(entry)};\nimport { startServer } from ${JSON.stringify(runtime)};\nstartServer(app);\n`
    // The database token is signed before the app's own module code runs (see database-auth.ts).
    : `import ${JSON.stringify(path.join(RUNTIME_DIR, 'database-auth'))};\nimport app from ${JSON.stringify(entry)};\nimport { createHandler } from ${JSON.stringify(runtime)};\nexport const handler = createHandler(app);\n`;
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

/** The modules the lambda bundle leaves out: the app's `externalModules`, and the AWS SDK the Lambda runtime provides. */
function lambdaExternals(options: WebAppOptions): string[] {
  return [...(options.externalModules ?? []), '@aws-sdk/*'];
}

/** The file name of a target's bundle. */
export function bundleFile(target: 'server' | 'lambda'): string {
  return target === Target.SERVER ? 'server.js' : 'index.js';
}

/**
 * Builds one target's bundle into a fresh temp folder, without the cache or the contract check
 * (what `WebApp` adds). Internal: tests use it for bundles `WebApp` would refuse.
 */
export function buildBundle(entry: string, target: 'server' | 'lambda', options: WebAppOptions = {}, scope?: IConstruct): WebAppBundle {
  const file = bundleFile(target);
  const esbuildOptions = bundleOptions(entry, target, options);
  const root = esbuildOptions.absWorkingDir;
  const directory = fs.mkdtempSync(path.join(os.tmpdir(), `cdk-web-tiers-${target}-`));
  const outfile = path.join(directory, file);

  let outputs;
  try {
    outputs = buildSync({ ...esbuildOptions, outfile, write: false }).outputFiles;
  } catch (e) {
    fs.rmSync(directory, { recursive: true, force: true });
    const { prop, message } = blame(e as BuildFailure, entry, target, options);
    throw new WebTiersValidationError(scope, prop, message);
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
 * Which option an esbuild failure is about, and the message for it. esbuild reports a bad
 * `define` or `external` as a failure of the whole build, with no location or one in the
 * generated entry; each of those options is tried alone on an empty module (a few ms, and only
 * once a build has failed), so only errors in the app's own sources are blamed on `entry`.
 */
function blame(failure: BuildFailure, entry: string, target: string, options: WebAppOptions): { prop: string; message: string } {
  for (const [key, value] of Object.entries(options.define ?? {})) {
    const error = esbuildRejects({ define: { [key]: value } });
    if (error) return { prop: `define.${key}`, message: `got ${describe(value)}: esbuild rejects it (${error}); accepted: ${ACCEPTED_DEFINE}` };
  }
  const external = esbuildRejects({ external: [...(options.externalModules ?? [])] });
  if (external) {
    return { prop: 'externalModules', message: `esbuild rejects it (${external}); accepted: module names or patterns with at most one '*', such as 'pg-native' or '@scope/*'` };
  }
  const errors = failure.errors ?? [];
  const first = errors[0];
  const text = first?.text ?? String(failure);
  const more = errors.length > 1 ? ` (and ${errors.length - 1} more)` : '';
  if (first?.location?.file === `${target}-entry.js` && /for import "default"/.test(text)) {
    return { prop: 'entry', message: `'${entry}' has no default export${more}; accepted: ${ACCEPTED_APP}` };
  }
  const where = first?.location ? ` (${first.location.file}:${first.location.line})` : '';
  return { prop: 'entry', message: `esbuild could not bundle '${entry}' for the ${target} target: ${text}${where}${more}` };
}

/** esbuild's error for an empty module built with `options`, or undefined when it builds. */
function esbuildRejects(options: BuildOptions): string | undefined {
  try {
    buildSync({ stdin: { contents: '' }, bundle: true, platform: 'node', format: 'cjs', write: false, logLevel: 'silent', ...options });
    return undefined;
  } catch (e) {
    return (e as BuildFailure).errors?.[0]?.text ?? String(e);
  }
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
