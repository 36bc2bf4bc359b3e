#!/usr/bin/env node
/**
 * `npm run diagrams`: draws each tier (with prod's settings) into docs/diagrams/<tier>.svg, the
 * pictures the README shows. The same drawing is in every review report.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { addEnvironmentStacks } from '../lib/app';
import { ENVIRONMENTS, TIERS } from '../lib/config';
import { renderSvg, stackDot } from '../lib/review';

process.env.CDK_VALIDATION ??= 'false';
const context = JSON.parse(fs.readFileSync(path.join(__dirname, '..', 'cdk.json'), 'utf8')).context;
const out = path.join(__dirname, '..', 'docs', 'diagrams');

async function main() {
  fs.mkdirSync(out, { recursive: true });
  for (const tier of TIERS) {
    const app = new App({ context });
    const [stack] = addEnvironmentStacks(app, { [tier]: { ...ENVIRONMENTS.prod, tier } });
    const file = path.join(out, `${tier}.svg`);
    fs.writeFileSync(file, await renderSvg(stackDot(tier, Template.fromStack(stack).toJSON())));
    console.log(`wrote ${path.relative(process.cwd(), file)}`);
  }
}
void main();
