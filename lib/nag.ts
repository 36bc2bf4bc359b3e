import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { App, Stack, Validations } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import type { WebApp } from '../constructs/shared/web-app';
import { CfnGuardValidator } from '@cdklabs/cdk-validator-cfnguard';
import { AwsSolutionsChecks, HIPAASecurityChecks, NIST80053R5Checks } from 'cdk-nag';

/**
 * The one place the project touches cdk-nag and the Guard validator. AwsSolutions runs on every
 * synth; `all` adds the HIPAA Security and NIST 800-53 rev 5 packs and the Control Tower Guard
 * rules. Findings fail synthesis and are written to cdk.out/validation-report.json;
 * acknowledgements live next to the resources they concern.
 */
export function addNagChecks(app: App, options: { all?: boolean } = {}): void {
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  if (options.all) {
    Validations.of(app).addPlugins(new HIPAASecurityChecks(app), new NIST80053R5Checks(app), new CfnGuardValidator());
  }
}

/** The rule packs whose results are counted. */
export const PACKS = ['AwsSolutions', 'HIPAA.Security', 'NIST.800.53.R5', 'cdk-validator-cfnguard'] as const;

export interface PackCounts {
  /** Findings nobody acknowledged: each fails synth. */
  readonly unacknowledged: string[];
  /** Findings acknowledged with a reason, by rule. */
  readonly acknowledged: Record<string, number>;
}

/** Reads cdk.out/validation-report.json into counts per pack. */
export function readValidationReport(outdir: string): Record<string, PackCounts> {
  const file = path.join(outdir, 'validation-report.json');
  const report = fs.existsSync(file) ? JSON.parse(fs.readFileSync(file, 'utf8')) : { pluginReports: [] };
  const counts: Record<string, PackCounts> = {};
  for (const pack of PACKS) counts[pack] = { unacknowledged: [], acknowledged: {} };
  for (const plugin of report.pluginReports as Array<{ pluginName: string; violations: any[]; suppressedViolations?: any[] }>) {
    const entry = counts[plugin.pluginName];
    if (!entry) continue;
    for (const v of plugin.violations) {
      for (const c of v.violatingConstructs ?? [{}]) entry.unacknowledged.push(`${v.ruleName} on ${c.constructPath ?? '?'}`);
    }
    for (const v of plugin.suppressedViolations ?? []) {
      entry.acknowledged[v.ruleName] = (entry.acknowledged[v.ruleName] ?? 0) + Math.max(1, (v.violatingConstructs ?? []).length);
    }
  }
  return counts;
}

/**
 * What a compliance run synthesizes: `prod`, the tier with this repo's prod settings through
 * `WebTiersStack`; `defaults`, the tier construct alone with nothing but the app, as a consumer's
 * first `new XTier(stack, 'Web', { app })`.
 */
export const COMPLIANCE_SETTINGS = ['prod', 'defaults'] as const;
export type ComplianceSettings = typeof COMPLIANCE_SETTINGS[number];

/**
 * Synthesizes one tier, with prod's settings or with default props, under every pack, and counts
 * the results. Loaded lazily so the package entry does not pull in the repo app.
 */
export function complianceOf(tier: string, context: Record<string, unknown>, settings: ComplianceSettings = 'prod'): Record<string, PackCounts> {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { addEnvironmentStacks, sampleWebApp } = require('./app') as typeof import('./app');
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { ENVIRONMENTS } = require('./config') as typeof import('./config');
  const outdir = fs.mkdtempSync(path.join(os.tmpdir(), `compliance-${settings}-${tier}-`));
  const app = new App({ context, outdir });
  if (settings === 'prod') {
    addEnvironmentStacks(app, { [tier]: { ...ENVIRONMENTS.prod, tier: tier as never } });
  } else {
    defaultTier(new Stack(app, `Defaults-${tier}`), tier, sampleWebApp());
  }
  addNagChecks(app, { all: true });
  try {
    app.synth();
  } catch {
    // every finding is in the report
  }
  return readValidationReport(outdir);
}

/** The tier named `tier` with default props: only the app. */
function defaultTier(scope: Construct, tier: string, app: WebApp): void {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const c = require('../constructs') as typeof import('../constructs');
  const make: Record<string, () => Construct> = {
    'single-instance': () => new c.SingleInstanceTier(scope, 'Web', { app }),
    'load-balanced': () => new c.LoadBalancedTier(scope, 'Web', { app }),
    'auto-scaling': () => new c.AutoScalingTier(scope, 'Web', { app }),
    'managed-auto-scaling': () => new c.ManagedAutoScalingTier(scope, 'Web', { app }),
    'serverless': () => new c.ServerlessTier(scope, 'Web', { app }),
    'managed-serverless': () => new c.ManagedServerlessTier(scope, 'Web', { app }),
  };
  if (!make[tier]) throw new Error(`unknown tier '${tier}'; known: ${Object.keys(make).join(', ')}`);
  make[tier]();
}
