import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { SCRIPTS_DIR, writeDatabaseSupport } from '../shared/server-bootstrap';
import { describe } from '../shared/checks';
import { WebTiersValidationError } from '../shared/validation';
import type { IConstruct } from 'constructs';
import { WebApp } from '../shared/web-app';

/** Where the platform hooks go in the source bundle: app deployments and configuration changes. */
const HOOKS = ['.platform/hooks/prebuild', '.platform/confighooks/prebuild'];
const HOOK = '10-web-tiers-db-env.sh';

const bundles = new Map<string, string>();

/**
 * The source bundle: the server bundle; a Procfile whose `web` process runs `start.sh`; a
 * prebuild hook (for app and configuration deployments) that installs the database credential
 * refresh the instance tiers run; and the RDS CA bundle. Written once per server bundle.
 */
export function beanstalkSourceBundle(app: WebApp, scope?: IConstruct): string {
  if (!(app instanceof WebApp)) throw new WebTiersValidationError(undefined, 'app', `got ${describe(app)}; accepted: a WebApp, from WebApp.fromEntry(path)`);
  const bundle = app.serverBundle(scope);
  const cached = bundles.get(bundle.directory);
  if (cached) return cached;
  if (bundle.file !== 'server.js') throw new Error(`start.sh runs server.js; the server bundle is ${bundle.file}`);
  const dir = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'cdk-web-tiers-beanstalk-')), 'source');
  fs.cpSync(bundle.directory, dir, { recursive: true });
  fs.writeFileSync(path.join(dir, 'Procfile'), 'web: bash start.sh\n');
  fs.copyFileSync(path.join(SCRIPTS_DIR, 'beanstalk', 'start.sh'), path.join(dir, 'start.sh'));
  fs.chmodSync(path.join(dir, 'start.sh'), 0o755);
  for (const hooks of HOOKS) {
    fs.mkdirSync(path.join(dir, hooks), { recursive: true });
    fs.copyFileSync(path.join(SCRIPTS_DIR, 'beanstalk', 'db-env-hook.sh'), path.join(dir, hooks, HOOK));
    fs.chmodSync(path.join(dir, hooks, HOOK), 0o755);
  }
  writeDatabaseSupport(path.join(dir, 'web-tiers'));
  bundles.set(bundle.directory, dir);
  return dir;
}
