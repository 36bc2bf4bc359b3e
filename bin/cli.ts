#!/usr/bin/env node
/**
 * `cdk-web-tiers <command>`:
 *   dev <entry> [options]   serve an app locally through the server or the lambda adapter, reloading on change
 *   review [options]        review a synthesized app for a pull request
 *   cost [options]          the monthly cost of a synthesized app, line by line, and its ratings
 */
import { DEV_USAGE, devMain } from '../lib/dev';
import { costMain } from '../lib/cost/cli';
import { reviewMain } from '../lib/review/cli';

const USAGE = `usage: cdk-web-tiers <command>
  dev <entry> [--target server|lambda] [--event http|rest] [--port N] [--host H] …
      serves the app on localhost from the bundle a tier deploys, rebuilding and restarting on change
  review [--cdk-out cdk.out] [--base base/cdk.out] …
      reviews a synthesized app: report, diagram, and dangerous changes against a base
  cost [--cdk-out cdk.out] [--requests 10M] [--compare --chart cost.svg] …
      the monthly cost of each stack, line by line with its price sources, and its ratings`;

function fail(err: Error): void {
  console.error(`cdk-web-tiers: ${err.message}`);
  process.exitCode = 1;
}

const [command, ...rest] = process.argv.slice(2);
if (command === 'dev' && (rest.includes('--help') || rest.includes('-h'))) {
  console.log(DEV_USAGE);
} else if (command === 'dev') {
  devMain(rest).catch(fail);
} else if (command === 'cost') {
  try {
    process.exitCode = costMain(rest);
  } catch (err) {
    fail(err as Error);
  }
} else if (command === 'review') {
  reviewMain(rest).then((code) => { process.exitCode = code; }, fail);
} else {
  const help = command === '--help' || command === '-h';
  if (help) console.log(USAGE);
  else console.error(command === undefined ? USAGE : `unknown command '${command}'\n${USAGE}`);
  process.exitCode = help ? 0 : 1;
}
