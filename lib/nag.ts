import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { App, Validations } from 'aws-cdk-lib';
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
 * Synthesizes one tier, with prod's settings, under every pack, and counts the results.
 * Loaded lazily so the package entry does not pull in the repo app.
 */
export function complianceOf(tier: string, context: Record<string, unknown>): Record<string, PackCounts> {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { addEnvironmentStacks } = require('./app') as typeof import('./app');
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { ENVIRONMENTS } = require('./config') as typeof import('./config');
  const outdir = fs.mkdtempSync(path.join(os.tmpdir(), `compliance-${tier}-`));
  const app = new App({ context, outdir });
  addEnvironmentStacks(app, { [tier]: { ...ENVIRONMENTS.prod, tier: tier as never } });
  addNagChecks(app, { all: true });
  try {
    app.synth();
  } catch {
    // every finding is in the report
  }
  return readValidationReport(outdir);
}
