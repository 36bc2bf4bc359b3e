import { spawnSync } from 'node:child_process';

/**
 * The app contract, checked at synth: the entry's default export must have `fetch(request)`.
 *
 * How: the LAMBDA bundle is loaded (`require`d) in a child `node` process. That bundle's only
 * top-level statement of its own is `export const handler = createHandler(app)`, and
 * `createHandler` runs `assertFetchApp(app)` (constructs/runtime/contract.ts), so loading it is
 * the contract check the Lambda runtime would do at a cold start, without a server: the server
 * bundle is never loaded, it listens. The child reports what it saw on fd 3 and exits at once,
 * whatever the app left pending (timers, sockets, promises).
 *
 * The app's own module code does run. Choices for what that may do:
 * - **Only a contract violation fails the synth.** Anything else the load runs into (the app
 *   throws at import because `DATABASE_URL` is unset, a module not found, a crash, the app calling
 *   `process.exit()`) makes the check *inconclusive*: no error, and the Lambda adapter still checks
 *   the contract at start-up. Synth must not fail because of what an app needs at run time.
 * - **Never hangs the synth.** Asynchronous side effects at import (connecting to a database,
 *   timers) do not delay the check: the child exits as soon as `require` returns. Something that
 *   blocks synchronously (a busy loop, `Atomics.wait`, `execSync`) is cut by
 *   {@link CONTRACT_CHECK_TIMEOUT_MS} (SIGKILL, so a SIGTERM handler cannot hold it); a timeout is
 *   inconclusive, with no error.
 * - **Nothing of the deployer's leaks in.** The child gets an empty environment (no AWS
 *   credentials, no `DATABASE_URL`, no `NODE_OPTIONS`) and runs in the bundle's temp folder.
 * - **External modules are stubs.** Modules left out of the bundle (`@aws-sdk/*`, the app's
 *   `externalModules`) resolve in the child to a stub that accepts any use (call, `new`, any
 *   property), so an app that creates an SDK client at import is still checked, without the SDK
 *   being installed next to the bundle, loaded (slow) or able to call AWS. A stub can only make
 *   the check pass, never fail it.
 */
export type ContractVerdict =
  | { readonly ok: true }
  | { readonly ok: false; readonly got: string }
  | { readonly ok: 'inconclusive'; readonly reason: string };

/** How long the child may take to load the bundle before the check is given up (inconclusive). */
export const CONTRACT_CHECK_TIMEOUT_MS = 2_000;

const MARKER = '@@cdk-web-tiers-contract@@';

/**
 * The child's program (CommonJS, run with `node -e`): argv is the bundle file and the JSON list of
 * external patterns (esbuild's syntax: a name, which also covers its subpaths, or one `*`).
 */
const CHILD = `
const Module = require('node:module');
const fs = require('node:fs');
const [file, patternsJson, marker] = process.argv.slice(1);
const patterns = JSON.parse(patternsJson);
const external = (request) => patterns.some((p) => {
  const star = p.indexOf('*');
  if (star < 0) return request === p || request.startsWith(p + '/');
  return request.length >= p.length - 1 && request.startsWith(p.slice(0, star)) && request.endsWith(p.slice(star + 1));
});
const lookup = new Proxy(Object.create(null), { get: () => stub, getPrototypeOf: () => null });
const stub = new Proxy(function () {}, {
  get: (_, key) => key === Symbol.toPrimitive ? () => '' : key === 'then' || key === '__esModule' ? undefined : stub,
  apply: () => stub,
  construct: () => stub,
  getPrototypeOf: () => lookup,
});
const load = Module._load;
Module._load = function (request, ...rest) {
  return typeof request === 'string' && !Module.isBuiltin(request) && external(request) ? stub : load.call(this, request, ...rest);
};
const report = (verdict) => {
  fs.writeSync(3, '\\n' + marker + JSON.stringify(verdict) + '\\n');
  process.exit(0);
};
try {
  require(file);
  report({ ok: true });
} catch (e) {
  const message = e && typeof e.message === 'string' ? e.message : String(e);
  const contract = /must have a default export with fetch\\(request\\) \\(got ([^)]*)\\)/.exec(message);
  if (contract && e instanceof TypeError) report({ ok: false, got: contract[1] });
  report({ ok: 'inconclusive', reason: (e && e.code === 'MODULE_NOT_FOUND' ? 'a module was not found: ' : 'the app threw at load: ') + message.split('\\n')[0] });
}
`;

/**
 * Loads a lambda bundle in a child process and reports whether its app follows the contract.
 * `externals` are the patterns the bundle left out (stubbed in the child).
 */
export function checkAppContract(bundleFile: string, externals: readonly string[], cwd: string, timeoutMs = CONTRACT_CHECK_TIMEOUT_MS): ContractVerdict {
  const env: Record<string, string> = {};
  // Windows needs SystemRoot to start a process at all; nothing else of the deployer's goes in.
  if (process.env.SystemRoot) env.SystemRoot = process.env.SystemRoot;
  const child = spawnSync(process.execPath, ['-e', CHILD, bundleFile, JSON.stringify(externals), MARKER], {
    cwd,
    env,
    // The verdict comes on fd 3, a pipe only this child holds: processes the app starts with
    // inherited stdio (fds 0-2) cannot keep spawnSync waiting once the child has exited.
    stdio: ['ignore', 'ignore', 'ignore', 'pipe'],
    timeout: timeoutMs,
    killSignal: 'SIGKILL',
    encoding: 'utf8',
    maxBuffer: 4 * 1024 * 1024,
    windowsHide: true,
  });
  const report = String(child.output?.[3] ?? '');
  const at = report.lastIndexOf(MARKER);
  if (at >= 0) {
    try {
      return JSON.parse(report.slice(at + MARKER.length).split('\n')[0]) as ContractVerdict;
    } catch {
      // Fall through: something wrote over the report.
    }
  }
  const error = child.error as NodeJS.ErrnoException | undefined;
  if (error?.code === 'ETIMEDOUT') return { ok: 'inconclusive', reason: `loading the app took over ${timeoutMs} ms` };
  if (error) return { ok: 'inconclusive', reason: `the check could not run: ${error.message}` };
  return { ok: 'inconclusive', reason: `the app ended the check (exit ${child.status ?? child.signal})` };
}
