import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { databaseUrlShell } from '../shared/server-bootstrap';
import type { WebApp } from '../shared/web-app';

/**
 * The source bundle: the server bundle, a start script that reads the database secret with the
 * instance profile and execs the server, and a Procfile that runs it. Written once per bundle.
 */
export function beanstalkSourceBundle(app: WebApp): string {
  const bundle = app.serverBundle();
  const dir = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'cdk-web-tiers-beanstalk-')), 'source');
  fs.cpSync(bundle.directory, dir, { recursive: true });
  fs.writeFileSync(path.join(dir, 'Procfile'), 'web: bash start.sh\n');
  fs.writeFileSync(path.join(dir, 'start.sh'), `#!/bin/bash
# Started by Beanstalk (Procfile). The database password never sits in the environment:
# it is read from Secrets Manager here, with the instance profile, and handed to the server.
set -euo pipefail
if [ -n "\${DATABASE_SECRET_ARN:-}" ]; then
  SECRET_ARN="$DATABASE_SECRET_ARN"
  REGION=$(echo "$SECRET_ARN" | cut -d: -f4)
${databaseUrlShell('node', '"$PWD/rds-ca.pem"').split('\n').map((l) => `  ${l}`).join('\n')}
  export DATABASE_URL
  [ -n "$NODE_EXTRA_CA_CERTS" ] && export NODE_EXTRA_CA_CERTS
fi
exec node --enable-source-maps ${bundle.file}
`, { mode: 0o755 });
  return dir;
}
