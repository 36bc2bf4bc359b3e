// The server tiers' boot, run: the user data each tier synthesizes (tokens made concrete), and the
// scripts it installs, in a sandboxed root with stubbed AWS CLI, systemd, dnf, PostgreSQL and
// disks (test/runtime/sandbox.ts). Lints every script with shellcheck and `bash -n` first.
import { execFile, execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as route53 from 'aws-cdk-lib/aws-route53';
import { parse } from 'pg-connection-string';
import { AutoScalingTier, LoadBalancedTier, SingleInstanceTier, SinglePointOfFailure, WebApp } from '../constructs';
import { SCRIPTS_DIR } from '../constructs/shared/server-bootstrap';
import { checkUrlPath } from '../constructs/shared/validation';
import { testStack, webApp } from './helpers';
import {
  ALLOCATION_ID, DEVICE, FS_UUID, HOST_PATHS, INSTANCE_ID, VOLUME_ID, hostUserData, q, sandbox, withInputs,
  type HostUserData, type RunResult, type Sandbox,
} from './runtime/sandbox';
import { captureSynthWarnings } from './synth-warnings';

// The tiers with default props: tier 1 warns of its one instance, tiers 2 and 3 of the default network's NAT gateway.
captureSynthWarnings(SinglePointOfFailure.SINGLE_INSTANCE, SinglePointOfFailure.NAT);

const work = fs.mkdtempSync(path.join(os.tmpdir(), 'web-tiers-boot-test-'));
const sandboxes: string[] = [];
const hostPathsBefore = HOST_PATHS.filter((p) => fs.existsSync(p));
afterAll(() => {
  fs.rmSync(work, { recursive: true, force: true });
  for (const dir of sandboxes) fs.rmSync(dir, { recursive: true, force: true });
});

// ---------------------------------------------------------------------------------------------
// The tiers, synthesized once each (lazily, so one tier failing to build fails only its tests).

interface Tier {
  readonly template: Template;
  readonly host: HostUserData;
  /** The zipped bundle asset, as S3 serves it to the host. */
  readonly zip: string;
  /** Logical id of the Auto Scaling group, when there is one. */
  readonly groupId?: string;
}

function lazy<T>(make: () => T): () => T {
  let value: T | undefined;
  return () => (value ??= make());
}

const zips = new Map<string, string>();
function synthTier(build: (stack: Stack) => void): Tier {
  const stack = testStack();
  build(stack);
  const template = Template.fromStack(stack);
  const [host] = hostUserData(template);
  // The bundle as CDK staged it, zipped as it is uploaded.
  const hash = /\/([0-9a-f]{64})\.zip$/.exec(host.inputs.BUNDLE_URL)?.[1];
  if (!hash) throw new Error(`BUNDLE_URL is not an asset: ${host.inputs.BUNDLE_URL}`);
  let zip = zips.get(hash);
  if (!zip) {
    zip = path.join(work, `${hash}.zip`);
    execFileSync('zip', ['-qr', zip, '.'], { cwd: path.join((stack.node.root as App).outdir, `asset.${hash}`) });
    zips.set(hash, zip);
  }
  const groupId = Object.keys(template.findResources('AWS::AutoScaling::AutoScalingGroup'))[0];
  return { template, host, zip, groupId };
}

const zone = (stack: Stack) => route53.HostedZone.fromHostedZoneAttributes(stack, 'Zone', { hostedZoneId: 'Z123', zoneName: 'example.com' });
const HTTPS = { domainName: 'app.example.com', email: 'ops@example.com' };

const tier1 = lazy(() => synthTier((stack) => new SingleInstanceTier(stack, 'Web', { app: webApp })));
const tier1Https = lazy(() => synthTier((stack) => new SingleInstanceTier(stack, 'Web', { app: webApp, domain: { domainName: HTTPS.domainName, domainZone: zone(stack) }, certificateEmail: HTTPS.email })));
const tier2 = lazy(() => synthTier((stack) => new LoadBalancedTier(stack, 'Web', { app: webApp })));
const tier3 = lazy(() => synthTier((stack) => new AutoScalingTier(stack, 'Web', { app: webApp })));

/**
 * A health path made of what checkUrlPath accepts that a shell would run if the value ever
 * became code: quotes, `$( )`, `;`, `&`, `$IFS` for spaces. It creates `pwned*` in the cwd.
 */
const CRAFTED_PATH = "/h';touch$IFS./pwned-1;'$(touch$IFS./pwned-2)&touch$IFS./pwned-3;*!=:@,+~%25";
const craftedTier = lazy(() => synthTier((stack) => new AutoScalingTier(stack, 'Web', {
  app: WebApp.fromEntry(webApp.entry, { healthCheckPath: CRAFTED_PATH, externalModules: ['pg-native'] }),
})));

// ---------------------------------------------------------------------------------------------
// Boots.

const SECRET = { username: 'web app', password: `p'"@:/?# w`, host: 'db.example.internal', port: 5432, dbname: 'webapp' };

function newSandbox(tier: Tier): Sandbox {
  const sb = sandbox({ bundleZip: tier.zip });
  sandboxes.push(sb.dir);
  // The host's own CloudFormation tag (what a tier 2 instance signals).
  sb.setState(`tags/${INSTANCE_ID}`, tier.host.holder);
  sb.setState('secret', JSON.stringify(SECRET));
  return sb;
}

interface Boot extends RunResult {
  readonly sb: Sandbox;
  readonly calls: string[];
  readonly log: string;
}

/** Runs a tier's user data (optionally with changed inputs) in a sandbox, new or given. */
function boot(tier: Tier, o: { sb?: Sandbox; setup?: (sb: Sandbox) => void; inputs?: Record<string, string> } = {}): Boot {
  const sb = o.sb ?? newSandbox(tier);
  o.setup?.(sb);
  sb.clearCalls();
  const logBefore = sb.bootLog().length;
  const result = sb.runScript(o.inputs ? withInputs(tier.host.script, o.inputs) : tier.host.script);
  return { ...result, sb, calls: sb.calls(), log: sb.bootLog().slice(logBefore) };
}

const signals = (calls: string[]) => calls.filter((c) => c.startsWith('aws cloudformation signal-resource'));
const count = (calls: string[], pattern: RegExp) => calls.filter((c) => pattern.test(c)).length;

/** Each pattern matches a call, in this order (other calls may come between). */
function expectInOrder(calls: string[], patterns: RegExp[]): void {
  let from = 0;
  for (const pattern of patterns) {
    const i = calls.findIndex((c, j) => j >= from && pattern.test(c));
    if (i < 0) throw new Error(`no call matching ${pattern} after call #${from}; calls:\n${calls.join('\n')}`);
    from = i + 1;
  }
}

/** The boot succeeded: exit 0, exactly one signal, SUCCESS, for `logicalId`. */
function expectSuccess(b: Boot, logicalId: string): void {
  if (b.status !== 0) throw new Error(`boot failed (${b.status}):\n${b.log}\n${b.stderr}`);
  expect(signals(b.calls)).toEqual([
    `aws cloudformation signal-resource --region eu-west-1 --stack-name Test --logical-resource-id ${logicalId} --unique-id ${INSTANCE_ID} --status SUCCESS`,
  ]);
  expect(b.log).toMatch(/== web-tiers boot done/);
}

/** The boot failed in `step` with `reason` in the boot log, signalled FAILURE once and never SUCCESS. */
function expectFailure(b: Boot, step: string, reason: RegExp, logicalId: string): void {
  expect(b.status).not.toBe(0);
  expect(b.log).toMatch(reason);
  expect(b.log).toContain(`== boot FAILED in step '${step}'`);
  expect(b.log).not.toMatch(/== app healthy|boot done/);
  expect(signals(b.calls)).toEqual([expect.stringMatching(
    new RegExp(`^aws cloudformation signal-resource --region eu-west-1 --stack-name Test --logical-resource-id ${logicalId} --unique-id \\S+ --status FAILURE$`))]);
  expect(b.sb.read('/dev/console')).toContain(`web-tiers boot FAILED in step '${step}'`);
}

/**
 * Every regular file under the sandbox root with its content, for end-state comparisons: the boot
 * log, the console and the previous bundle (kept from the second boot on) left out.
 */
function endState(sb: Sandbox): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (dir: string) => {
    for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
      const p = path.join(dir, entry.name);
      if (entry.isDirectory()) walk(p);
      else if (![sb.path('/var/log/web-tiers-bootstrap.log'), sb.path('/dev/console')].includes(p) && !p.startsWith(sb.path('/opt/webapp.prev/'))) {
        out[path.relative(sb.root, p)] = fs.readFileSync(p).toString('base64');
      }
    }
  };
  walk(sb.root);
  return out;
}

const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
const healthCall = (tier: Tier) => `curl -sf -o /dev/null --max-time 5 -- http://127.0.0.1:${tier.host.inputs.PORT}${tier.host.inputs.HEALTH_PATH}`;

// ---------------------------------------------------------------------------------------------

describe('static checks', () => {
  const scriptFiles = (dir: string): string[] => fs.readdirSync(dir, { withFileTypes: true })
    .flatMap((e) => e.isDirectory() ? scriptFiles(path.join(dir, e.name)) : [path.join(dir, e.name)]);
  const userDataFiles = () => Object.entries({ tier1, tier1Https, tier2, tier3, craftedTier }).map(([name, tier]) => {
    const file = path.join(work, `${name}-user-data.sh`);
    fs.writeFileSync(file, tier().host.script);
    return file;
  });

  test('the scripts folder holds the five scripts the tiers install, and the operator\'s data move', () => {
    expect(scriptFiles(SCRIPTS_DIR).map((f) => path.relative(SCRIPTS_DIR, f)).sort())
      .toEqual(['beanstalk/db-env-hook.sh', 'beanstalk/start.sh', 'boot-loader.sh', 'data-move.sh', 'server-boot.sh', 'webapp-db-env.sh']);
  });

  test('shellcheck finds nothing in the scripts and in every tier\'s user data', async () => {
    if (spawnSync('shellcheck', ['--version']).error) {
      throw new Error('shellcheck is not installed: apt-get install shellcheck (CI installs it the same way)');
    }
    // One process per file, side by side (shellcheck is single-threaded).
    const findings = await Promise.all([...scriptFiles(SCRIPTS_DIR), ...userDataFiles()].map((file) =>
      new Promise<string>((resolve) => execFile('shellcheck', ['--format=gcc', file], (error, stdout, stderr) =>
        resolve(`${stdout}${stderr}${error && !stdout ? `${file}: shellcheck exited ${error.code}\n` : ''}`)))));
    expect(findings.join('')).toBe('');
  });

  test('bash -n parses the scripts and every tier\'s user data', () => {
    for (const file of [...scriptFiles(SCRIPTS_DIR), ...userDataFiles()]) {
      const r = spawnSync('bash', ['-n', file], { encoding: 'utf8' });
      expect({ file, status: r.status, stderr: r.stderr }).toEqual({ file, status: 0, stderr: '' });
    }
  });

  test('user data: cloud-init runs the shell part on every boot; every prelude value is a concrete single-quoted string', () => {
    for (const tier of [tier1(), tier1Https(), tier2(), tier3()]) {
      expect(tier.host.cloudConfig).toContain('- [scripts-user, always]');
      expect(tier.host.script.startsWith('#!/bin/bash\n')).toBe(true);
      expect(Object.keys(tier.host.inputs)).toEqual(expect.arrayContaining(['REGION', 'STACK_NAME', 'BUNDLE_URL', 'HEALTH_PATH', 'SIGNAL_RESOURCE']));
      expect(tier.host.script).not.toMatch(/\$\{Token\[|\{Ref:|Fn::/);
    }
  });
});

describe('tier 3 (AutoScalingTier)', () => {
  let first: Boot;
  let stateAfterFirst: Record<string, string>;
  beforeAll(() => {
    first = boot(tier3());
    stateAfterFirst = endState(first.sb);
  });

  test('boots: IMDS, packages, the agent, the bundle, credentials, the unit, a restart, the health check, SUCCESS for the group', () => {
    expectSuccess(first, tier3().groupId!);
    expectInOrder(first.calls, [
      /^curl -sf -X PUT http:\/\/169\.254\.169\.254\/latest\/api\/token /,
      /^curl -sf -H X-aws-ec2-metadata-token: \S+ http:\/\/169\.254\.169\.254\/latest\/meta-data\/instance-id$/,
      new RegExp(`^aws s3 cp --region eu-west-1 ${escape(tier3().host.inputs.BOOT_SCRIPT_URL)} ${escape(first.sb.path('/var/lib/web-tiers/server-boot.sh'))}$`),
      /^dnf install -y --allowerasing nodejs24 amazon-cloudwatch-agent rsyslog unzip$/,
      /^systemctl enable --now rsyslog$/,
      /^amazon-cloudwatch-agent-ctl -a fetch-config -m ec2 -s -c file:\/opt\/aws\/amazon-cloudwatch-agent\/etc\/web-tiers\.json$/,
      new RegExp(`^aws s3 cp --region eu-west-1 ${escape(tier3().host.inputs.BUNDLE_URL)} ${escape(first.sb.path('/tmp/webapp.zip'))}$`),
      new RegExp(`^aws secretsmanager get-secret-value --region eu-west-1 --secret-id ${escape(tier3().host.inputs.DATABASE_SECRET_ARN)} `),
      /^systemctl enable --now webapp-db-env\.timer$/,
      /^systemctl daemon-reload$/,
      /^systemctl enable webapp$/,
      /^systemctl restart webapp$/,
      new RegExp(`^${escape(healthCall(tier3()))}$`),
      /^aws cloudformation signal-resource .* --status SUCCESS$/,
    ]);
    // No data volume, Elastic IP or TLS on this tier.
    expect(count(first.calls, /attach-volume|associate-address|mkfs|postgresql-setup|caddy/)).toBe(0);
  });

  test('installs the bundle, the environment, the unit and the agent configuration', () => {
    const { sb } = first;
    const asset = fs.mkdtempSync(path.join(work, 'unzipped-'));
    execFileSync('unzip', ['-q', tier3().zip, '-d', asset]);
    expect(fs.readFileSync(sb.path('/opt/webapp/server.js'))).toEqual(fs.readFileSync(path.join(asset, 'server.js')));
    expect(fs.existsSync(sb.path('/opt/webapp.next'))).toBe(false);
    expect(fs.existsSync(sb.path('/tmp/webapp.zip'))).toBe(false);
    expect(sb.read('/etc/webapp.env')).toBe(`${tier3().host.inputs.APP_ENV}\n`);
    expect(fs.statSync(sb.path('/etc/webapp.env')).mode & 0o777).toBe(0o640);
    expect(sb.read('/etc/systemd/system/webapp.service')).toContain(
      'After=network-online.target\nWants=network-online.target\n[Service]\nUser=webapp\nEnvironmentFile=/etc/webapp.env\nEnvironmentFile=-/etc/webapp/db.env\n' +
      'ExecStart=/usr/bin/node-24 --enable-source-maps /opt/webapp/server.js\n');
    expect(JSON.parse(sb.read('/opt/aws/amazon-cloudwatch-agent/etc/web-tiers.json')!)).toEqual(JSON.parse(tier3().host.inputs.AGENT_CONFIG));
    expect(sb.read('/etc/systemd/system/webapp-db-env.service')).toContain('ExecStart=/usr/local/sbin/webapp-db-env --restart');
    expect(sb.read('/etc/systemd/system/webapp-db-env.timer')).toContain('OnUnitActiveSec=5min');
  });

  test('renders db.env from the secret: verify-full against the shipped RDS CA, parsed back to the same credentials', () => {
    const { sb } = first;
    const env = sb.read('/etc/webapp/db.env')!;
    expect(env).toMatch(/^DATABASE_URL=postgresql:\/\/\S+\?sslmode=verify-full\nNODE_EXTRA_CA_CERTS=\/etc\/webapp\/rds-ca\.pem\n$/);
    expect(sb.read('/etc/webapp/rds-ca.pem')).toMatch(/^-----BEGIN CERTIFICATE-----/);
    expect(parse(/^DATABASE_URL=(.*)$/m.exec(env)![1])).toMatchObject({
      user: SECRET.username, password: SECRET.password, host: SECRET.host, port: '5432', database: SECRET.dbname, sslmode: 'verify-full',
    });
  });

  test('a second boot is idempotent: the same end state, no user added, credentials not rewritten, SUCCESS again', () => {
    const second = boot(tier3(), { sb: first.sb });
    expectSuccess(second, tier3().groupId!);
    expect(count(second.calls, /^useradd /)).toBe(0);
    expect(second.log).not.toContain('credentials written');
    expect(endState(second.sb)).toEqual(stateAfterFirst);
  });
});

describe('tier 2 (LoadBalancedTier)', () => {
  test('signals SUCCESS for the resource its own aws:cloudformation:logical-id tag names', () => {
    const b = boot(tier2());
    expect(tier2().host.inputs.SIGNAL_RESOURCE).toBe('tag');
    expectSuccess(b, tier2().host.holder);
    expectInOrder(b.calls, [
      /^systemctl restart webapp$/,
      new RegExp(`^aws ec2 describe-tags --region eu-west-1 --filters Name=resource-id,Values=${INSTANCE_ID} Name=key,Values=aws:cloudformation:logical-id `),
      /^aws cloudformation signal-resource /,
    ]);
  });

  test('a failure signals FAILURE for the tagged resource', () => {
    const b = boot(tier2(), { setup: (sb) => sb.fail('aws-s3-cp', { exit: 1, message: 'fatal error: An error occurred (403) when calling the HeadObject operation: Forbidden' }) });
    expectFailure(b, 'bundle', /HeadObject operation: Forbidden/, tier2().host.holder);
    expect(count(b.calls, /^aws s3 cp .*\.zip /)).toBe(3);
  });

  test('the rest of the boot cannot be downloaded: FAILURE, before any package is installed', () => {
    const b = boot(tier2(), { setup: (sb) => sb.fail('aws-s3-cp-boot', { exit: 1, message: 'fatal error: Could not connect to the endpoint URL' }) });
    expectFailure(b, 'boot script', /Could not connect to the endpoint URL/, tier2().host.holder);
    expect(count(b.calls, /^aws s3 cp .*\.sh /)).toBe(3);
    expect(count(b.calls, /^dnf /)).toBe(0);
  });

  test('without an instance id there is no tag to signal: the boot fails and says why nothing was signalled', () => {
    const b = boot(tier2(), { setup: (sb) => sb.fail('curl-token', { exit: 7 }) });
    expect(b.status).not.toBe(0);
    expect(b.log).toContain("== boot FAILED in step 'metadata'");
    expect(b.log).toContain("== cannot signal FAILURE: this host's CloudFormation resource is unknown");
    expect(signals(b.calls)).toEqual([]);
  });
});

describe('tier 1 (SingleInstanceTier)', () => {
  let first: Boot;
  let stateAfterFirst: Record<string, string>;
  beforeAll(() => {
    first = boot(tier1());
    stateAfterFirst = endState(first.sb);
  });

  test('boots: Elastic IP, data volume attached, formatted (no file system yet), mounted, initdb, role and database, app, SUCCESS for the group', () => {
    expectSuccess(first, tier1().groupId!);
    expect(tier1().host.inputs.SIGNAL_RESOURCE).toBe(tier1().groupId);
    const dev = escape(first.sb.path(DEVICE));
    const data = escape(first.sb.path('/var/lib/pgsql'));
    expectInOrder(first.calls, [
      /^dnf install -y --allowerasing nodejs24 amazon-cloudwatch-agent rsyslog unzip postgresql18-server$/,
      /^amazon-cloudwatch-agent-ctl /,
      new RegExp(`^aws ec2 attach-volume --region eu-west-1 --volume-id ${VOLUME_ID} --instance-id ${INSTANCE_ID} --device /dev/sdf$`),
      new RegExp(`^blkid ${dev}$`),
      new RegExp(`^mkfs\\.xfs ${dev}$`),
      new RegExp(`^blkid -s UUID -o value ${dev}$`),
      new RegExp(`^mount ${data}$`),
      new RegExp(`^chown postgres:postgres ${data}$`),
      /^postgresql-setup --initdb$/,
      /^systemctl enable --now postgresql$/,
      /^createuser webapp$/,
      /^createdb -O webapp webapp$/,
      /^aws s3 cp /,
      /^systemctl restart webapp$/,
      new RegExp(`^${escape(healthCall(tier1()))}$`),
      // The address moves over only once the app answers here.
      new RegExp(`^aws ec2 associate-address --region eu-west-1 --allocation-id ${ALLOCATION_ID} --instance-id ${INSTANCE_ID} --allow-reassociation`),
      /^aws cloudformation signal-resource .* --status SUCCESS$/,
    ]);
    expect(count(first.calls, /secretsmanager|caddy|stop-instances/)).toBe(0);
    // PostgreSQL waits for the data volume's mount (the fstab line is nofail).
    expect(first.sb.read('/etc/systemd/system/postgresql.service.d/web-tiers.conf')).toBe('[Unit]\nRequiresMountsFor=/var/lib/pgsql\n');
    expect(first.sb.read('/etc/fstab')).toContain(`\nUUID=${FS_UUID} /var/lib/pgsql xfs defaults,nofail 0 2\n`);
    expect(first.sb.read('/var/lib/pgsql/data/PG_VERSION')).toBe('18\n');
    expect(fs.existsSync(first.sb.path('/opt/webapp/server.js'))).toBe(true);
    expect(first.sb.read('/etc/systemd/system/webapp.service')).toContain('After=network-online.target postgresql.service\n');
    expect(first.sb.read('/etc/webapp.env')).toContain('DATABASE_URL="postgresql://webapp@localhost/webapp?host=/run/postgresql"');
  });

  test('a second boot is idempotent: no mkfs, no initdb, no createuser/createdb, the fstab line once, the same end state', () => {
    const second = boot(tier1(), { sb: first.sb });
    expectSuccess(second, tier1().groupId!);
    expect(count(second.calls, /^(mkfs\.xfs|postgresql-setup|createuser|createdb|useradd|mount) /)).toBe(0);
    expect(second.sb.read('/etc/fstab')!.split(`UUID=${FS_UUID} `)).toHaveLength(2);
    expect(endState(second.sb)).toEqual(stateAfterFirst);
  });

  test('a replacement instance on the kept volume: file system, data, role and database found, nothing recreated', () => {
    const b = boot(tier1(), {
      setup: (sb) => {
        sb.setState('fs-uuid', FS_UUID);
        sb.setState('pg/role-webapp', '');
        sb.setState('pg/db-webapp', '');
        fs.mkdirSync(sb.path('/var/lib/pgsql/data'), { recursive: true });
        fs.writeFileSync(sb.path('/var/lib/pgsql/data/PG_VERSION'), '18\n');
      },
    });
    expectSuccess(b, tier1().groupId!);
    expect(count(b.calls, /^(mkfs\.xfs|postgresql-setup|createuser|createdb) /)).toBe(0);
    expect(count(b.calls, /^aws ec2 attach-volume /)).toBe(1);
    expect(b.sb.read('/var/lib/pgsql/data/PG_VERSION')).toBe('18\n');
  });

  test('with https: a Caddyfile of the domain and e-mail, Caddy (already this version: no download) proxying to the app', () => {
    const tier = tier1Https();
    const b = boot(tier);
    expectSuccess(b, tier.groupId!);
    expect(tier.host.inputs).toMatchObject({ TLS_DOMAIN: HTTPS.domainName, TLS_EMAIL: HTTPS.email, PORT: '8080' });
    expect(b.sb.read('/etc/caddy/Caddyfile')).toBe(
      `{\n  email ${HTTPS.email}\n}\n${HTTPS.domainName} {\n  encode zstd gzip\n  reverse_proxy 127.0.0.1:8080\n}\n`);
    expect(b.sb.read('/etc/systemd/system/caddy.service')).toContain('ExecStart=/usr/local/bin/caddy run --config /etc/caddy/Caddyfile');
    expectInOrder(b.calls, [/^systemctl restart webapp$/, /^caddy version$/, /^useradd .* caddy$/, /^systemctl restart caddy$/, /^curl .*127\.0\.0\.1:8080\/health$/]);
    expect(count(b.calls, /github\.com/)).toBe(0);
  });

  test.each([
    ['TLS_DOMAIN', `${HTTPS.domainName}\n}\n:80 {\n  respond pwned`, /^== TLS domain .* is not a domain name$/m],
    ['TLS_DOMAIN', `${HTTPS.domainName}} {`, /^== TLS domain .* is not a domain name$/m],
    ['TLS_EMAIL', `${HTTPS.email}\n}\n:80 {\n  respond pwned`, /^== TLS e-mail is not an address$/m],
    ['TLS_EMAIL', `${HTTPS.email}}`, /^== TLS e-mail is not an address$/m],
  ])('a %s of %j fails the boot with a reason, and no Caddyfile is written', (input, value, reason) => {
    const tier = tier1Https();
    const b = boot(tier, { inputs: { [input]: value } });
    expectFailure(b, 'tls', reason, tier.groupId!);
    expect(fs.existsSync(b.sb.path('/etc/caddy/Caddyfile'))).toBe(false);
    expect(count(b.calls, /caddy/)).toBe(0);
  });
});

describe('every failure signals FAILURE with its reason in the boot log', () => {
  test('dnf failing: tried 3 times, the agent never started', () => {
    const b = boot(tier3(), { setup: (sb) => sb.fail('dnf', { message: 'Error: Failed to download metadata for repo amazonlinux' }) });
    expectFailure(b, 'packages', /Failed to download metadata/, tier3().groupId!);
    expect(count(b.calls, /^dnf install/)).toBe(3);
    expect(count(b.calls, /amazon-cloudwatch-agent-ctl|systemctl/)).toBe(0);
  });

  test('IMDS failing: tried 5 times; the group still gets its FAILURE (by host name)', () => {
    const b = boot(tier3(), { setup: (sb) => sb.fail('curl-token', { exit: 7 }) });
    expectFailure(b, 'metadata', /retry 4\/5: curl/, tier3().groupId!);
    expect(count(b.calls, /api\/token/)).toBe(5);
    expect(count(b.calls, /^dnf /)).toBe(0);
  });

  test('the instance id failing after a token', () => {
    const b = boot(tier1(), { setup: (sb) => sb.fail('curl-instance-id', { exit: 22 }) });
    expectFailure(b, 'metadata', /retry 4\/5: curl\n/, tier1().groupId!);
  });

  test('a non-retryable attach error stops at once, without waiting', () => {
    const b = boot(tier1(), {
      setup: (sb) => sb.fail('aws-attach-volume', {
        exit: 254, message: 'An error occurred (UnauthorizedOperation) when calling the AttachVolume operation: You are not authorized to perform this operation.',
      }),
    });
    expectFailure(b, 'data volume', /data volume vol-0123456789abcdef0 cannot be attached: An error occurred \(UnauthorizedOperation\)/, tier1().groupId!);
    expect(count(b.calls, /^aws ec2 attach-volume /)).toBe(1);
    expect(count(b.calls, /^sleep /)).toBe(0);
    expect(count(b.calls, /^(blkid|mkfs\.xfs|mount|postgresql-setup) /)).toBe(0);
  });

  test('a retryable attach error is retried until the volume frees', () => {
    const b = boot(tier1(), {
      setup: (sb) => sb.fail('aws-attach-volume', {
        exit: 254, times: 3, message: 'An error occurred (IncorrectState) when calling the AttachVolume operation: vol-0123456789abcdef0 is not available.',
      }),
    });
    expectSuccess(b, tier1().groupId!);
    expect(count(b.calls, /^aws ec2 attach-volume /)).toBe(4);
    expect(count(b.calls, /^aws ec2 stop-instances /)).toBe(0);
  });

  test('a volume that never frees, held by an instance with another tag: 120 tries, that instance never stopped, then FAILURE', () => {
    const b = boot(tier1(), {
      setup: (sb) => {
        sb.setState('volume-holder', 'i-0ther00000000000');
        sb.setState('tags/i-0ther00000000000', 'SomeOtherInstance1234ABCD');
      },
    });
    expectFailure(b, 'data volume', /data volume vol-0123456789abcdef0 did not attach within 20 minutes/, tier1().groupId!);
    expect(count(b.calls, /^aws ec2 attach-volume /)).toBe(120);
    expect(count(b.calls, /^sleep 10$/)).toBe(120);
    expect(count(b.calls, /^aws ec2 (stop-instances|wait|detach-volume) /)).toBe(0);
    expect(count(b.calls, /^(blkid|mkfs\.xfs) /)).toBe(0);
  });

  test('blkid erroring (not "no file system"): FAILURE, and the volume is never formatted', () => {
    const b = boot(tier1(), { setup: (sb) => sb.fail('blkid', { exit: 4, message: 'blkid: error: cannot read' }) });
    expectFailure(b, 'data volume', /blkid could not read .* \(exit 4\)/, tier1().groupId!);
    expect(count(b.calls, /^mkfs\.xfs /)).toBe(0);
  });

  test('mkfs failing', () => {
    const b = boot(tier1(), { setup: (sb) => sb.fail('mkfs', { message: 'mkfs.xfs: cannot open: Device or resource busy' }) });
    expectFailure(b, 'data volume', /Device or resource busy/, tier1().groupId!);
    expect(count(b.calls, /^mount /)).toBe(0);
  });

  test('chown of the data directory failing: FAILURE, never hidden, and PostgreSQL is not set up on it', () => {
    const b = boot(tier1(), { setup: (sb) => sb.fail('chown', { message: "chown: invalid user: 'postgres:postgres'" }) });
    expectFailure(b, 'data volume', /invalid user: 'postgres:postgres'/, tier1().groupId!);
    expect(count(b.calls, /^(postgresql-setup|systemctl enable --now postgresql)/)).toBe(0);
  });

  test('tier 1 whose app never answers its health route: FAILURE for its group, not a green deploy', () => {
    const b = boot(tier1(), { setup: (sb) => sb.fail('curl-health', { exit: 22 }) });
    expectFailure(b, 'health', /the app did not answer http:\/\/127\.0\.0\.1:80\/health within 3 minutes/, tier1().groupId!);
  });

  test('psql failing is a failure, not "no such role": no createuser, no createdb', () => {
    const b = boot(tier1(), {
      setup: (sb) => sb.fail('psql', { exit: 2, message: 'psql: error: connection to server on socket "/run/postgresql/.s.PGSQL.5432" failed' }),
    });
    expectFailure(b, 'postgres', /connection to server on socket/, tier1().groupId!);
    expect(count(b.calls, /^(createuser|createdb) /)).toBe(0);
    expect(count(b.calls, /^aws s3 cp .*\.zip /)).toBe(0);
  });

  test('the health check never passing: 90 tries over 3 minutes, then FAILURE', () => {
    const b = boot(tier3(), { setup: (sb) => sb.fail('curl-health', { exit: 7 }) });
    expectFailure(b, 'health', /the app did not answer http:\/\/127\.0\.0\.1:8080\/health within 3 minutes/, tier3().groupId!);
    expect(count(b.calls, /^curl .*127\.0\.0\.1:8080\/health$/)).toBe(90);
  });

  test('the credentials failing to render (malformed secret): FAILURE, the secret in no log', () => {
    const b = boot(tier3(), { setup: (sb) => sb.setState('secret', '{"password":"hunter2-SECRET",') });
    expectFailure(b, 'database credentials', /webapp-db-env: the secret is not valid JSON/, tier3().groupId!);
    expect(b.log + b.stdout + b.stderr + b.sb.calls().join('\n')).not.toContain('hunter2');
    expect(count(b.calls, /^systemctl restart webapp$/)).toBe(0);
  });

  test('the service failing to restart', () => {
    const b = boot(tier3(), { setup: (sb) => sb.fail('systemctl-restart', { message: 'Job for webapp.service failed because the control process exited with error code.' }) });
    expectFailure(b, 'service', /Job for webapp\.service failed/, tier3().groupId!);
  });
});

describe('volume takeover from the instance of a pre-group deployment', () => {
  test('VolumeInUse by the instance with the legacy tag: stop it, wait, detach, then attach; SUCCESS', () => {
    const legacyTag = tier1().host.inputs.LEGACY_INSTANCE_TAG;
    expect(legacyTag).toMatch(/^WebInstance[0-9A-F]{8}$/);
    const b = boot(tier1(), {
      setup: (sb) => {
        sb.setState('volume-holder', 'i-old');
        sb.setState('tags/i-old', legacyTag);
        sb.setState('fs-uuid', FS_UUID);
      },
    });
    expectSuccess(b, tier1().groupId!);
    expectInOrder(b.calls, [
      /^aws ec2 attach-volume .*--volume-id vol-0123456789abcdef0 /,
      /^aws ec2 describe-volumes --region eu-west-1 --volume-ids vol-0123456789abcdef0 /,
      /^aws ec2 describe-tags --region eu-west-1 --filters Name=resource-id,Values=i-old Name=key,Values=aws:cloudformation:logical-id /,
      /^aws ec2 stop-instances --region eu-west-1 --instance-ids i-old /,
      /^aws ec2 wait instance-stopped --region eu-west-1 --instance-ids i-old$/,
      /^aws ec2 detach-volume --region eu-west-1 --volume-id vol-0123456789abcdef0 --instance-id i-old /,
      new RegExp(`^aws ec2 attach-volume .*--instance-id ${INSTANCE_ID} `),
      /^blkid /,
    ]);
    expect(count(b.calls, /^aws ec2 stop-instances /)).toBe(1);
    expect(count(b.calls, /^mkfs\.xfs /)).toBe(0);
  });

  test('while the holder\'s tag cannot be read it is not stopped; once it can, it is', () => {
    const b = boot(tier1(), {
      setup: (sb) => {
        sb.setState('volume-holder', 'i-old');
        sb.setState('tags/i-old', tier1().host.inputs.LEGACY_INSTANCE_TAG);
        // More failures than the lookup retries: the first round gives up on it.
        sb.fail('aws-describe-tags', { exit: 254, times: 3, message: 'An error occurred (RequestLimitExceeded) when calling the DescribeTags operation' });
      },
    });
    expectSuccess(b, tier1().groupId!);
    const attaches = b.calls.flatMap((c, i) => c.startsWith('aws ec2 attach-volume ') ? [i] : []);
    expect(attaches).toHaveLength(3);
    expect(b.calls.findIndex((c) => c.startsWith('aws ec2 stop-instances --region eu-west-1 --instance-ids i-old '))).toBeGreaterThan(attaches[1]);
  });

  test('a volume still detaching is waited for, never stopped or detached a second time', () => {
    const b = boot(tier1(), {
      setup: (sb) => {
        sb.setState('volume-holder', 'i-old');
        sb.setState('volume-state', 'detaching');
        sb.setState('tags/i-old', tier1().host.inputs.LEGACY_INSTANCE_TAG);
      },
    });
    expectFailure(b, 'data volume', /did not attach within 20 minutes/, tier1().groupId!);
    expect(count(b.calls, /^aws ec2 (stop-instances|detach-volume) /)).toBe(0);
  });

  test('after the detach it waits for the volume to be available, then attaches: one stop, one detach', () => {
    const b = boot(tier1(), {
      setup: (sb) => {
        sb.setState('volume-holder', 'i-old');
        sb.setState('tags/i-old', tier1().host.inputs.LEGACY_INSTANCE_TAG);
      },
    });
    expectSuccess(b, tier1().groupId!);
    expectInOrder(b.calls, [
      /^aws ec2 detach-volume .*--instance-id i-old /,
      /^aws ec2 wait volume-available --region eu-west-1 --volume-ids vol-0123456789abcdef0$/,
      new RegExp(`^aws ec2 attach-volume .*--instance-id ${INSTANCE_ID} `),
    ]);
    expect(count(b.calls, /^aws ec2 (stop-instances|detach-volume) /)).toBe(2);
  });

  test('a boot that fails after the takeover gives the volume back and starts the old instance; the address never moved', () => {
    const b = boot(tier1(), {
      setup: (sb) => {
        sb.setState('volume-holder', 'i-old');
        sb.setState('tags/i-old', tier1().host.inputs.LEGACY_INSTANCE_TAG);
        sb.fail('curl-health', { exit: 7 });
      },
    });
    expectFailure(b, 'health', /the app did not answer/, tier1().groupId!);
    expectInOrder(b.calls, [
      /^aws ec2 stop-instances .*i-old /,
      new RegExp(`^aws ec2 attach-volume .*--instance-id ${INSTANCE_ID} `),
      /^systemctl stop webapp postgresql$/,
      /^umount /,
      new RegExp(`^aws ec2 detach-volume .*--instance-id ${INSTANCE_ID} `),
      /^aws ec2 wait volume-available /,
      /^aws ec2 start-instances --region eu-west-1 --instance-ids i-old /,
      /^aws cloudformation signal-resource .* --status FAILURE$/,
    ]);
    expect(count(b.calls, /^aws ec2 associate-address /)).toBe(0);
    expect(b.log).toContain('== giving the data volume back to i-old and starting it');
  });

  test('stopping the legacy instance failing: FAILURE at once', () => {
    const b = boot(tier1(), {
      setup: (sb) => {
        sb.setState('volume-holder', 'i-old');
        sb.setState('tags/i-old', tier1().host.inputs.LEGACY_INSTANCE_TAG);
        sb.fail('aws-stop-instances', { exit: 254, message: 'An error occurred (UnauthorizedOperation) when calling the StopInstances operation' });
      },
    });
    expectFailure(b, 'data volume', /StopInstances operation/, tier1().groupId!);
    expect(count(b.calls, /^aws ec2 attach-volume /)).toBe(1);
  });
});

describe('PostgreSQL upgrade of the data directory', () => {
  const onDisk = (version: string) => (sb: Sandbox) => {
    sb.setState('fs-uuid', FS_UUID);
    sb.setState('pg/role-webapp', '');
    sb.setState('pg/db-webapp', '');
    fs.mkdirSync(sb.path('/var/lib/pgsql/data/base/16384'), { recursive: true });
    fs.writeFileSync(sb.path('/var/lib/pgsql/data/PG_VERSION'), `${version}\n`);
    fs.writeFileSync(sb.path('/var/lib/pgsql/data/base/16384/2619'), 'the old data');
  };

  test('PG_VERSION 16 with major 18: the old server dumps, the directory moves to data-16 (kept), initdb, restore', () => {
    const b = boot(tier1(), { setup: onDisk('16') });
    expectSuccess(b, tier1().groupId!);
    const dump = escape(b.sb.path('/var/lib/pgsql/upgrade-16-to-18.sql'));
    expectInOrder(b.calls, [
      /^dnf install -y --allowerasing nodejs24 .* postgresql18-server$/,
      /^dnf install -y --allowerasing postgresql16-server$/,
      /^systemctl start postgresql$/,
      new RegExp(`^pg_dumpall --file ${dump}$`),
      /^systemctl stop postgresql$/,
      /^dnf install -y --allowerasing postgresql18-server$/,
      /^postgresql-setup --initdb$/,
      /^systemctl start postgresql$/,
      new RegExp(`^psql --quiet --file ${dump}$`),
      /^systemctl enable --now postgresql$/,
      /^systemctl restart webapp$/,
    ]);
    expect(b.sb.read('/var/lib/pgsql/upgrade-16-to-18.sql')).toMatch(/^-- dumped by server 16 from data version 16\n/);
    expect(b.sb.read('/var/lib/pgsql/data-16/PG_VERSION')).toBe('16\n');
    expect(b.sb.read('/var/lib/pgsql/data-16/base/16384/2619')).toBe('the old data');
    expect(b.sb.read('/var/lib/pgsql/data/PG_VERSION')).toBe('18\n');
    expect(count(b.calls, /^(createuser|createdb) /)).toBe(0);

    const again = boot(tier1(), { sb: b.sb });
    expectSuccess(again, tier1().groupId!);
    expect(count(again.calls, /^(pg_dumpall|postgresql-setup|dnf install -y --allowerasing postgresql\d+-server)$/)).toBe(0);
  });

  test('PG_VERSION newer than the major: FAILURE, nothing moved, nothing initialized', () => {
    const b = boot(tier1(), { setup: onDisk('19') });
    expectFailure(b, 'postgres', /PostgreSQL data is version 19, newer than 18: not downgrading/, tier1().groupId!);
    expect(count(b.calls, /^(pg_dumpall|postgresql-setup|dnf install -y --allowerasing postgresql\d+-server$|systemctl start postgresql)/)).toBe(0);
    expect(b.sb.read('/var/lib/pgsql/data/PG_VERSION')).toBe('19\n');
    expect(b.sb.read('/var/lib/pgsql/data/base/16384/2619')).toBe('the old data');
    expect(fs.readdirSync(b.sb.path('/var/lib/pgsql')).sort()).toEqual(['data']);
  });

  test('a restore with errors (a long error output) fails the boot and puts the old data back; the next boot upgrades again', () => {
    const errors = ['psql:/var/lib/pgsql/upgrade-16-to-18.sql:40: ERROR:  extension "timescaledb" is not available',
      ...Array.from({ length: 4000 }, (_, i) => `psql:/var/lib/pgsql/upgrade-16-to-18.sql:${100 + i}: ERROR:  relation "metrics" does not exist`)];
    const b = boot(tier1(), { setup: (sb) => { onDisk('16')(sb); sb.setState('restore-errors', `${errors.join('\n')}\n`); } });
    expectFailure(b, 'postgres', /restoring the version 16 dump failed/, tier1().groupId!);
    expect(b.log).toContain('== putting the version 16 data back');
    // The old directory is the database again (a rolled-back deploy boots on it); the failed one is kept aside.
    expect(b.sb.read('/var/lib/pgsql/data/PG_VERSION')).toBe('16\n');
    expect(b.sb.read('/var/lib/pgsql/data/base/16384/2619')).toBe('the old data');
    const left = fs.readdirSync(b.sb.path('/var/lib/pgsql'));
    expect(left.filter((f) => /^data-failed-18-\d+$/.test(f))).toHaveLength(1);
    expect(left.filter((f) => f.endsWith('.unfinished') || f === 'data-16')).toEqual([]);

    const again = boot(tier1(), { sb: b.sb, setup: (sb) => fs.rmSync(path.join(sb.state, 'restore-errors')) });
    expectSuccess(again, tier1().groupId!);
    expect(again.sb.read('/var/lib/pgsql/data/PG_VERSION')).toBe('18\n');
  });

  test('an upgrade cut off without the trap (the host lost power): every later boot fails until someone looks', () => {
    const b = boot(tier1(), {
      setup: (sb) => {
        onDisk('18')(sb);
        fs.mkdirSync(sb.path('/var/lib/pgsql/data-16'));
        fs.writeFileSync(sb.path('/var/lib/pgsql/upgrade-16-to-18.unfinished'), '');
      },
    });
    expectFailure(b, 'postgres', /upgrade from version 16 did not finish/, tier1().groupId!);
    expect(count(b.calls, /^systemctl (enable --now|restart) (postgresql|webapp)$/)).toBe(0);
  });

  test('an upgrade without room for the dump and the new directory fails before touching anything', () => {
    const b = boot(tier1(), {
      setup: (sb) => {
        onDisk('16')(sb);
        // More data than the sandbox's file system has free, in one sparse file.
        const huge = spawnSync('df', ['--output=avail', '-B1', sb.root], { encoding: 'utf8' }).stdout.trim().split('\n').pop()!;
        const file = sb.path('/var/lib/pgsql/data/base/16384/huge');
        fs.writeFileSync(file, '');
        fs.truncateSync(file, Number(huge));
      },
    });
    expectFailure(b, 'postgres', /needs twice the data's size free on the volume/, tier1().groupId!);
    expect(count(b.calls, /^(pg_dumpall|postgresql-setup|dnf install -y --allowerasing postgresql16-server)/)).toBe(0);
    expect(b.sb.read('/var/lib/pgsql/data/PG_VERSION')).toBe('16\n');
  });
});

describe('crafted input cannot change what runs', () => {
  test('checkUrlPath accepts the crafted health path', () => {
    expect(() => checkUrlPath(undefined, 'healthCheckPath', CRAFTED_PATH)).not.toThrow();
  });

  test('a health path with quotes, $( ), ; and & is curled exactly, and creates no file', () => {
    const tier = craftedTier();
    expect(tier.host.inputs.HEALTH_PATH).toBe(CRAFTED_PATH);
    const b = boot(tier);
    expectSuccess(b, tier.groupId!);
    expect(b.calls).toContain(`curl -sf -o /dev/null --max-time 5 -- http://127.0.0.1:8080${CRAFTED_PATH}`);
    expect(b.sb.read('/etc/webapp.env')).toContain(`HEALTH_CHECK_PATH=${JSON.stringify(CRAFTED_PATH)}\n`);
    const pwned = (dir: string) => fs.readdirSync(dir).filter((f) => f.startsWith('pwned'));
    expect([...pwned(b.sb.dir), ...pwned(b.sb.root), ...pwned(process.cwd()), ...pwned(os.tmpdir())]).toEqual([]);
  });
});

describe('webapp-db-env (credential refresh)', () => {
  const CONF = '/etc/webapp/db-env.conf';
  /** The script installed as the boot installs it, with the settings the boot writes. */
  const dbEnvSandbox = (secret: unknown) => {
    const sb = sandbox();
    sandboxes.push(sb.dir);
    fs.mkdirSync(sb.path('/etc/webapp'), { recursive: true });
    fs.copyFileSync(path.join(SCRIPTS_DIR, 'webapp-db-env.sh'), sb.path('/usr/local/sbin/webapp-db-env'));
    fs.chmodSync(sb.path('/usr/local/sbin/webapp-db-env'), 0o700);
    fs.writeFileSync(sb.path('/etc/webapp/rds-ca.pem'), '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n');
    fs.writeFileSync(sb.path(CONF), `REGION=eu-west-1\nSECRET_ARN=${q('arn:aws:secretsmanager:eu-west-1:123456789012:secret:db-AbCdEf')}\n` +
      'NODE_BIN=/usr/bin/node-24\nCA_FILE=/etc/webapp/rds-ca.pem\nENV_FILE=/etc/webapp/db.env\nSERVICE=webapp\n');
    sb.setState('secret', typeof secret === 'string' ? secret : JSON.stringify(secret));
    return sb;
  };
  const run = (sb: Sandbox, ...args: string[]) => {
    sb.clearCalls();
    const r = sb.exec('/usr/local/sbin/webapp-db-env', args);
    return { ...r, calls: sb.calls() };
  };
  const url = (env: string | undefined) => /^DATABASE_URL=(.*)$/m.exec(env ?? '')?.[1];
  const PASSWORD = `it's "quoted" @ a:b/c?d#e f`;

  test('renders DATABASE_URL (verify-full) and NODE_EXTRA_CA_CERTS, parsed back to the same credentials', () => {
    const sb = dbEnvSandbox({ ...SECRET, password: PASSWORD });
    const r = run(sb);
    expect(r.status).toBe(0);
    expect(r.calls).toEqual([
      'aws secretsmanager get-secret-value --region eu-west-1 --secret-id arn:aws:secretsmanager:eu-west-1:123456789012:secret:db-AbCdEf --query SecretString --output text',
      `chgrp webapp ${sb.path('/etc/webapp/db.env.new')}`,
    ]);
    const env = sb.read('/etc/webapp/db.env')!;
    expect(env).toMatch(/^DATABASE_URL=postgresql:\/\/[A-Za-z0-9%._~-]+:[A-Za-z0-9%._~-]+@db\.example\.internal:5432\/webapp\?sslmode=verify-full\nNODE_EXTRA_CA_CERTS=\/etc\/webapp\/rds-ca\.pem\n$/);
    expect(fs.statSync(sb.path('/etc/webapp/db.env')).mode & 0o777).toBe(0o640);
    expect(parse(url(env)!)).toMatchObject({ user: SECRET.username, password: PASSWORD, host: SECRET.host, port: '5432', database: 'webapp', sslmode: 'verify-full' });
  });

  test('the same secret again: the file untouched, no restart', () => {
    const sb = dbEnvSandbox({ ...SECRET, password: PASSWORD });
    expect(run(sb).status).toBe(0);
    const before = fs.statSync(sb.path('/etc/webapp/db.env'));
    fs.utimesSync(sb.path('/etc/webapp/db.env'), new Date(2020, 0, 1), new Date(2020, 0, 1));
    const r = run(sb, '--restart');
    expect(r.status).toBe(0);
    expect(r.stdout).toBe('');
    const after = fs.statSync(sb.path('/etc/webapp/db.env'));
    expect({ ino: after.ino, mtime: after.mtime.getFullYear() }).toEqual({ ino: before.ino, mtime: 2020 });
    expect(r.calls.filter((c) => !c.startsWith('aws '))).toEqual([]);
  });

  test('a rotated password: a new file, and with --restart the service restarts (without: it does not)', () => {
    const sb = dbEnvSandbox(SECRET);
    expect(run(sb).status).toBe(0);
    sb.setState('secret', JSON.stringify({ ...SECRET, password: 'rotated' }));
    const r = run(sb, '--restart');
    expect(r.status).toBe(0);
    expect(parse(url(sb.read('/etc/webapp/db.env'))!).password).toBe('rotated');
    expect(r.calls).toContain('systemctl try-restart webapp');
    expect(r.stdout).toContain('database credentials written');

    sb.setState('secret', JSON.stringify({ ...SECRET, password: 'rotated again' }));
    const quiet = run(sb);
    expect(parse(url(sb.read('/etc/webapp/db.env'))!).password).toBe('rotated again');
    expect(count(quiet.calls, /^systemctl /)).toBe(0);
  });

  test.each([
    ['invalid JSON', '{"password":"hunter2-SECRET",', /the secret is not valid JSON/],
    ['not an object', '"hunter2-SECRET"', /the secret is not a JSON object/],
    ['no host', '{"username":"app","password":"hunter2-SECRET","port":5432}', /the secret has no host/],
    ['a host that is not one', '{"username":"app","password":"hunter2-SECRET","host":"db;rm -rf /","port":5432}', /no valid host and port/],
  ])('a malformed secret (%s): non-zero exit, the file and service untouched, the secret in no output', (_, secret, reason) => {
    const sb = dbEnvSandbox(SECRET);
    expect(run(sb).status).toBe(0);
    const good = sb.read('/etc/webapp/db.env');
    sb.setState('secret', secret);
    const r = run(sb, '--restart');
    expect(r.status).not.toBe(0);
    expect(r.stderr).toMatch(reason);
    expect(r.stdout + r.stderr + r.calls.join('\n')).not.toContain('hunter2');
    expect(sb.read('/etc/webapp/db.env')).toBe(good);
    expect(count(r.calls, /^systemctl /)).toBe(0);
  });

  test('Secrets Manager failing: non-zero exit, the file untouched', () => {
    const sb = dbEnvSandbox(SECRET);
    expect(run(sb).status).toBe(0);
    const good = sb.read('/etc/webapp/db.env');
    sb.fail('aws-secret', { exit: 254, message: 'An error occurred (AccessDeniedException) when calling the GetSecretValue operation' });
    const r = run(sb, '--restart');
    expect(r.status).not.toBe(0);
    expect(sb.read('/etc/webapp/db.env')).toBe(good);
    expect(count(r.calls, /^systemctl /)).toBe(0);
  });

  test('no CA bundle: refuses (TLS is never unverified)', () => {
    const sb = dbEnvSandbox(SECRET);
    fs.rmSync(sb.path('/etc/webapp/rds-ca.pem'));
    const r = run(sb);
    expect(r.status).not.toBe(0);
    expect(r.stderr).toMatch(/no CA bundle/);
    expect(fs.existsSync(sb.path('/etc/webapp/db.env'))).toBe(false);
  });
});

describe('the instance role allows every AWS call the boot makes', () => {
  /** The IAM action behind each AWS CLI call the boot script makes. */
  const ACTIONS: Array<[RegExp, string]> = [
    [/^aws s3 cp /, 's3:GetObject'],
    [/^aws secretsmanager get-secret-value /, 'secretsmanager:GetSecretValue'],
    [/^aws ec2 attach-volume /, 'ec2:AttachVolume'],
    [/^aws ec2 describe-volumes /, 'ec2:DescribeVolumes'],
    [/^aws ec2 describe-tags /, 'ec2:DescribeTags'],
    [/^aws ec2 stop-instances /, 'ec2:StopInstances'],
    [/^aws ec2 wait instance-stopped /, 'ec2:DescribeInstances'],
    [/^aws ec2 wait volume-available /, 'ec2:DescribeVolumes'],
    [/^aws ec2 start-instances /, 'ec2:StartInstances'],
    [/^aws ec2 detach-volume /, 'ec2:DetachVolume'],
    [/^aws ec2 associate-address /, 'ec2:AssociateAddress'],
    [/^aws cloudformation signal-resource /, 'cloudformation:SignalResource'],
  ];
  /** Actions the policies attached to the EC2 role allow (resources and conditions not checked here). */
  const allowed = (template: Template): string[] => {
    const resources = template.toJSON().Resources as Record<string, { Type: string; Properties: any }>;
    const role = Object.entries(resources).find(([, r]) => r.Type === 'AWS::IAM::Role' &&
      JSON.stringify(r.Properties.AssumeRolePolicyDocument).includes('ec2.amazonaws.com'))![0];
    return Object.values(resources)
      .filter((r) => r.Type === 'AWS::IAM::Policy' && r.Properties.Roles.some((x: { Ref?: string }) => x.Ref === role))
      .flatMap((r) => r.Properties.PolicyDocument.Statement)
      .filter((st: { Effect: string }) => st.Effect === 'Allow')
      .flatMap((st: { Action: string | string[] }) => [st.Action].flat());
  };
  const actionsOf = (calls: string[]) => [...new Set(calls.filter((c) => c.startsWith('aws ')).map((c) => {
    const action = ACTIONS.find(([pattern]) => pattern.test(c));
    if (!action) throw new Error(`no IAM action known for ${c}`);
    return action[1];
  }))];
  const missing = (tier: Tier, calls: string[]) => {
    const granted = allowed(tier.template);
    return actionsOf(calls).filter((a) => !granted.some((g) => new RegExp(`^${g.split('*').map(escape).join('.*')}$`).test(a)));
  };

  test.each([
    ['tier 2', tier2, undefined],
    ['tier 3', tier3, undefined],
    ['tier 1, taking the volume over from the legacy instance', tier1, (sb: Sandbox) => {
      sb.setState('volume-holder', 'i-old');
      sb.setState('tags/i-old', tier1().host.inputs.LEGACY_INSTANCE_TAG);
    }],
    ['tier 1, giving the volume back after a failed boot', tier1, (sb: Sandbox) => {
      sb.setState('volume-holder', 'i-old');
      sb.setState('tags/i-old', tier1().host.inputs.LEGACY_INSTANCE_TAG);
      sb.fail('curl-health', { exit: 7 });
    }],
  ])('%s', (_, tier, setup) => {
    const b = boot(tier(), { setup });
    expect(count(b.calls, /^aws cloudformation signal-resource /)).toBe(1);
    expect(missing(tier(), b.calls)).toEqual([]);
  });
});

describe('the machine running the tests', () => {
  test('no run touched the real /etc, /opt, /var', () => {
    expect(HOST_PATHS.filter((p) => fs.existsSync(p))).toEqual(hostPathsBefore);
  });
});
