#!/usr/bin/env node
/**
 * `cdk-web-tiers <command>`:
 *   dev <entry> [options]   serve an app locally through the server or the lambda adapter, reloading on change
 *   review [options]        review a synthesized app for a pull request
 *   cost [options]          the monthly cost of a synthesized app, line by line, and its ratings
 *   url|logs|shell|status   operate a deployed environment, from its stack's outputs
 */
import { DEV_USAGE, devMain } from '../lib/dev';
import { costMain } from '../lib/cost/cli';
import { isOpsCommand, opsMain } from '../lib/ops/cli';
import { reviewMain } from '../lib/review/cli';

const USAGE = `usage: cdk-web-tiers <command>
  dev <entry> [--target server|lambda] [--event http|rest] [--port N] [--host H] …
      serves the app on localhost from the bundle a tier deploys, rebuilding and restarting on change
  review [--cdk-out cdk.out] [--base base/cdk.out] …
      reviews a synthesized app: report, diagram, and dangerous changes against a base
  cost [--cdk-out cdk.out] [--requests 10M] [--compare --chart cost.svg] …
      the monthly cost of each stack, line by line with its price sources, and its ratings
  url --env prod (or --stack NAME) [--region R]
      prints the deployed URL and checks its health path answers 200
  logs --env prod [--since 10m|2h|1d|ISO time] [--follow]
      the app's log events, from the log groups the stack names
  shell --env prod
      a Session Manager shell on an instance of the environment (tiers 1-4)
  status --env prod
      the stack's status and last update, its tier, the deployed version and the alarms in ALARM`;

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
} else if (isOpsCommand(command)) {
  opsMain(command, rest).then((code) => { process.exitCode = code; }, fail);
} else if (command === 'review') {
  reviewMain(rest).then((code) => { process.exitCode = code; }, fail);
} else {
  const help = command === '--help' || command === '-h';
  if (help) console.log(USAGE);
  else console.error(command === undefined ? USAGE : `unknown command '${command}'\n${USAGE}`);
  process.exitCode = help ? 0 : 1;
}
