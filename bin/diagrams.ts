#!/usr/bin/env node
/**
 * `npm run diagrams`: draws each tier (with prod's settings) into docs/diagrams/<tier>.svg, the
 * pictures the README shows. The same drawing is in every review report. test/review.test.ts draws
 * them again with the functions below and fails when a committed picture is out of date.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { App } from 'aws-cdk-lib';
import { Template as Assertions } from 'aws-cdk-lib/assertions';
import { addEnvironmentStacks } from '../lib/app';
import { ENVIRONMENTS, TIERS, type EnvironmentConfig, type TierName } from '../lib/config';
import { renderSvg, stackDot, type Template } from '../lib/review';

/** Where the pictures go. */
export const DIAGRAMS_DIR = path.join(__dirname, '..', 'docs', 'diagrams');

/** The committed picture of a tier. */
export function diagramFile(tier: TierName): string {
  return path.join(DIAGRAMS_DIR, `${tier}.svg`);
}

/**
 * The template a tier's picture is drawn from: the prod stack (cdk.json's context, prod's
 * settings) on that tier, synthesized with aws-cdk-lib's CloudFormation validator off, which
 * checks the template but does not change it. `settings` change prod's (e.g. `store: 'dynamodb'`).
 */
export function tierTemplate(tier: TierName, settings: Partial<EnvironmentConfig> = {}): Template {
  const context = JSON.parse(fs.readFileSync(path.join(__dirname, '..', 'cdk.json'), 'utf8')).context;
  const previous = process.env.CDK_VALIDATION;
  process.env.CDK_VALIDATION = 'false';
  try {
    const [stack] = addEnvironmentStacks(new App({ context }), { prod: { ...ENVIRONMENTS.prod, ...settings, tier } });
    return Assertions.fromStack(stack).toJSON() as Template;
  } finally {
    if (previous === undefined) delete process.env.CDK_VALIDATION;
    else process.env.CDK_VALIDATION = previous;
  }
}

/** A tier's picture, as SVG: the same bytes as docs/diagrams/<tier>.svg when that is up to date. */
export async function tierDiagram(tier: TierName, template: Template = tierTemplate(tier)): Promise<string> {
  return renderSvg(stackDot(tier, template));
}

async function main() {
  fs.mkdirSync(DIAGRAMS_DIR, { recursive: true });
  for (const tier of TIERS) {
    const file = diagramFile(tier);
    fs.writeFileSync(file, await tierDiagram(tier));
    console.log(`wrote ${path.relative(process.cwd(), file)}`);
  }
}

if (require.main === module) void main();
