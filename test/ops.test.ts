/**
 * The operating commands, `cdk-web-tiers url|logs|shell|status`, run as an operator runs them (a
 * child process, `tsx bin/cli.ts`) against moto_server standing in for AWS, with stacks whose
 * outputs carry the names the tiers write; and the real templates carry those outputs.
 *
 * moto has no Elastic Beanstalk DescribeEnvironmentResources: tier 4's call goes to a local stub
 * that answers it in the service's own XML (AWS_ENDPOINT_URL_ELASTIC_BEANSTALK), and the Auto
 * Scaling group it names is moto's. moto's CloudFormation resolves `Ref` to an alarm as "None", so
 * the alarms are made through the CloudWatch API and the `Alarms` output names them literally.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { AutoScalingClient, DescribeAutoScalingGroupsCommand } from '@aws-sdk/client-auto-scaling';
import { CloudFormationClient, CreateStackCommand } from '@aws-sdk/client-cloudformation';
import { CloudWatchClient, PutMetricAlarmCommand, SetAlarmStateCommand, type StateValue } from '@aws-sdk/client-cloudwatch';
import { CloudWatchLogsClient, CreateLogStreamCommand, PutLogEventsCommand } from '@aws-sdk/client-cloudwatch-logs';
import { Template } from 'aws-cdk-lib/assertions';
import { createHash } from 'node:crypto';
import { SinglePointOfFailure } from '../constructs/shared/warnings';
import { addEnvironmentStacks } from '../lib/app';
import { ENVIRONMENTS, TIERS, type TierName } from '../lib/config';
import { parseSince } from '../lib/ops/cli';
import { OpsOutput } from '../lib/ops/names';
import type { WebTiersStack } from '../lib/web-tiers-stack';
import { testApp, webApp } from './helpers';

const ROOT = path.join(__dirname, '..');
const TSX = path.join(ROOT, 'node_modules', '.bin', 'tsx');
const CLI = path.join(ROOT, 'bin', 'cli.ts');
const REGION = 'eu-west-1';
const NOW = Date.now();
const VERSION = `sha256:${'ab12'.repeat(16)}`;

let tmp: string;
let moto: ChildProcess;
let endpoint: string;
let web: http.Server;
let webUrl: string;
let beanstalk: http.Server;
const beanstalkCalls: URLSearchParams[] = [];
/** Where the fake `aws` writes its arguments, one a line. */
let awsArgs: string;
let env: NodeJS.ProcessEnv;

interface Run { code: number; stdout: string; stderr: string }

/** `tsx bin/cli.ts <args>`, as `npm run <command> -- …` runs it. */
function cli(args: string[], extraEnv: NodeJS.ProcessEnv = {}): Promise<Run> {
  return new Promise((resolve) => {
    execFile(TSX, [CLI, ...args], { cwd: ROOT, env: { ...env, ...extraEnv }, timeout: 30_000 }, (err, stdout, stderr) => {
      const code = err ? (typeof err.code === 'number' ? err.code : -1) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

async function listen(server: http.Server): Promise<string> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as net.AddressInfo).port}`;
}

async function until<T>(what: string, probe: () => Promise<T | undefined> | T | undefined, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const got = await Promise.resolve().then(probe).catch(() => undefined);
    if (got !== undefined) return got;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** A stack whose outputs are the tier's; resources moto's CloudFormation makes where they help. */
function template(outputs: Record<string, unknown>, resources: Record<string, unknown> = {}): string {
  return JSON.stringify({
    Resources: { Handle: { Type: 'AWS::CloudFormation::WaitConditionHandle' }, ...resources },
    Outputs: Object.fromEntries(Object.entries(outputs).map(([name, value]) => [name, { Value: value }])),
  });
}

/** An Auto Scaling group of `size` InService instances, as moto's CloudFormation makes one. */
function group(name: string, size: number): Record<string, unknown> {
  return {
    [`${name}Launch`]: { Type: 'AWS::AutoScaling::LaunchConfiguration', Properties: { ImageId: 'ami-12c6146b', InstanceType: 't4g.small' } },
    [name]: {
      Type: 'AWS::AutoScaling::AutoScalingGroup',
      Properties: {
        AutoScalingGroupName: name, LaunchConfigurationName: { Ref: `${name}Launch` },
        MinSize: String(size), MaxSize: String(size), DesiredCapacity: String(size), AvailabilityZones: [`${REGION}a`],
      },
    },
  };
}

/** What Elastic Beanstalk answers DescribeEnvironmentResources with (query protocol, XML). */
function environmentResources(environmentName: string, groupName: string): string {
  return `<DescribeEnvironmentResourcesResponse xmlns="http://elasticbeanstalk.amazonaws.com/docs/2010-12-01/">
  <DescribeEnvironmentResourcesResult>
    <EnvironmentResources>
      <EnvironmentName>${environmentName}</EnvironmentName>
      <AutoScalingGroups><member><Name>${groupName}</Name></member></AutoScalingGroups>
      <Instances><member><Id>i-0notinservice0000</Id></member></Instances>
      <LaunchConfigurations/><LaunchTemplates/><LoadBalancers/><Triggers/><Queues/>
    </EnvironmentResources>
  </DescribeEnvironmentResourcesResult>
  <ResponseMetadata><RequestId>4d1f3b5e-0000-4000-8000-000000000000</RequestId></ResponseMetadata>
</DescribeEnvironmentResourcesResponse>`;
}

/** The SDK's notice that it will need Node 22 from 2027 (the package supports Node 20): off here, in the CLI's runs and in this process. */
const SDK_WARNING = 'AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED';
const sdkWarning = process.env[SDK_WARNING];

beforeAll(async () => {
  process.env[SDK_WARNING] = 'true';
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'cdk-web-tiers-ops-'));
  const port = await freePort();
  endpoint = `http://127.0.0.1:${port}`;
  moto = spawn('moto_server', ['-H', '127.0.0.1', '-p', String(port)], { stdio: 'ignore' });

  web = http.createServer((req, res) => {
    res.statusCode = req.url === '/health' ? 200 : req.url === '/sick/health' ? 503 : 404;
    res.end(res.statusCode === 200 ? 'ok' : 'no');
  });
  webUrl = await listen(web);
  beanstalk = http.createServer((req, res) => {
    let body = '';
    req.on('data', (chunk) => { body += chunk; });
    req.on('end', () => {
      const params = new URLSearchParams(body);
      beanstalkCalls.push(params);
      res.setHeader('content-type', 'text/xml');
      res.end(environmentResources(params.get('EnvironmentName') ?? '', 'EbGroup'));
    });
  });
  const beanstalkUrl = await listen(beanstalk);

  // A fake `aws` first on PATH: it records its arguments (the real one would open a session).
  const bin = path.join(tmp, 'bin');
  fs.mkdirSync(bin);
  fs.writeFileSync(path.join(bin, 'aws'), '#!/bin/sh\nprintf \'%s\\n\' "$@" > "$FAKE_AWS_ARGS"\nsleep "${FAKE_AWS_SLEEP:-0}"\nexit "${FAKE_AWS_EXIT:-0}"\n', { mode: 0o755 });
  awsArgs = path.join(tmp, 'aws-args');
  const inherited = Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith('AWS_')));
  env = {
    ...inherited,
    PATH: `${bin}${path.delimiter}${process.env.PATH}`,
    AWS_ENDPOINT_URL: endpoint,
    AWS_ENDPOINT_URL_ELASTIC_BEANSTALK: beanstalkUrl,
    AWS_REGION: REGION,
    AWS_ACCESS_KEY_ID: 'testing',
    AWS_SECRET_ACCESS_KEY: 'testing',
    AWS_CONFIG_FILE: path.join(tmp, 'no-config'),
    AWS_SHARED_CREDENTIALS_FILE: path.join(tmp, 'no-credentials'),
    [SDK_WARNING]: 'true',
    FAKE_AWS_ARGS: awsArgs,
  };

  await until('moto_server', async () => ((await fetch(`${endpoint}/moto-api/`)).ok ? true : undefined));
  const config = { endpoint, region: REGION, credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' } };
  const cfn = new CloudFormationClient(config);
  const stacks: Record<string, string> = {
    // Tier 3: log groups and the group made by CloudFormation, the outputs referring to them as the real template's do.
    'WebTiers-ops': template({
      [OpsOutput.URL]: webUrl, [OpsOutput.TIER]: 'auto-scaling', [OpsOutput.VERSION]: VERSION, [OpsOutput.HEALTH_PATH]: '/health',
      [OpsOutput.APP_LOG_GROUPS]: { 'Fn::Join': [',', [{ Ref: 'AppLogs' }, { Ref: 'RouteLogs' }]] },
      [OpsOutput.ALARMS]: 'ops-errors,ops-latency,ops-hosts',
      [OpsOutput.AUTO_SCALING_GROUP_NAME]: { Ref: 'OpsGroup' },
    }, {
      AppLogs: { Type: 'AWS::Logs::LogGroup', Properties: { LogGroupName: '/webtiers/ops/app' } },
      RouteLogs: { Type: 'AWS::Logs::LogGroup', Properties: { LogGroupName: '/webtiers/ops/route' } },
      ...group('OpsGroup', 2),
    }),
    // Tier 5 on a URL ending in '/', with no alarm output and a log group nothing has written to.
    'WebTiers-sick': template({
      [OpsOutput.URL]: `${webUrl}/sick/`, [OpsOutput.TIER]: 'serverless', [OpsOutput.VERSION]: VERSION, [OpsOutput.HEALTH_PATH]: '/health',
      [OpsOutput.APP_LOG_GROUPS]: '/webtiers/sick/app',
    }),
    'WebTiers-fixed': template({
      [OpsOutput.URL]: webUrl, [OpsOutput.TIER]: 'load-balanced', [OpsOutput.VERSION]: VERSION, [OpsOutput.HEALTH_PATH]: '/health',
      [OpsOutput.APP_LOG_GROUPS]: '/webtiers/fixed/app', [OpsOutput.ALARMS]: 'fixed-ok', [OpsOutput.INSTANCE_IDS]: 'i-0aaaaaaaaaaaaaaaa,i-0bbbbbbbbbbbbbbbb',
    }),
    'WebTiers-eb': template({
      [OpsOutput.URL]: webUrl, [OpsOutput.TIER]: 'managed-auto-scaling', [OpsOutput.VERSION]: VERSION, [OpsOutput.HEALTH_PATH]: '/health',
      [OpsOutput.APP_LOG_GROUPS]: '/aws/elasticbeanstalk/eb-env/var/log/web.stdout.log', [OpsOutput.ENVIRONMENT_NAME]: 'eb-env',
    }, group('EbGroup', 1)),
    // Deployed before the operator outputs: the URL only.
    'WebTiers-old': template({ [OpsOutput.URL]: webUrl }),
  };
  for (const [StackName, TemplateBody] of Object.entries(stacks)) await cfn.send(new CreateStackCommand({ StackName, TemplateBody }));
  cfn.destroy();

  const cloudwatch = new CloudWatchClient(config);
  // moto starts an alarm in OK (AWS: INSUFFICIENT_DATA), so every state is set.
  const alarms: Record<string, StateValue> = { 'ops-errors': 'ALARM', 'ops-latency': 'OK', 'ops-hosts': 'INSUFFICIENT_DATA', 'fixed-ok': 'OK' };
  for (const [AlarmName, state] of Object.entries(alarms)) {
    await cloudwatch.send(new PutMetricAlarmCommand({
      AlarmName, Namespace: 'AWS/ApplicationELB', MetricName: 'HTTPCode_Target_5XX_Count', Statistic: 'Sum',
      Period: 60, EvaluationPeriods: 1, Threshold: 1, ComparisonOperator: 'GreaterThanOrEqualToThreshold',
    }));
    await cloudwatch.send(new SetAlarmStateCommand({ AlarmName, StateValue: state, StateReason: `Threshold Crossed: ${AlarmName} test` }));
  }
  cloudwatch.destroy();

  const logs = new CloudWatchLogsClient(config);
  await put(logs, '/webtiers/ops/app', 'i-0123/app', [[NOW - 30 * 60_000, 'old: before --since'], [NOW - 120_000, 'GET / 200'], [NOW - 60_000, 'GET /health 200\n']]);
  await put(logs, '/webtiers/ops/route', 'route-1', [[NOW - 90_000, 'route: hello']]);
  logs.destroy();
}, 60_000);

async function put(logs: CloudWatchLogsClient, logGroupName: string, logStreamName: string, events: Array<[number, string]>, create = true): Promise<void> {
  if (create) await logs.send(new CreateLogStreamCommand({ logGroupName, logStreamName }));
  await logs.send(new PutLogEventsCommand({ logGroupName, logStreamName, logEvents: events.map(([timestamp, message]) => ({ timestamp, message })) }));
}

afterAll(async () => {
  if (moto && moto.exitCode === null) {
    const exited = new Promise((resolve) => moto.once('exit', resolve));
    moto.kill();
    await exited;
  }
  for (const server of [web, beanstalk]) server?.closeAllConnections();
  await Promise.all([web, beanstalk].map((s) => s && new Promise((resolve) => s.close(resolve))));
  if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
  if (sdkWarning === undefined) delete process.env[SDK_WARNING];
  else process.env[SDK_WARNING] = sdkWarning;
});

const iso = (t: number) => new Date(t).toISOString();

describe('url', () => {
  test('prints the URL, then the health path answering 200: exit 0; 503 (on a URL ending in /): exit 1', async () => {
    const [ok, sick] = await Promise.all([cli(['url', '--env', 'ops']), cli(['url', '--stack', 'WebTiers-sick', '--region', REGION])]);
    expect(ok.code).toBe(0);
    expect(ok.stdout).toMatch(new RegExp(`^${webUrl}\nGET ${webUrl}/health: 200 OK in \\d+ ms\n$`));
    expect(sick.code).toBe(1);
    expect(sick.stdout).toMatch(new RegExp(`^${webUrl}/sick/\nGET ${webUrl}/sick/health: 503 Service Unavailable`));
  });
});

describe('logs', () => {
  test("the app's log groups since 10 minutes, in time order across groups, as 'timestamp stream message'", async () => {
    const [recent, hour, since] = await Promise.all([
      cli(['logs', '--env', 'ops']),
      cli(['logs', '--env', 'ops', '--since', '1h']),
      cli(['logs', '--env', 'ops', '--since', iso(NOW - 100_000)]),
    ]);
    expect(recent.code).toBe(0);
    expect(recent.stdout).toBe([
      `${iso(NOW - 120_000)} i-0123/app GET / 200`,
      `${iso(NOW - 90_000)} route-1 route: hello`,
      `${iso(NOW - 60_000)} i-0123/app GET /health 200`,
      '',
    ].join('\n'));
    expect(recent.stderr).toMatch(/# \/webtiers\/ops\/app, \/webtiers\/ops\/route since /);
    expect(hour.stdout.split('\n')[0]).toBe(`${iso(NOW - 30 * 60_000)} i-0123/app old: before --since`);
    expect(hour.stdout.trim().split('\n')).toHaveLength(4);
    expect(since.stdout.trim().split('\n').map((l) => l.split(' ').slice(2).join(' '))).toEqual(['route: hello', 'GET /health 200']);
  });

  test('--follow prints new and late events once each, polling until interrupted', async () => {
    const child = spawn(TSX, [CLI, 'logs', '--env', 'ops', '--since', '5m', '--follow'], { cwd: ROOT, env });
    let out = '';
    child.stdout.on('data', (chunk) => { out += chunk; });
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    try {
      await until('the first events', () => (out.includes('GET /health 200') ? true : undefined));
      const logs = new CloudWatchLogsClient({ endpoint, region: REGION, credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' } });
      const now = Date.now();
      await put(logs, '/webtiers/ops/app', 'i-0123/app', [[now, 'new: after start']], false);
      // Late: older than the newest event printed, from another stream.
      await put(logs, '/webtiers/ops/route', 'route-2', [[now - 5_000, 'late: from another stream']]);
      logs.destroy();
      await until('the new events', () => (out.includes('new: after start') && out.includes('late: from another stream') ? true : undefined), 10_000);
      // One more poll, which gets the same events again.
      await new Promise((resolve) => setTimeout(resolve, 2_500));
    } finally {
      child.kill('SIGINT');
    }
    await exited;
    const lines = out.trim().split('\n');
    expect(lines).toHaveLength(5);
    expect(new Set(lines).size).toBe(lines.length);
    expect(lines.slice(0, 3).map((l) => l.split(' ').slice(2).join(' '))).toEqual(['GET / 200', 'route: hello', 'GET /health 200']);
  }, 30_000);

  test('--since takes 30s, 10m, 2h, 1d or an ISO time; anything else fails naming what it accepts', async () => {
    expect(parseSince('10m', 1_000_000)).toBe(400_000);
    expect(parseSince('2h', 10_000_000)).toBe(2_800_000);
    expect(parseSince('1d', 100_000_000)).toBe(13_600_000);
    expect(parseSince('2025-05-01T12:00:00Z')).toBe(Date.UTC(2025, 4, 1, 12));
    const bad = await cli(['logs', '--env', 'ops', '--since', 'yesterday']);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/--since: got 'yesterday'; accepted: a duration such as 30s, 10m, 2h or 1d, or an ISO time/);
  });

  test('a log group nothing has written to yet is said to be so', async () => {
    const run = await cli(['logs', '--env', 'sick']);
    expect(run).toMatchObject({ code: 0, stdout: '' });
    expect(run.stderr).toMatch(/log group \/webtiers\/sick\/app does not exist \(yet\)/);
  });
});

describe('status', () => {
  test('the stack, tier, version and the alarms in ALARM; clearly none when none is; exit 0', async () => {
    const [ops, fixed, sick] = await Promise.all([cli(['status', '--env', 'ops']), cli(['status', '--env', 'fixed']), cli(['status', '--env', 'sick'])]);
    expect(ops.code).toBe(0);
    expect(ops.stdout).toMatch(new RegExp(`^stack    WebTiers-ops in ${REGION}: CREATE_COMPLETE, last updated \\d{4}-\\d\\d-\\d\\dT.*Z \\(\\d+ min ago\\)\n`));
    expect(ops.stdout).toContain('tier     auto-scaling\n');
    expect(ops.stdout).toContain(`version  ${VERSION}\n`);
    expect(ops.stdout).toMatch(/alarms   1 of 3 in ALARM \(the others: (1 OK, 1 INSUFFICIENT_DATA|1 INSUFFICIENT_DATA, 1 OK)\):\n  ops-errors since \S+: Threshold Crossed: ops-errors test\n$/);
    expect(fixed).toMatchObject({ code: 0, stdout: expect.stringMatching(/\nalarms   none in ALARM \(of 1: 1 OK\)\n$/) });
    expect(sick).toMatchObject({ code: 0, stdout: expect.stringMatching(/\nalarms   none: the tier has no alarms\n$/) });
  });
});

describe('shell', () => {
  const args = () => fs.readFileSync(awsArgs, 'utf8').trim().split('\n');
  const inService = async (name: string) => {
    const asg = new AutoScalingClient({ endpoint, region: REGION, credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' } });
    const { AutoScalingGroups: [g] = [] } = await asg.send(new DescribeAutoScalingGroupsCommand({ AutoScalingGroupNames: [name] }));
    asg.destroy();
    return g.Instances!.filter((i) => i.LifecycleState === 'InService').map((i) => i.InstanceId);
  };

  test.each([
    ['ops', 'the Auto Scaling group output'],
    ['fixed', 'the instance ids output'],
    ['eb', "the Beanstalk environment's group"],
  ])('on %s: aws ssm start-session on an instance found from %s', async (name) => {
    fs.rmSync(awsArgs, { force: true });
    const run = await cli(['shell', '--env', name]);
    expect(run).toMatchObject({ code: 0 });
    const [ssm, startSession, target, id, region, regionName] = args();
    expect([ssm, startSession, target, region, regionName]).toEqual(['ssm', 'start-session', '--target', '--region', REGION]);
    if (name === 'ops') expect(await inService('OpsGroup')).toContain(id);
    if (name === 'fixed') expect(id).toBe('i-0aaaaaaaaaaaaaaaa');
    if (name === 'eb') {
      expect(await inService('EbGroup')).toContain(id);
      expect(beanstalkCalls.map((p) => [p.get('Action'), p.get('EnvironmentName')])).toContainEqual(['DescribeEnvironmentResources', 'eb-env']);
    }
    expect(run.stderr).toContain(`aws ssm start-session --target ${id} --region ${REGION}`);
  });

  test("the session's exit code is the command's, and Ctrl-C goes to the session, not the command", async () => {
    fs.rmSync(awsArgs, { force: true });
    const child = spawn(TSX, [CLI, 'shell', '--env', 'fixed'], { cwd: ROOT, env: { ...env, FAKE_AWS_SLEEP: '1', FAKE_AWS_EXIT: '3' } });
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    await until('the session', () => (fs.existsSync(awsArgs) ? true : undefined));
    child.kill('SIGINT');
    expect(await exited).toBe(3);
  });

  test('tiers 5-6 have no instance; without the AWS CLI, the command and how to install it', async () => {
    fs.rmSync(awsArgs, { force: true });
    // A PATH with node and nothing else, so no `aws` anywhere.
    const nodeOnly = path.join(tmp, 'node-only');
    fs.mkdirSync(nodeOnly, { recursive: true });
    if (!fs.existsSync(path.join(nodeOnly, 'node'))) fs.symlinkSync(process.execPath, path.join(nodeOnly, 'node'));
    const [serverless, noCli] = await Promise.all([cli(['shell', '--env', 'sick']), cli(['shell', '--env', 'fixed'], { PATH: nodeOnly })]);
    expect(serverless.code).toBe(1);
    expect(serverless.stderr).toMatch(/WebTiers-sick runs on the serverless tier \(Lambda\): there is no instance to open a shell on; .*cdk-web-tiers logs --env sick/);
    expect(fs.existsSync(awsArgs)).toBe(false);
    expect(noCli.code).toBe(1);
    expect(noCli.stderr).toContain(`the AWS CLI (aws) is not on PATH. The command to run:\n  aws ssm start-session --target i-0aaaaaaaaaaaaaaaa --region ${REGION}\n`);
    expect(noCli.stderr).toMatch(/AWS CLI v2: https:\/\/docs\.aws\.amazon\.com\/cli\/.*\n.*Session Manager plugin: https:\/\/docs\.aws\.amazon\.com\/systems-manager\//);
  });
});

describe('what the commands say when they cannot work', () => {
  test('no such stack, a stack without the outputs, no stack named, an SDK client missing', async () => {
    const hide = path.join(tmp, 'hide-modules.cjs');
    // Makes the named packages unresolvable, as in an app that did not install the optional peers.
    fs.writeFileSync(hide, `const Module = require('node:module');
const hidden = process.env.HIDE_MODULES.split(',');
const resolve = Module._resolveFilename;
Module._resolveFilename = function (request, ...rest) {
  if (hidden.includes(request)) throw Object.assign(new Error("Cannot find module '" + request + "'"), { code: 'MODULE_NOT_FOUND' });
  return resolve.call(this, request, ...rest);
};
`);
    const [missing, old, none, noClient] = await Promise.all([
      cli(['status', '--env', 'nope']),
      cli(['logs', '--env', 'old']),
      cli(['url']),
      cli(['logs', '--env', 'ops'], { NODE_OPTIONS: `--require ${hide}`, HIDE_MODULES: '@aws-sdk/client-cloudwatch-logs' }),
    ]);
    expect(missing).toMatchObject({ code: 1, stderr: expect.stringContaining(`no stack 'WebTiers-nope' in ${REGION}: check --region or AWS_REGION, or deploy it: npx cdk deploy -c env=nope`) });
    expect(old).toMatchObject({ code: 1, stderr: expect.stringMatching(/stack 'WebTiers-old' has no output 'AppLogGroups': it was deployed before .*\(npx cdk deploy -c env=old\)/) });
    expect(none).toMatchObject({ code: 1, stderr: expect.stringMatching(/which stack\?\nusage: cdk-web-tiers url --env NAME/) });
    expect(noClient.code).toBe(1);
    expect(noClient.stderr).toContain('optional peer dependencies of cdk-web-tiers that are not installed: npm install --save-dev @aws-sdk/client-cloudwatch-logs\n');
  });
});

describe('the real templates carry the outputs the commands read', () => {
  const synth = (tier: TierName) => {
    // Tier 1's single instance is accepted, as dev accepts it.
    const acknowledge = { [SinglePointOfFailure.SINGLE_INSTANCE]: 'one instance is the tier' };
    const [stack] = addEnvironmentStacks(testApp({ env: 'ops' }), { ops: { ...ENVIRONMENTS.prod, tier, acknowledge } }, webApp) as WebTiersStack[];
    return Template.fromStack(stack).toJSON();
  };
  const refs = (t: any, type: string) => Object.keys(t.Resources).filter((id) => t.Resources[id].Type === type).sort();
  const joined = (value: any): string[] => (value['Fn::Join'] ? value['Fn::Join'][1] : [value]).map((v: any) => v.Ref ?? JSON.stringify(v)).sort();
  const sha256 = (bundle: { directory: string; file: string }) => `sha256:${createHash('sha256').update(fs.readFileSync(path.join(bundle.directory, bundle.file))).digest('hex')}`;

  test('a server tier (auto-scaling) and a serverless tier', () => {
    const server = synth('auto-scaling');
    const out = (t: any, name: string) => t.Outputs[name]?.Value;
    expect(out(server, OpsOutput.TIER)).toBe('auto-scaling');
    expect(out(server, OpsOutput.VERSION)).toBe(sha256(webApp.serverBundle()));
    expect(out(server, OpsOutput.HEALTH_PATH)).toBe('/health');
    expect(out(server, OpsOutput.URL)).toBeDefined();
    expect(joined(out(server, OpsOutput.APP_LOG_GROUPS))).toEqual([expect.stringMatching(/^WebAppLogs/)]);
    expect(joined(out(server, OpsOutput.ALARMS))).toEqual(refs(server, 'AWS::CloudWatch::Alarm'));
    expect(out(server, OpsOutput.AUTO_SCALING_GROUP_NAME)).toEqual({ Ref: refs(server, 'AWS::AutoScaling::AutoScalingGroup')[0] });

    const serverless = synth('serverless');
    expect(out(serverless, OpsOutput.TIER)).toBe('serverless');
    expect(out(serverless, OpsOutput.VERSION)).toBe(sha256(webApp.lambdaBundle()));
    expect(out(serverless, OpsOutput.HEALTH_PATH)).toBe('/health');
    expect(joined(out(serverless, OpsOutput.APP_LOG_GROUPS))).toEqual(refs(serverless, 'AWS::Logs::LogGroup').filter((id) => /^WebApp/.test(id) && !/Access/.test(id)));
    expect(joined(out(serverless, OpsOutput.ALARMS))).toEqual(refs(serverless, 'AWS::CloudWatch::Alarm'));
    for (const locator of [OpsOutput.AUTO_SCALING_GROUP_NAME, OpsOutput.INSTANCE_IDS, OpsOutput.ENVIRONMENT_NAME]) expect(out(serverless, locator)).toBeUndefined();
  });

  test("hybrid: the lambda side's log group and alarms are the app's too", () => {
    const [stack] = addEnvironmentStacks(testApp({ env: 'ops' }), { ops: { ...ENVIRONMENTS.prod, hybrid: { paths: ['/api/*'], weight: 10 } } }, webApp) as WebTiersStack[];
    const t = Template.fromStack(stack).toJSON();
    expect(joined(t.Outputs[OpsOutput.APP_LOG_GROUPS].Value)).toEqual([expect.stringMatching(/^HybridLogs[0-9A-F]{8}$/), expect.stringMatching(/^WebAppLogs[0-9A-F]{8}$/)]);
    expect(joined(t.Outputs[OpsOutput.ALARMS].Value)).toEqual(refs(t, 'AWS::CloudWatch::Alarm'));
  });

  test("each tier's instance locator: the group (1, 3), the instance ids (2), the Beanstalk environment (4), none (5, 6)", () => {
    const locators: Record<TierName, (t: any) => void> = {
      'single-instance': (t) => expect(t.Outputs[OpsOutput.AUTO_SCALING_GROUP_NAME].Value).toEqual({ Ref: refs(t, 'AWS::AutoScaling::AutoScalingGroup')[0] }),
      'load-balanced': (t) => expect(joined(t.Outputs[OpsOutput.INSTANCE_IDS].Value)).toEqual(refs(t, 'AWS::EC2::Instance')),
      'auto-scaling': (t) => expect(t.Outputs[OpsOutput.AUTO_SCALING_GROUP_NAME].Value).toEqual({ Ref: refs(t, 'AWS::AutoScaling::AutoScalingGroup')[0] }),
      'managed-auto-scaling': (t) => expect(t.Outputs[OpsOutput.ENVIRONMENT_NAME].Value).toEqual({ Ref: refs(t, 'AWS::ElasticBeanstalk::Environment')[0] }),
      'serverless': (t) => expect(t.Outputs[OpsOutput.INSTANCE_IDS]).toBeUndefined(),
      'managed-serverless': (t) => expect(t.Outputs[OpsOutput.INSTANCE_IDS]).toBeUndefined(),
    };
    for (const tier of TIERS) {
      const t = synth(tier);
      expect(t.Outputs[OpsOutput.TIER].Value).toBe(tier);
      expect(t.Outputs[OpsOutput.APP_LOG_GROUPS]).toBeDefined();
      locators[tier](t);
    }
  });
});
