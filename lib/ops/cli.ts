/**
 * `cdk-web-tiers url|logs|shell|status`: operate a deployed environment from its stack's outputs
 * (see ./names.ts), so nobody looks up a generated log group name or an instance id first.
 *
 *   cdk-web-tiers url    --env prod            the URL, and whether its health path answers 200
 *   cdk-web-tiers logs   --env prod [--since 10m|2h|1d|ISO] [--follow]
 *   cdk-web-tiers shell  --env prod            a Session Manager shell on an instance (tiers 1-4)
 *   cdk-web-tiers status --env prod            stack status, tier, version, alarms in ALARM
 *
 * The AWS SDK clients are optional peer dependencies of the package, loaded when a command runs:
 * a construct user who never operates from this CLI does not install them. Region, credentials and
 * endpoints come from the SDK's usual environment (AWS_REGION, AWS_PROFILE, AWS_ENDPOINT_URL, …),
 * `--region` over AWS_REGION.
 */
import { spawn } from 'node:child_process';
import { parseArgs, type ParseArgsConfig } from 'node:util';
import type * as AutoScaling from '@aws-sdk/client-auto-scaling';
import type * as CloudFormation from '@aws-sdk/client-cloudformation';
import type * as CloudWatch from '@aws-sdk/client-cloudwatch';
import type * as CloudWatchLogs from '@aws-sdk/client-cloudwatch-logs';
import type * as ElasticBeanstalk from '@aws-sdk/client-elastic-beanstalk';
import { LIST_SEPARATOR, OpsOutput } from './names';

export const OPS_COMMANDS = ['url', 'logs', 'shell', 'status'] as const;
export type OpsCommand = (typeof OPS_COMMANDS)[number];

export function isOpsCommand(command: string | undefined): command is OpsCommand {
  return (OPS_COMMANDS as readonly string[]).includes(command ?? '');
}

const TARGET_USAGE = '--env NAME (the stack WebTiers-NAME) or --stack NAME, [--region R]';

export const OPS_USAGE: Record<OpsCommand, string> = {
  url: `usage: cdk-web-tiers url ${TARGET_USAGE}
  prints the stack's Url output, then GETs <url><health path>: exit 1 unless it answers 200 within 10 s`,
  logs: `usage: cdk-web-tiers logs ${TARGET_USAGE} [--since 10m|2h|1d|ISO time] [--follow]
  the app's log events since --since (default 10m), as 'timestamp stream message';
  --follow keeps polling every 2 s until Ctrl-C`,
  shell: `usage: cdk-web-tiers shell ${TARGET_USAGE}
  opens a Session Manager shell on an InService instance (tiers 1-4) with
  'aws ssm start-session --target <id> --region <region>'`,
  status: `usage: cdk-web-tiers status ${TARGET_USAGE}
  the stack's status and last update, the tier, the deployed version, and the alarms in ALARM`,
};

/** A failure the user can act on: printed as is, exit 1. */
class OpsError extends Error {}

/** The SDK clients each command calls: optional peer dependencies, all named when one is missing. */
const CLIENTS: Record<OpsCommand, string[]> = {
  url: ['@aws-sdk/client-cloudformation'],
  logs: ['@aws-sdk/client-cloudformation', '@aws-sdk/client-cloudwatch-logs'],
  shell: ['@aws-sdk/client-cloudformation', '@aws-sdk/client-auto-scaling', '@aws-sdk/client-elastic-beanstalk'],
  status: ['@aws-sdk/client-cloudformation', '@aws-sdk/client-cloudwatch'],
};

/** How long `url` waits for the health path, and how often `logs --follow` polls. */
const HEALTH_TIMEOUT_MS = 10_000;
const POLL_MS = 2_000;
/**
 * How far back of the newest event each `--follow` poll looks again: events reach CloudWatch Logs
 * a few seconds after their timestamp (the CloudWatch agent flushes every 5 s), so an event from
 * another stream may arrive older than one already printed. Event ids keep them from repeating.
 */
const LATE_MS = 10_000;

/** Runs `command` with its arguments; resolves to the exit code. Errors are printed here. */
export async function opsMain(command: OpsCommand, argv: string[]): Promise<number> {
  if (argv.includes('--help') || argv.includes('-h')) {
    console.log(OPS_USAGE[command]);
    return 0;
  }
  try {
    const ops = new Ops(command, argv);
    return await ops.run();
  } catch (err) {
    const e = err as Error & { $metadata?: unknown };
    // An AWS error says which call and what (AccessDenied names the missing permission).
    console.error(`cdk-web-tiers ${command}: ${e instanceof OpsError || !e.$metadata ? e.message : `${e.name}: ${e.message}`}`);
    return 1;
  }
}

/** '10m' → now − 10 minutes; '2h', '1d', '30s' likewise; an ISO time as given. Milliseconds since the epoch. */
export function parseSince(text: string, now: number = Date.now()): number {
  const m = /^(\d+)([smhd])$/.exec(text);
  if (m) return now - Number(m[1]) * { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 }[m[2] as 's' | 'm' | 'h' | 'd'];
  const time = /^\d{4}-\d{2}-\d{2}/.test(text) ? Date.parse(text) : NaN;
  if (Number.isNaN(time)) {
    throw new OpsError(`--since: got '${text}'; accepted: a duration such as 30s, 10m, 2h or 1d, or an ISO time such as 2025-05-01T12:00:00Z`);
  }
  return time;
}

/** The stack as DescribeStacks returned it, its outputs by name, and the region it was found in. */
interface DeployedStack {
  readonly name: string;
  readonly region: string;
  readonly stack: CloudFormation.Stack;
  readonly outputs: Readonly<Record<string, string>>;
}

class Ops {
  private readonly stackName: string;
  private readonly env?: string;
  private readonly region?: string;
  private readonly values: { since?: string; follow?: boolean };

  constructor(private readonly command: OpsCommand, argv: string[]) {
    const options: ParseArgsConfig['options'] = {
      env: { type: 'string' },
      stack: { type: 'string' },
      region: { type: 'string' },
      ...(command === 'logs' ? { since: { type: 'string' }, follow: { type: 'boolean' } } : {}),
    };
    let values: Record<string, unknown>;
    try {
      ({ values } = parseArgs({ args: argv, options, strict: true, allowPositionals: false }));
    } catch (e) {
      throw new OpsError(`${(e as Error).message}\n${OPS_USAGE[command]}`);
    }
    const env = values.env as string | undefined;
    const stack = values.stack as string | undefined;
    if ((env === undefined) === (stack === undefined)) {
      throw new OpsError(`${env === undefined ? 'which stack?' : '--env and --stack name the same thing: give one'}\n${OPS_USAGE[command]}`);
    }
    this.env = env;
    this.stackName = stack ?? `WebTiers-${env}`;
    this.region = values.region as string | undefined;
    this.values = { since: values.since as string | undefined, follow: values.follow as boolean | undefined };
  }

  public async run(): Promise<number> {
    switch (this.command) {
      case 'url': return this.url();
      case 'logs': return this.logs();
      case 'shell': return this.shell();
      case 'status': return this.status();
    }
  }

  /** An SDK client package, loaded now; when it is not installed, the npm line that installs what the command needs. */
  private sdk<T>(name: string): T {
    try {
      return require(name) as T;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'MODULE_NOT_FOUND' || !(e as Error).message.includes(`'${name}'`)) throw e;
      const missing = CLIENTS[this.command].filter((n) => {
        try {
          require.resolve(n);
          return false;
        } catch {
          return true;
        }
      });
      throw new OpsError(`this command calls AWS with ${missing.join(' and ')}, optional peer dependencies of cdk-web-tiers that are not installed: `
        + `npm install --save-dev ${missing.join(' ')}`);
    }
  }

  /** Client options: `--region` when given, else the SDK's own resolution (AWS_REGION, the profile). */
  private get clientConfig(): { region?: string } {
    return this.region ? { region: this.region } : {};
  }

  private async deployed(): Promise<DeployedStack> {
    const cfn = this.sdk<typeof CloudFormation>('@aws-sdk/client-cloudformation');
    const client = new cfn.CloudFormationClient(this.clientConfig);
    try {
      let region: string;
      try {
        region = await client.config.region();
      } catch {
        throw new OpsError('no AWS region: pass --region or set AWS_REGION');
      }
      let stack: CloudFormation.Stack | undefined;
      try {
        stack = (await client.send(new cfn.DescribeStacksCommand({ StackName: this.stackName }))).Stacks?.[0];
      } catch (e) {
        if (!/does not exist/.test((e as Error).message)) throw e;
      }
      if (!stack) {
        throw new OpsError(`no stack '${this.stackName}' in ${region}: check --region or AWS_REGION`
          + (this.env ? `, or deploy it: npx cdk deploy -c env=${this.env}` : ''));
      }
      const outputs = Object.fromEntries((stack.Outputs ?? []).map((o) => [o.OutputKey ?? '', o.OutputValue ?? '']));
      return { name: this.stackName, region, stack, outputs };
    } finally {
      client.destroy();
    }
  }

  /** An output the command needs; a stack deployed before cdk-web-tiers wrote it is named as such. */
  private output(s: DeployedStack, name: string): string {
    const value = s.outputs[name];
    if (value === undefined || value === '') {
      throw new OpsError(`stack '${s.name}' has no output '${name}': it was deployed before cdk-web-tiers wrote the outputs `
        + `this command reads; deploy it again (${this.env ? `npx cdk deploy -c env=${this.env}` : 'cdk deploy'}) with this version`);
    }
    return value;
  }

  private list(s: DeployedStack, name: string): string[] {
    return this.output(s, name).split(LIST_SEPARATOR).map((v) => v.trim()).filter((v) => v !== '');
  }

  private async url(): Promise<number> {
    const s = await this.deployed();
    const url = this.output(s, OpsOutput.URL);
    const healthPath = s.outputs[OpsOutput.HEALTH_PATH] || '/health';
    console.log(url);
    // The serverless tiers' URLs end in '/', the health path starts with one.
    const target = url.replace(/\/+$/, '') + healthPath;
    const started = Date.now();
    let res: Response;
    try {
      res = await fetch(target, { signal: AbortSignal.timeout(HEALTH_TIMEOUT_MS) });
    } catch (e) {
      const err = e as Error & { cause?: { code?: string; message?: string } };
      const why = err.name === 'TimeoutError' ? `no answer within ${HEALTH_TIMEOUT_MS / 1000} s` : `failed: ${err.cause?.code ?? err.cause?.message ?? err.message}`;
      console.log(`GET ${target}: ${why}`);
      return 1;
    }
    await res.body?.cancel();
    const redirected = res.redirected ? ` (redirected to ${res.url})` : '';
    console.log(`GET ${target}: ${res.status} ${res.statusText}${redirected} in ${Date.now() - started} ms`);
    return res.status === 200 ? 0 : 1;
  }

  private async logs(): Promise<number> {
    const since = parseSince(this.values.since ?? '10m');
    const s = await this.deployed();
    const groups = this.list(s, OpsOutput.APP_LOG_GROUPS);
    const sdk = this.sdk<typeof CloudWatchLogs>('@aws-sdk/client-cloudwatch-logs');
    const client = new sdk.CloudWatchLogsClient({ region: s.region });
    const follow = this.values.follow === true;
    console.error(`# ${groups.join(', ')} since ${new Date(since).toISOString()}${follow ? ', following (Ctrl-C stops)' : ''}`);
    const absent = new Set<string>();
    // Event ids printed, with their timestamps: a poll looks back LATE_MS, and prints each event once.
    const printed = new Map<string, number>();
    let newest = since;
    try {
      for (;;) {
        const from = Math.max(since, newest - LATE_MS);
        const events: Array<{ id: string; timestamp: number; stream: string; message: string }> = [];
        for (const group of groups) {
          let nextToken: string | undefined;
          try {
            do {
              const page = await client.send(new sdk.FilterLogEventsCommand({ logGroupName: group, startTime: from, nextToken }));
              for (const e of page.events ?? []) {
                const timestamp = e.timestamp ?? 0;
                const stream = e.logStreamName ?? '-';
                events.push({ id: e.eventId ?? `${group}\n${stream}\n${timestamp}\n${e.message}`, timestamp, stream, message: e.message ?? '' });
              }
              nextToken = page.nextToken;
            } while (nextToken);
          } catch (e) {
            if ((e as Error).name !== 'ResourceNotFoundException') throw e;
            // Beanstalk makes tier 4's group when it first streams the app's output.
            if (!absent.has(group)) console.error(`# log group ${group} does not exist (yet): nothing written to it`);
            absent.add(group);
          }
        }
        events.sort((a, b) => a.timestamp - b.timestamp);
        for (const e of events) {
          if (printed.has(e.id)) continue;
          printed.set(e.id, e.timestamp);
          newest = Math.max(newest, e.timestamp);
          console.log(`${new Date(e.timestamp).toISOString()} ${e.stream} ${e.message.replace(/\r?\n$/, '')}`);
        }
        if (!follow) return 0;
        const next = Math.max(since, newest - LATE_MS);
        for (const [id, timestamp] of printed) if (timestamp < next) printed.delete(id);
        await new Promise((resolve) => setTimeout(resolve, POLL_MS));
      }
    } finally {
      client.destroy();
    }
  }

  private async shell(): Promise<number> {
    const s = await this.deployed();
    const tier = this.output(s, OpsOutput.TIER);
    let found: { id: string; where: string };
    switch (tier) {
      case 'serverless':
      case 'managed-serverless':
        throw new OpsError(`${s.name} runs on the ${tier} tier (Lambda): there is no instance to open a shell on; `
          + `the app's output is in cdk-web-tiers logs ${this.env ? `--env ${this.env}` : `--stack ${s.name}`}`);
      case 'single-instance':
      case 'auto-scaling':
        found = await this.inService(s.region, [this.output(s, OpsOutput.AUTO_SCALING_GROUP_NAME)]);
        break;
      case 'load-balanced': {
        // Tier 2's instances are fixed; CloudFormation replaces one only after its successor is healthy.
        const [id] = this.list(s, OpsOutput.INSTANCE_IDS);
        found = { id, where: `the first of the stack's instances (${OpsOutput.INSTANCE_IDS})` };
        break;
      }
      case 'managed-auto-scaling':
        found = await this.beanstalkInstance(s.region, this.output(s, OpsOutput.ENVIRONMENT_NAME));
        break;
      default:
        throw new OpsError(`stack '${s.name}' names tier '${tier}', which this version of cdk-web-tiers does not know`);
    }
    const args = ['ssm', 'start-session', '--target', found.id, '--region', s.region];
    console.error(`# ${found.id}, ${found.where}: aws ${args.join(' ')}`);
    return runAws(args);
  }

  /** An InService instance of the groups (a healthy one first), or an error naming what the groups hold. */
  private async inService(region: string, groupNames: string[]): Promise<{ id: string; where: string }> {
    const sdk = this.sdk<typeof AutoScaling>('@aws-sdk/client-auto-scaling');
    const client = new sdk.AutoScalingClient({ region });
    try {
      const { AutoScalingGroups: groups = [] } = await client.send(new sdk.DescribeAutoScalingGroupsCommand({ AutoScalingGroupNames: groupNames }));
      const instances = groups.flatMap((g) => (g.Instances ?? []).map((i) => ({ ...i, group: g.AutoScalingGroupName })));
      const ready = instances.filter((i) => i.LifecycleState === 'InService' && i.InstanceId)
        .sort((a, b) => Number(b.HealthStatus === 'Healthy') - Number(a.HealthStatus === 'Healthy'));
      if (ready.length === 0) {
        const held = instances.map((i) => `${i.InstanceId} ${i.LifecycleState}`).join(', ') || 'no instance';
        throw new OpsError(`no InService instance in the Auto Scaling group ${groupNames.join(', ')} (${groups.length === 0 ? 'no such group' : held})`);
      }
      return { id: ready[0].InstanceId!, where: `InService in the Auto Scaling group ${ready[0].group}` };
    } finally {
      client.destroy();
    }
  }

  /** Tier 4: the environment's Auto Scaling group(s), then an InService instance of them; its instance list when it has no group. */
  private async beanstalkInstance(region: string, environmentName: string): Promise<{ id: string; where: string }> {
    const sdk = this.sdk<typeof ElasticBeanstalk>('@aws-sdk/client-elastic-beanstalk');
    const client = new sdk.ElasticBeanstalkClient({ region });
    let resources: ElasticBeanstalk.EnvironmentResourceDescription | undefined;
    try {
      resources = (await client.send(new sdk.DescribeEnvironmentResourcesCommand({ EnvironmentName: environmentName }))).EnvironmentResources;
    } finally {
      client.destroy();
    }
    const groups = (resources?.AutoScalingGroups ?? []).map((g) => g.Name).filter((n): n is string => !!n);
    if (groups.length > 0) return this.inService(region, groups);
    const id = resources?.Instances?.find((i) => i.Id)?.Id;
    if (!id) throw new OpsError(`the Beanstalk environment ${environmentName} has no instance`);
    return { id, where: `an instance of the Beanstalk environment ${environmentName}` };
  }

  private async status(): Promise<number> {
    const s = await this.deployed();
    const { stack } = s;
    const updated = stack.LastUpdatedTime ?? stack.CreationTime;
    const reason = stack.StackStatusReason ? ` (${stack.StackStatusReason})` : '';
    console.log(`stack    ${s.name} in ${s.region}: ${stack.StackStatus}${reason}, last updated ${updated ? `${updated.toISOString()} (${ago(updated)})` : 'never'}`);
    console.log(`tier     ${s.outputs[OpsOutput.TIER] || '(unknown: no Tier output)'}`);
    console.log(`version  ${s.outputs[OpsOutput.VERSION] || '(unknown: no Version output)'}`);
    if (s.outputs[OpsOutput.URL]) console.log(`url      ${s.outputs[OpsOutput.URL]}`);
    if (s.outputs[OpsOutput.TIER] && !s.outputs[OpsOutput.ALARMS]) {
      console.log('alarms   none: the tier has no alarms');
      return 0;
    }
    const names = this.list(s, OpsOutput.ALARMS);
    const sdk = this.sdk<typeof CloudWatch>('@aws-sdk/client-cloudwatch');
    const client = new sdk.CloudWatchClient({ region: s.region });
    const alarms: Array<{ name: string; state: string; since?: Date; reason?: string }> = [];
    try {
      // DescribeAlarms takes up to 100 names a call.
      for (let i = 0; i < names.length; i += 100) {
        let nextToken: string | undefined;
        do {
          const page = await client.send(new sdk.DescribeAlarmsCommand({
            AlarmNames: names.slice(i, i + 100), AlarmTypes: ['MetricAlarm', 'CompositeAlarm'], NextToken: nextToken,
          }));
          for (const a of [...(page.MetricAlarms ?? []), ...(page.CompositeAlarms ?? [])]) {
            alarms.push({ name: a.AlarmName ?? '?', state: a.StateValue ?? '?', since: a.StateUpdatedTimestamp, reason: a.StateReason });
          }
          nextToken = page.NextToken;
        } while (nextToken);
      }
    } finally {
      client.destroy();
    }
    const counts = new Map<string, number>();
    for (const a of alarms) counts.set(a.state, (counts.get(a.state) ?? 0) + 1);
    const others = [...counts].filter(([state]) => state !== 'ALARM').map(([state, n]) => `${n} ${state}`).join(', ');
    const firing = alarms.filter((a) => a.state === 'ALARM');
    if (firing.length === 0) {
      console.log(`alarms   none in ALARM (of ${alarms.length}${others ? `: ${others}` : ''})`);
    } else {
      console.log(`alarms   ${firing.length} of ${alarms.length} in ALARM${others ? ` (the others: ${others})` : ''}:`);
      for (const a of firing) console.log(`  ${a.name}${a.since ? ` since ${a.since.toISOString()}` : ''}${a.reason ? `: ${a.reason}` : ''}`);
    }
    const known = new Set(alarms.map((a) => a.name));
    const missing = names.filter((n) => !known.has(n));
    if (missing.length > 0) console.log(`  not found: ${missing.join(', ')}`);
    return 0;
  }
}

/** '3 h ago', '2 d ago'. */
function ago(time: Date): string {
  const minutes = Math.round((Date.now() - time.getTime()) / 60_000);
  if (minutes < 60) return `${minutes} min ago`;
  if (minutes < 48 * 60) return `${Math.round(minutes / 60)} h ago`;
  return `${Math.round(minutes / 1440)} d ago`;
}

/**
 * `aws <args>` on this terminal. Ctrl-C belongs to the session (the Session Manager plugin sends it
 * to the instance), so this process ignores it while the session runs. Without the AWS CLI: the
 * command, and how to install it with the Session Manager plugin.
 */
function runAws(args: string[]): Promise<number> {
  return new Promise((resolve) => {
    const ignore = (): void => undefined;
    process.on('SIGINT', ignore);
    let settled = false;
    const done = (code: number): void => {
      if (settled) return;
      settled = true;
      process.off('SIGINT', ignore);
      resolve(code);
    };
    const child = spawn('aws', args, { stdio: 'inherit' });
    child.on('error', (e: NodeJS.ErrnoException) => {
      if (e.code !== 'ENOENT') {
        console.error(`cdk-web-tiers shell: could not run aws: ${e.message}`);
      } else {
        console.error([
          'cdk-web-tiers shell: the AWS CLI (aws) is not on PATH. The command to run:',
          `  aws ${args.join(' ')}`,
          'It needs the AWS CLI v2: https://docs.aws.amazon.com/cli/latest/userguide/getting-started-install.html',
          'and the Session Manager plugin: https://docs.aws.amazon.com/systems-manager/latest/userguide/session-manager-working-with-install-plugin.html',
        ].join('\n'));
      }
      done(1);
    });
    child.on('exit', (code, signal) => done(code ?? (signal ? 1 : 0)));
  });
}
