#!/usr/bin/env node
/**
 * `cdk-web-tiers-review`, the same as `cdk-web-tiers review`: reviews a synthesized CDK app for a
 * pull request (see lib/review/cli.ts for the options). Exits 2 when a stateful resource would be
 * replaced or deleted, or a wildcard permission or internet ingress appears, and no allow-list
 * entry names it.
 */
import { reviewMain } from '../lib/review/cli';

reviewMain(process.argv.slice(2)).then((code) => { process.exitCode = code; }, (err: Error) => {
  console.error(`cdk-web-tiers-review: ${err.message}`);
  process.exitCode = 1;
});
