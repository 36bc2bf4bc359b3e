import * as path from 'node:path';
import type { App } from 'aws-cdk-lib';
import { WebApp } from '../constructs/shared/web-app';
import { ENVIRONMENTS, selectEnvironments, type EnvironmentConfig } from './config';
import { WebTiersStack } from './web-tiers-stack';

/** The repo's sample app, bundled for every tier. */
export function sampleWebApp(): WebApp {
  return WebApp.fromEntry(path.join(__dirname, '..', 'webapp', 'src', 'app.ts'), { externalModules: ['pg-native'] });
}

/**
 * Adds one `WebTiers-<env>` stack per environment to `app`: all of them, or only the one
 * named by the `env` context value (`cdk deploy -c env=prod`).
 */
export function addEnvironmentStacks(
  app: App, environments: Readonly<Record<string, EnvironmentConfig>> = ENVIRONMENTS, webApp: WebApp = sampleWebApp(),
): WebTiersStack[] {
  return selectEnvironments(app.node.tryGetContext('env'), environments).map((name) =>
    new WebTiersStack(app, `WebTiers-${name}`, {
      environmentName: name, config: environments[name], app: webApp, assets: path.join(__dirname, '..', 'webapp', 'assets'),
    }));
}
