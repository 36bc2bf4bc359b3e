import * as path from 'node:path';
import type { App } from 'aws-cdk-lib';
import { WebApp } from '../constructs/shared/web-app';
import { ENVIRONMENTS, PREVIEWS, previewConfig, selectEnvironments, type EnvironmentConfig, type PreviewsConfig } from './config';
import { WebTiersStack } from './web-tiers-stack';

/** The repo's sample app, bundled for every tier. */
export function sampleWebApp(): WebApp {
  return WebApp.fromEntry(path.join(__dirname, '..', 'webapp', 'src', 'app.ts'), { externalModules: ['pg-native'] });
}

/**
 * Adds one `WebTiers-<env>` stack per environment to `app`: all of them, or only the one
 * named by the `env` context value (`cdk deploy -c env=prod`), which may also name a preview
 * (`-c env=pr-42`, `-c env=dev-alice`: see {@link PreviewsConfig}). `-c previewNow=<ISO time>`
 * fixes the time a preview's age counts from (default: the clock at synth).
 */
export function addEnvironmentStacks(
  app: App, environments: Readonly<Record<string, EnvironmentConfig>> = ENVIRONMENTS, webApp: WebApp = sampleWebApp(),
  previews: PreviewsConfig | undefined = PREVIEWS,
): WebTiersStack[] {
  return selectEnvironments(app.node.tryGetContext('env'), environments, previews).map((name) => {
    const preview = environments[name] === undefined ? previews : undefined;
    const now = app.node.tryGetContext('previewNow');
    return new WebTiersStack(app, `WebTiers-${name}`, {
      environmentName: name,
      config: preview ? previewConfig(name, preview, environments) : environments[name],
      app: webApp,
      assets: path.join(__dirname, '..', 'webapp', 'assets'),
      preview: preview && { of: preview.from, maxAge: preview.maxAge, now: now ? new Date(String(now)) : undefined },
    });
  });
}
