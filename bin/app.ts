#!/usr/bin/env node
import * as path from 'node:path';
import { App } from 'aws-cdk-lib';
import { WebApp } from '../constructs';
import { ENVIRONMENTS, selectEnvironments } from '../lib/config';
import { addNagChecks } from '../lib/nag';
import { WebTiersStack } from '../lib/web-tiers-stack';

// One stack per environment; `cdk synth` builds them all, `cdk deploy -c env=prod` builds just one.
const app = new App();
const webApp = WebApp.fromEntry(path.join(__dirname, '..', 'webapp', 'src', 'app.ts'), {
  externalModules: ['pg-native'],
});
for (const name of selectEnvironments(app.node.tryGetContext('env'))) {
  new WebTiersStack(app, `WebTiers-${name}`, { environmentName: name, config: ENVIRONMENTS[name], app: webApp });
}
addNagChecks(app);
