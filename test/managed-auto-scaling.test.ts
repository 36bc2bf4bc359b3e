import { execFileSync, spawnSync } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tls from 'node:tls';
import { CfnParameter, Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import * as acm from 'aws-cdk-lib/aws-certificatemanager';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as elbv2 from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import { RetentionDays } from 'aws-cdk-lib/aws-logs';
import * as route53 from 'aws-cdk-lib/aws-route53';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import {
  BatchSize, BeanstalkDeployment, BeanstalkLoadBalancer, Database, ManagedAutoScalingTier, Network, SOLUTION_STACK, SinglePointOfFailure, UpdateLevel,
  type ManagedAutoScalingTierProps,
} from '../constructs';
import { BEANSTALK_ENVIRONMENT_LIMIT, MANAGED_AUTO_SCALING_SPEC } from '../constructs/managed-auto-scaling/managed-auto-scaling-tier';
import { WebTiersValidationError } from '../constructs/shared/validation';
import { WEB_TIER_SPEC } from '../constructs/shared/web-tier';
import { beanstalkSourceBundle } from '../constructs/managed-auto-scaling/source-bundle';
import { NodePlatform, platformHandlerDirectory } from '../constructs/managed-auto-scaling/platform';
import {
  onPlatformEvent, type ListPlatformVersionsInput, type ListPlatformVersionsOutput, type PlatformEvent,
} from '../constructs/managed-auto-scaling/platform-handler/resolve';
import { INSTANCE_NODE_MAJOR } from '../constructs/shared/server-bootstrap';
import { Deployment } from '../constructs/shared/deployment';
import { ServerlessDeployment } from '../constructs/shared/app-function';
import { addNagChecks } from '../lib/nag';
import { snapshotOf, testApp, testStack, webApp } from './helpers';
import { lambdaNodeMajor } from './lambda-node';
import { LAMBDA_NODE, request, startProcess, type Started } from './runtime/processes';
import { captureSynthWarnings } from './synth-warnings';

// Most stacks here have the default network, with one NAT gateway, of which it warns.
const warnings = captureSynthWarnings(SinglePointOfFailure.NAT);

const CERT = 'arn:aws:acm:eu-west-1:123456789012:certificate/0c1d2e3f-4a5b-6c7d-8e9f-0a1b2c3d4e5f';

/** HTTPS on a domain: the certificate, the name it covers and the zone of the record. */
function withDomain(stack: Stack) {
  return {
    certificate: acm.Certificate.fromCertificateArn(stack, 'Cert', CERT),
    domainName: 'app.example.com',
    domainZone: route53.HostedZone.fromHostedZoneAttributes(stack, 'Zone', { hostedZoneId: 'Z123', zoneName: 'example.com' }),
  };
}

function synth(props: Partial<ManagedAutoScalingTierProps> = {}, stack = testStack()) {
  const tier = new ManagedAutoScalingTier(stack, 'Web', { app: webApp, ...props });
  return { stack, tier, template: Template.fromStack(stack) };
}

const byDefault = synth();
const full = (() => {
  const stack = testStack();
  return synth({
    instanceTypes: [new ec2.InstanceType('c7g.large'), new ec2.InstanceType('m7g.large')],
    scaling: { min: 3, max: 9, trigger: { metric: 'NetworkOut', statistic: 'Sum', unit: 'Bytes', upperThreshold: 6_000_000, lowerThreshold: 2_000_000, breachDuration: Duration.minutes(10) } },
    deployment: BeanstalkDeployment.trafficSplitting(15, Duration.minutes(20)),
    managedUpdates: { window: 'Wed:04:30', level: UpdateLevel.PATCH },
    monitoring: { logRetention: RetentionDays.ONE_YEAR },
    domain: withDomain(stack),
    solutionStackName: '64bit Amazon Linux 2023 v6.10.0 running Node.js 22',
    environment: { GREETING: 'hello' },
    optionSettings: [{ namespace: 'aws:elasticbeanstalk:xray', optionName: 'XRayEnabled', value: 'true' }],
    removalPolicy: RemovalPolicy.RETAIN,
  }, stack);
})();

/** The environment's option settings as { 'namespace optionName': value }. */
function options(t: Template): Record<string, unknown> {
  const [env] = Object.values(t.findResources('AWS::ElasticBeanstalk::Environment'));
  return Object.fromEntries((env.Properties.OptionSettings as Array<{ Namespace: string; OptionName: string; Value: unknown }>)
    .map((o) => [`${o.Namespace} ${o.OptionName}`, o.Value]));
}
const defaults = options(byDefault.template);
const configured = options(full.template);

describe('snapshots', () => {
  test('default', () => expect(snapshotOf(byDefault.template)).toMatchSnapshot());
  test('fully configured', () => expect(snapshotOf(full.template)).toMatchSnapshot());
});

describe('application, version and environment', () => {
  test('a version made from the server bundle, deployed to a web-server environment on the Node.js AL2023 platform', () => {
    byDefault.template.resourceCountIs('AWS::ElasticBeanstalk::Application', 1);
    byDefault.template.hasResourceProperties('AWS::ElasticBeanstalk::ApplicationVersion', {
      ApplicationName: { Ref: Match.stringLikeRegexp('WebApplication') },
      SourceBundle: { S3Bucket: Match.anyValue(), S3Key: Match.stringLikeRegexp('^[0-9a-f]{64}\\.zip$') },
    });
    byDefault.template.hasResourceProperties('AWS::ElasticBeanstalk::Environment', {
      PlatformArn: { Ref: Match.stringLikeRegexp('^WebPlatform') }, Tier: { Name: 'WebServer', Type: 'Standard' },
      VersionLabel: { Ref: Match.stringLikeRegexp('WebVersion') },
    });
    full.template.hasResourceProperties('AWS::ElasticBeanstalk::Environment', { SolutionStackName: '64bit Amazon Linux 2023 v6.10.0 running Node.js 22' });
  });
});

/**
 * Tier 4's source bundle deployed the way the Node.js platform deploys it: zipped, unzipped into an
 * app folder, the prebuild hook run (as root on the platform; here in a sandbox root,
 * WEB_TIERS_ROOT, with stub get-config, aws, systemctl and chgrp), then the Procfile's `web`
 * process started in the app folder on the platform's Node major. The secret points at the
 * embedded PostgreSQL behind a TLS-terminating proxy, so the app reaches a real database with
 * sslmode=verify-full against the CA bundle the hook installed.
 */
describe('the source bundle, started the way the Node.js platform starts it', () => {
  const HOOK = '10-web-tiers-db-env.sh';
  const HOOK_DIRS = ['.platform/hooks/prebuild', '.platform/confighooks/prebuild'];
  const SECRET_ARN = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:WebDatabaseSecret-AbCdEf';
  /** The shape of the secret RDS attaches (username, password, host, port, dbname, engine). */
  const secretOf = (port: number, password: string) =>
    JSON.stringify({ username: 'webapp', password, host: 'localhost', port, dbname: 'webapp', engine: 'postgres' });
  const PASSWORD = 'p@ss w/rd:#1';
  const ROTATED = 'rotated-Xy9/+=';
  const urlOf = (port: number, password: string) =>
    `postgresql://webapp:${encodeURIComponent(password)}@localhost:${port}/webapp?sslmode=verify-full`;

  /** A TLS-terminating proxy in front of PGlite (which speaks no TLS), serving `localhost`'s certificate. */
  interface TlsProxy { port: number; users: string[]; close(): void }
  /** One platform host: the unzipped app folder, a sandbox root, stub commands, and the app once started. */
  interface Host { dir: string; app: string; root: string; bin: string; proxy: TlsProxy; web?: Started }

  let tmp: string;
  let zipFile: string;
  let db: Promise<Started>;
  let pki: { ca: string; key: Buffer; cert: Buffer };
  const hosts: Host[] = [];
  const source = () => beanstalkSourceBundle(webApp);
  const read = (file: string) => fs.readFileSync(file, 'utf8');
  const calls = (h: Host) => read(path.join(h.dir, 'calls.log')).trim().split('\n');
  const dbEnv = (h: Host) => read(path.join(h.root, 'etc/webapp/db.env'));
  /** The environment of a running process (Linux: /proc). */
  const environOf = (pid: number) => Object.fromEntries(read(`/proc/${pid}/environ`).split('\0').filter(Boolean)
    .map((kv) => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)]));

  function tlsProxy(): Promise<TlsProxy> {
    const users: string[] = [];
    const sockets = new Set<net.Socket>();
    const track = (s: net.Socket) => {
      sockets.add(s);
      s.on('close', () => sockets.delete(s));
      s.on('error', () => s.destroy());
    };
    const server = net.createServer((client) => {
      track(client);
      client.once('data', (first) => {
        // Only TLS: the SSLRequest (length 8, code 80877103) is answered 'S', anything else is dropped.
        if (first.length !== 8 || first.readInt32BE(0) !== 8 || first.readInt32BE(4) !== 80877103) {
          client.destroy();
          return;
        }
        client.write('S');
        const secure = new tls.TLSSocket(client, { isServer: true, key: pki.key, cert: pki.cert });
        track(secure);
        secure.once('data', (startup) => {
          // The StartupMessage: length, protocol 3.0, then name\0value\0 pairs.
          secure.pause();
          const fields = startup.subarray(8).toString().split('\0');
          users.push(fields[fields.indexOf('user') + 1]);
          void db.then(({ match }) => {
            const upstream = net.connect(Number(new URL(match[1]).port), '127.0.0.1');
            track(upstream);
            upstream.on('close', () => secure.destroy());
            secure.on('close', () => upstream.destroy());
            upstream.write(startup);
            secure.pipe(upstream).pipe(secure);
          });
        });
      });
    });
    return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve({
      port: (server.address() as net.AddressInfo).port,
      users,
      close: () => {
        server.close();
        for (const s of sockets) s.destroy();
      },
    })));
  }

  /** Unzips the bundle into a fresh app folder with a sandbox root, as a new instance gets it. */
  async function newHost(name: string, ca?: string): Promise<Host> {
    const dir = path.join(tmp, name);
    const h: Host = { dir, app: path.join(dir, 'app'), root: path.join(dir, 'root'), bin: path.join(dir, 'bin'), proxy: await tlsProxy() };
    hosts.push(h);
    fs.mkdirSync(h.bin, { recursive: true });
    execFileSync('unzip', ['-q', zipFile, '-d', h.app]);
    if (ca) fs.copyFileSync(ca, path.join(h.app, 'web-tiers', 'rds-ca.pem'));
    // What the platform's AMI has: the folders the hook writes into, get-config, and Node at /usr/bin/node.
    for (const d of ['opt/elasticbeanstalk/bin', 'usr/bin', 'usr/local/sbin', 'etc/systemd/system']) fs.mkdirSync(path.join(h.root, d), { recursive: true });
    fs.writeFileSync(path.join(dir, 'secret.json'), secretOf(h.proxy.port, PASSWORD));
    fs.writeFileSync(path.join(dir, 'calls.log'), '');
    const log = JSON.stringify(path.join(dir, 'calls.log'));
    const stub = (file: string, body: string) => fs.writeFileSync(file, `#!/bin/bash\n${body}\n`, { mode: 0o755 });
    stub(path.join(h.root, 'opt/elasticbeanstalk/bin/get-config'),
      `[ -e ${JSON.stringify(path.join(dir, 'get-config-fails'))} ] && { echo 'get-config: cannot read the configuration' >&2; exit 1; }
[ "$*" = environment ] && printf '{"NODE_ENV":"production","DATABASE_SECRET_ARN":"%s"}' '${SECRET_ARN}'`);
    stub(path.join(h.bin, 'aws'), `echo "aws $*" >>${log}
[ "$*" = "secretsmanager get-secret-value --region eu-west-1 --secret-id ${SECRET_ARN} --query SecretString --output text" ] || exit 252
cat ${JSON.stringify(path.join(dir, 'secret.json'))}`);
    stub(path.join(h.bin, 'systemctl'), `echo "systemctl $*" >>${log}`);
    stub(path.join(h.bin, 'chgrp'), `echo "chgrp $*" >>${log}`);
    fs.symlinkSync(LAMBDA_NODE, path.join(h.root, 'usr/bin/node'));
    return h;
  }

  const env = (h: Host) => ({ PATH: `${h.bin}:${h.root}/usr/bin:${process.env.PATH}`, WEB_TIERS_ROOT: h.root });

  /** Runs the prebuild hook the way the platform does: by its path (so it must be executable), in the app folder. */
  const runHook = (h: Host) => execFileSync(path.join(h.app, HOOK_DIRS[0], HOOK), { cwd: h.app, env: env(h), encoding: 'utf8' });

  /**
   * Starts the Procfile's `web` process as the platform does: `bash start.sh` in the app folder, with
   * PORT and the environment properties, and no DATABASE_URL. PORT is 0 (the kernel picks a free
   * port, read back from the 'listening' line) rather than the platform's 8080: 8080 may be taken
   * on a developer machine or by another test worker, and nginx is not in front here.
   */
  async function startWeb(h: Host): Promise<number> {
    const procfile = read(path.join(h.app, 'Procfile'));
    const command = /^web: (.+)$/m.exec(procfile)![1];
    h.web = await startProcess(['-c', `cd "$0" && exec ${command}`, h.app], {
      ...env(h), PORT: '0', NODE_ENV: 'production', HEALTH_CHECK_PATH: '/health', DATABASE_SECRET_ARN: SECRET_ARN,
    }, /"msg":"listening"[^\n]*"port":(\d+)/, 'bash');
    return Number(h.web.match[1]);
  }

  async function stopWeb(h: Host): Promise<void> {
    if (!h.web || h.web.child.exitCode !== null) return;
    h.web.child.kill('SIGTERM');
    await h.web.exited;
  }

  let trusted: Host;
  let untrusted: Host;
  let trustedPort: number;
  let untrustedPort: number;

  beforeAll(async () => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'eb-platform-'));
    // PGlite takes seconds to start: it starts first, and only the requests that reach it wait for it.
    db = startProcess(['--import', 'tsx', path.join(__dirname, '..', 'webapp', 'db-server.ts')], {}, /"url":"([^"]+)"/);
    db.catch(() => undefined);

    // A throwaway CA and a certificate for localhost it issued.
    const openssl = (...args: string[]) => execFileSync('openssl', args, { cwd: tmp, stdio: 'pipe' });
    fs.writeFileSync(path.join(tmp, 'pki.cnf'), [
      '[req]', 'distinguished_name = dn', 'prompt = no', '[dn]', 'CN = web-tiers test CA',
      '[ca]', 'basicConstraints = critical, CA:TRUE', 'keyUsage = critical, keyCertSign', 'subjectKeyIdentifier = hash',
      '[server]', 'basicConstraints = critical, CA:FALSE', 'keyUsage = critical, digitalSignature', 'extendedKeyUsage = serverAuth',
      'subjectAltName = DNS:localhost', 'authorityKeyIdentifier = keyid',
    ].join('\n'));
    const newKey = ['-newkey', 'rsa:2048', '-nodes'];
    openssl('req', '-x509', ...newKey, '-keyout', 'ca.key', '-out', 'ca.pem', '-days', '2', '-config', 'pki.cnf', '-extensions', 'ca');
    openssl('req', '-new', ...newKey, '-keyout', 'server.key', '-out', 'server.csr', '-subj', '/CN=localhost', '-config', 'pki.cnf');
    openssl('x509', '-req', '-in', 'server.csr', '-CA', 'ca.pem', '-CAkey', 'ca.key', '-set_serial', '2', '-days', '2',
      '-extfile', 'pki.cnf', '-extensions', 'server', '-out', 'server.pem');
    pki = { ca: path.join(tmp, 'ca.pem'), key: fs.readFileSync(path.join(tmp, 'server.key')), cert: fs.readFileSync(path.join(tmp, 'server.pem')) };

    zipFile = path.join(tmp, 'bundle.zip');
    execFileSync('zip', ['-qr', zipFile, '.'], { cwd: source() });

    // One host trusts the test CA (it replaces the shipped bundle); the other keeps the real RDS CAs.
    [trusted, untrusted] = await Promise.all([newHost('trusted', pki.ca), newHost('untrusted')]);
    runHook(trusted);
    runHook(untrusted);
    [trustedPort, untrustedPort] = await Promise.all([startWeb(trusted), startWeb(untrusted)]);
  });

  afterAll(async () => {
    await Promise.all(hosts.map(stopWeb));
    for (const h of hosts) h.proxy.close();
    const started = await db?.catch(() => undefined);
    if (started && started.child.exitCode === null) {
      started.child.kill('SIGTERM');
      await started.exited;
    }
    if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
  });

  test('the bundle: the server bundle, a Procfile, start.sh, both hooks executable, the refresh script and the RDS CAs', () => {
    const dir = source();
    const scripts = path.join(__dirname, '..', 'constructs', 'scripts');
    expect(read(path.join(dir, 'server.js'))).toBe(read(path.join(webApp.serverBundle().directory, 'server.js')));
    expect(read(path.join(dir, 'Procfile'))).toBe('web: bash start.sh\n');
    expect(read(path.join(dir, 'start.sh'))).toBe(read(path.join(scripts, 'beanstalk', 'start.sh')));
    for (const hooks of HOOK_DIRS) {
      const hook = path.join(dir, hooks, HOOK);
      expect(read(hook)).toBe(read(path.join(scripts, 'beanstalk', 'db-env-hook.sh')));
      expect(fs.statSync(hook).mode & 0o111).toBe(0o111);
    }
    expect(read(path.join(dir, 'web-tiers', 'webapp-db-env.sh'))).toBe(read(path.join(scripts, 'webapp-db-env.sh')));

    const pem = read(path.join(dir, 'web-tiers', 'rds-ca.pem'));
    const blocks = pem.match(/-----BEGIN CERTIFICATE-----[^-]+-----END CERTIFICATE-----/g) ?? [];
    expect(blocks.length).toBe(pem.split('-----BEGIN').length - 1);
    const certs = blocks.map((b) => new X509Certificate(b));
    const roots = new Map(certs.map((c) => [/^CN=(.*)$/m.exec(c.subject)?.[1], c]));
    // The CA the Database construct sets (RDS_CA_RSA2048_G1), for a few regions: self-signed CAs, valid now.
    for (const region of ['eu-west-1', 'us-east-1', 'ap-southeast-2']) {
      const root = roots.get(`Amazon RDS ${region} Root CA RSA2048 G1`);
      expect(root).toBeDefined();
      expect(root!.ca).toBe(true);
      expect(root!.verify(root!.publicKey)).toBe(true);
      expect(new Date(root!.validTo).getTime()).toBeGreaterThan(Date.now());
    }
  });

  test('the hook installs the refresh, its timer and the CA bundle, and writes db.env from the secret', () => {
    const h = trusted;
    expect(dbEnv(h)).toBe(`DATABASE_URL=${urlOf(h.proxy.port, PASSWORD)}\nNODE_EXTRA_CA_CERTS=/etc/webapp/rds-ca.pem\n`);
    expect(fs.statSync(path.join(h.root, 'etc/webapp/db.env')).mode & 0o777).toBe(0o640);
    expect(fs.statSync(path.join(h.root, 'etc/webapp')).mode & 0o777).toBe(0o750);
    expect(read(path.join(h.root, 'etc/webapp/rds-ca.pem'))).toBe(read(pki.ca));
    const refresh = path.join(h.root, 'usr/local/sbin/webapp-db-env');
    expect(read(refresh)).toBe(read(path.join(h.app, 'web-tiers', 'webapp-db-env.sh')));
    expect(fs.statSync(refresh).mode & 0o777).toBe(0o700);
    expect(read(path.join(h.root, 'etc/webapp/db-env.conf'))).toContain('NODE_BIN=/usr/bin/node\n');
    expect(read(path.join(h.root, 'etc/systemd/system/webapp-db-env.service'))).toContain('ExecStart=/usr/local/sbin/webapp-db-env --restart\n');
    expect(read(path.join(h.root, 'etc/systemd/system/webapp-db-env.timer'))).toContain('OnUnitActiveSec=5min\n');
    expect(calls(h)).toEqual([
      `chgrp webapp ${h.root}/etc/webapp`,
      `aws secretsmanager get-secret-value --region eu-west-1 --secret-id ${SECRET_ARN} --query SecretString --output text`,
      `chgrp webapp ${h.root}/etc/webapp/db.env.new`,
      'systemctl daemon-reload',
      'systemctl enable --now webapp-db-env.timer',
    ]);
  });

  test('start.sh runs server.js on the platform\'s Node major with DATABASE_URL; /health reaches PostgreSQL over verified TLS, on one connection', async () => {
    const h = trusted;
    // On the platform the database is up before the app; here PGlite may still be starting.
    await db;
    if (process.platform === 'linux') {
      // start.sh exec'd node: the same process, running the Node the hook found on PATH.
      expect(fs.realpathSync(`/proc/${h.web!.child.pid}/exe`)).toBe(fs.realpathSync(LAMBDA_NODE));
      const environ = environOf(h.web!.child.pid!);
      expect(environ.DATABASE_URL).toBe(urlOf(h.proxy.port, PASSWORD));
      expect(environ.NODE_EXTRA_CA_CERTS).toBe(`${h.root}/etc/webapp/rds-ca.pem`);
    }
    expect(Number(execFileSync(path.join(h.root, 'usr/bin/node'), ['-p', 'process.versions.node'], { encoding: 'utf8' }).split('.')[0])).toBe(lambdaNodeMajor());
    for (let i = 0; i < 2; i++) {
      const res = await request(trustedPort, 'GET', '/health');
      expect({ status: res.status, body: JSON.parse(res.text) }).toEqual({ status: 200, body: { status: 'ok', store: 'postgres' } });
    }
    // One TLS session, as the secret's user: the pool kept the connection for the second request.
    expect(h.proxy.users).toEqual(['webapp']);
  });

  test('verification is real: with the shipped RDS CA bundle the test server is not trusted and /health answers 503', async () => {
    const res = await request(untrustedPort, 'GET', '/health');
    expect(res.status).toBe(503);
    expect(JSON.parse(res.text).error).toMatch(/certificate/i);
    expect(untrusted.proxy.users).toEqual([]);
    expect(dbEnv(untrusted)).toBe(`DATABASE_URL=${urlOf(untrusted.proxy.port, PASSWORD)}\nNODE_EXTRA_CA_CERTS=/etc/webapp/rds-ca.pem\n`);
  });

  test('rotation: webapp-db-env --restart rewrites db.env and restarts `web` only when the secret changed; the restarted app uses it', async () => {
    const h = trusted;
    const refresh = () => execFileSync(path.join(h.root, 'usr/local/sbin/webapp-db-env'), ['--restart'], { env: env(h), encoding: 'utf8' });
    // PGlite checks no password (any user and password get in), so the rotated one is accepted as the old one was.
    fs.writeFileSync(path.join(h.dir, 'secret.json'), secretOf(h.proxy.port, ROTATED));
    let before = calls(h).length;
    expect(refresh()).toContain('database credentials written');
    expect(dbEnv(h)).toBe(`DATABASE_URL=${urlOf(h.proxy.port, ROTATED)}\nNODE_EXTRA_CA_CERTS=/etc/webapp/rds-ca.pem\n`);
    expect(calls(h).slice(before).filter((c) => c.startsWith('systemctl'))).toEqual(['systemctl try-restart web']);

    before = calls(h).length;
    expect(refresh()).toBe('');
    expect(calls(h).slice(before)).toEqual([expect.stringMatching(/^aws secretsmanager get-secret-value /)]);

    // What systemd's try-restart does to `web`: stop it, start it again.
    await stopWeb(h);
    const port = await startWeb(h);
    if (process.platform === 'linux') expect(environOf(h.web!.child.pid!).DATABASE_URL).toBe(urlOf(h.proxy.port, ROTATED));
    expect((await request(port, 'GET', '/health')).status).toBe(200);
    expect(h.proxy.users).toEqual(['webapp', 'webapp']);
  });

  test('fails closed: a get-config that cannot read the configuration fails the hook; a web process without its credentials file does not start', async () => {
    const h = await newHost('closed');
    fs.writeFileSync(path.join(h.dir, 'get-config-fails'), '');
    expect(() => execFileSync(path.join(h.app, HOOK_DIRS[0], HOOK), { cwd: h.app, env: env(h), stdio: 'pipe' }))
      .toThrow(/get-config: cannot read the configuration/);
    expect(fs.existsSync(path.join(h.root, 'etc/webapp/db.env'))).toBe(false);
    const start = spawnSync('bash', ['start.sh'], { cwd: h.app, env: { ...env(h), PORT: '0', DATABASE_SECRET_ARN: SECRET_ARN }, encoding: 'utf8', timeout: 10_000 });
    expect(start.status).toBe(1);
    expect(start.stderr).toMatch(/DATABASE_SECRET_ARN is set but .*\/etc\/webapp\/db\.env cannot be read/);
  });
});

describe('typed options become option settings', () => {
  test.each<[string, string, unknown, unknown]>([
    ['VPC', 'aws:ec2:vpc VPCId', { Ref: expect.stringMatching(/^WebNetworkVpc/) }, undefined],
    ['instance types', 'aws:ec2:instances InstanceTypes', 't4g.small', 'c7g.large,m7g.large'],
    ['architecture (arm64 by default)', 'aws:ec2:instances SupportedArchitectures', 'arm64', 'arm64'],
    ['min capacity', 'aws:autoscaling:asg MinSize', '2', '3'],
    ['max capacity', 'aws:autoscaling:asg MaxSize', '4', '9'],
    ['trigger metric', 'aws:autoscaling:trigger MeasureName', 'CPUUtilization', 'NetworkOut'],
    ['trigger statistic', 'aws:autoscaling:trigger Statistic', 'Average', 'Sum'],
    ['trigger unit', 'aws:autoscaling:trigger Unit', 'Percent', 'Bytes'],
    ['trigger upper threshold', 'aws:autoscaling:trigger UpperThreshold', '60', '6000000'],
    ['trigger lower threshold', 'aws:autoscaling:trigger LowerThreshold', '25', '2000000'],
    ['trigger breach duration', 'aws:autoscaling:trigger BreachDuration', '5', '10'],
    ['deployment policy', 'aws:elasticbeanstalk:command DeploymentPolicy', 'RollingWithAdditionalBatch', 'TrafficSplitting'],
    ['batch size type', 'aws:elasticbeanstalk:command BatchSizeType', 'Percentage', undefined],
    ['batch size', 'aws:elasticbeanstalk:command BatchSize', '30', undefined],
    ['traffic-splitting percentage', 'aws:elasticbeanstalk:trafficsplitting NewVersionPercent', undefined, '15'],
    ['traffic-splitting evaluation time', 'aws:elasticbeanstalk:trafficsplitting EvaluationTime', undefined, '20'],
    ['managed updates on', 'aws:elasticbeanstalk:managedactions ManagedActionsEnabled', 'true', 'true'],
    ['managed updates window', 'aws:elasticbeanstalk:managedactions PreferredStartTime', 'Sun:03:00', 'Wed:04:30'],
    ['managed updates level', 'aws:elasticbeanstalk:managedactions:platformupdate UpdateLevel', 'minor', 'patch'],
    ['enhanced health', 'aws:elasticbeanstalk:healthreporting:system SystemType', 'enhanced', 'enhanced'],
    ['log streaming', 'aws:elasticbeanstalk:cloudwatch:logs StreamLogs', 'true', 'true'],
    ['log retention', 'aws:elasticbeanstalk:cloudwatch:logs RetentionInDays', '90', '365'],
    ['health log streaming', 'aws:elasticbeanstalk:cloudwatch:logs:health HealthStreamingEnabled', 'true', 'true'],
    ['HTTPS listener', 'aws:elbv2:listener:443 Protocol', undefined, 'HTTPS'],
    ['certificate', 'aws:elbv2:listener:443 SSLCertificateArns', undefined, CERT],
    ['TLS policy', 'aws:elbv2:listener:443 SSLPolicy', undefined, 'ELBSecurityPolicy-TLS13-1-2-2021-06'],
    ['HTTP closed with HTTPS', 'aws:elbv2:listener:default ListenerEnabled', undefined, 'false'],
    ['health check path', 'aws:elasticbeanstalk:environment:process:default HealthCheckPath', '/health', '/health'],
    ['IMDSv1 disabled', 'aws:autoscaling:launchconfiguration DisableIMDSv1', 'true', 'true'],
    ['environment variables', 'aws:elasticbeanstalk:application:environment GREETING', undefined, 'hello'],
    ['the secret by ARN, not its value', 'aws:elasticbeanstalk:application:environment DATABASE_SECRET_ARN', { Ref: expect.stringMatching(/SecretAttachment/) }, undefined],
    ['load balancer type', 'aws:elasticbeanstalk:environment LoadBalancerType', 'application', 'application'],
    ['raw option setting', 'aws:elasticbeanstalk:xray XRayEnabled', undefined, 'true'],
  ])('%s: %s', (_name, key, byDefaultValue, configuredValue) => {
    if (byDefaultValue !== undefined) expect(defaults[key]).toEqual(byDefaultValue);
    if (configuredValue !== undefined) expect(configured[key]).toEqual(configuredValue);
  });

  test('instances in the app subnets, the load balancer in the public ones, access logs on', () => {
    expect(JSON.stringify(defaults['aws:ec2:vpc Subnets'])).toMatch(/AppSubnet1.*AppSubnet2/);
    expect(JSON.stringify(defaults['aws:ec2:vpc ELBSubnets'])).toMatch(/PublicSubnet1.*PublicSubnet2/);
    expect(defaults['aws:ec2:vpc AssociatePublicIpAddress']).toBe('false');
    expect(defaults['aws:elbv2:loadbalancer AccessLogsS3Enabled']).toBe('true');
  });

  test('no database password anywhere in the environment', () => {
    const envKeys = Object.keys(defaults).filter((k) => k.startsWith('aws:elasticbeanstalk:application:environment'));
    expect(envKeys.sort()).toEqual([
      'aws:elasticbeanstalk:application:environment DATABASE_SECRET_ARN',
      'aws:elasticbeanstalk:application:environment HEALTH_CHECK_PATH',
      'aws:elasticbeanstalk:application:environment NODE_ENV',
    ]);
  });

  test('a shared load balancer', () => {
    const stack = testStack();
    const network = new Network(stack, 'Net');
    const alb = new elbv2.ApplicationLoadBalancer(stack, 'Shared', { vpc: network.vpc });
    const o = options(synth({ network, loadBalancer: BeanstalkLoadBalancer.shared(alb) }, stack).template);
    expect(o['aws:elasticbeanstalk:environment LoadBalancerIsShared']).toBe('true');
    expect(o['aws:elbv2:loadbalancer SharedLoadBalancer']).toEqual({ Ref: expect.stringMatching(/^Shared/) });
    expect(o['aws:elbv2:loadbalancer AccessLogsS3Enabled']).toBeUndefined();
  });

  test('a single instance without a load balancer, with a warning', () => {
    warnings.allow(SinglePointOfFailure.BEANSTALK_SINGLE_INSTANCE);
    const { template, stack } = synth({ loadBalancer: BeanstalkLoadBalancer.none() });
    const o = options(template);
    expect(o['aws:elasticbeanstalk:environment EnvironmentType']).toBe('SingleInstance');
    expect(o['aws:autoscaling:asg MaxSize']).toBe('1');
    // Beanstalk rolls only load-balanced environments: one instance is replaced all at once by default.
    expect(o['aws:elasticbeanstalk:command DeploymentPolicy']).toBe('AllAtOnce');
    // Immutable works on a single instance too.
    expect(options(synth({ loadBalancer: BeanstalkLoadBalancer.none(), deployment: BeanstalkDeployment.immutable() }).template)['aws:elasticbeanstalk:command DeploymentPolicy']).toBe('Immutable');
    Annotations.fromStack(stack).hasWarning('/Test/Web', Match.stringLikeRegexp('single point of failure'));
    // Each of the three synths printed it.
    expect(warnings.take()).toEqual(Array(3).fill([SinglePointOfFailure.BEANSTALK_SINGLE_INSTANCE, SinglePointOfFailure.NAT].sort()));
  });
});

describe('roles and network', () => {
  test('instance profile and service role with the policies Beanstalk requires, plus the secret', () => {
    byDefault.template.hasResourceProperties('AWS::IAM::Role', {
      AssumeRolePolicyDocument: { Statement: [Match.objectLike({ Principal: { Service: 'elasticbeanstalk.amazonaws.com' }, Condition: { StringEquals: { 'sts:ExternalId': 'elasticbeanstalk' } } })] },
      ManagedPolicyArns: Match.arrayWith([Match.objectLike({ 'Fn::Join': Match.arrayWith([Match.arrayWith([':iam::aws:policy/service-role/AWSElasticBeanstalkEnhancedHealth'])]) })]),
    });
    byDefault.template.hasResourceProperties('AWS::IAM::InstanceProfile', { Roles: [{ Ref: Match.stringLikeRegexp('WebInstanceRole') }] });
    byDefault.template.hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: { Statement: Match.arrayWith([Match.objectLike({ Action: ['secretsmanager:DescribeSecret', 'secretsmanager:GetSecretValue'] })]) },
      Roles: [{ Ref: Match.stringLikeRegexp('WebInstanceRole') }],
    });
  });

  test('the database admits only the instances', () => {
    byDefault.template.hasResourceProperties('AWS::EC2::SecurityGroupIngress', {
      GroupId: { 'Fn::GetAtt': [Match.stringLikeRegexp('WebDatabaseSecurityGroup'), 'GroupId'] },
      SourceSecurityGroupId: { 'Fn::GetAtt': [Match.stringLikeRegexp('WebInstanceSecurityGroup'), 'GroupId'] },
    });
  });

  test('alarms on environment health, 5xx rate and p99 latency', () => {
    expect(byDefault.tier.alarms).toHaveLength(3);
    byDefault.template.hasResourceProperties('AWS::CloudWatch::Alarm', { MetricName: 'EnvironmentHealth', Threshold: 20 });
    expect(JSON.parse(defaults['aws:elasticbeanstalk:healthreporting:system ConfigDocument'] as string).CloudWatchMetrics.Environment)
      .toMatchObject({ EnvironmentHealth: 60, ApplicationRequests5xx: 60, ApplicationLatencyP99: 60 });
  });
});

describe('validation', () => {
  test.each<[string, (s: Stack) => Partial<ManagedAutoScalingTierProps>, RegExp]>([
    ['min above max', () => ({ scaling: { min: 5, max: 2 } }), /invalid scaling: min 5 is above max 2; accepted: min ≤ max/],
    // BatchSize.percent and trafficSplitting check their own ranges (see "static factories" below).
    ['fixed batch larger than the group', () => ({ scaling: { max: 3 }, deployment: BeanstalkDeployment.rolling(BatchSize.fixed(5)) }), /invalid deployment\.batchSize: got 5; accepted: an integer from 1 to 3 instances \(scaling\.max is 3\)/],
    ['traffic splitting without a load balancer', () => ({ loadBalancer: BeanstalkLoadBalancer.none(), deployment: BeanstalkDeployment.trafficSplitting() }), /invalid deployment: TrafficSplitting needs a load-balanced environment; accepted on a single instance/],
    ['rolling without a load balancer', () => ({ loadBalancer: BeanstalkLoadBalancer.none(), deployment: BeanstalkDeployment.rolling(BatchSize.fixed(1)) }), /invalid deployment: Rolling needs a load-balanced environment/],
    ['Deployment.rolling() without a load balancer', () => ({ loadBalancer: BeanstalkLoadBalancer.none(), deployment: Deployment.rolling() }), /invalid deployment: Deployment\.rolling\(\) is not possible on ManagedAutoScalingTier: Beanstalk rolls only load-balanced environments/],
    ['several instances without a load balancer', () => ({ loadBalancer: BeanstalkLoadBalancer.none(), deployment: BeanstalkDeployment.allAtOnce(), scaling: { max: 3 } }), /invalid scaling\.max: is 3 without a load balancer/],
    ['managed updates without enhanced health', () => ({ monitoring: { enhancedHealth: false } }), /invalid managedUpdates: need enhanced health/],
    ['a bad maintenance window', () => ({ managedUpdates: { window: 'Sunday 3am' } }), /invalid managedUpdates\.window: got 'Sunday 3am'/],
    ['a retention Beanstalk does not offer', () => ({ monitoring: { logRetention: RetentionDays.THREE_YEARS } }), /invalid monitoring\.logRetention: 1096 days; accepted by Beanstalk: 1, 3, 5/],
    ['mixed architectures', () => ({ instanceTypes: [new ec2.InstanceType('t4g.small'), new ec2.InstanceType('t3.small')] }), /invalid instanceTypes: mixes architectures/],
    ['a bad instance type', () => ({ instanceTypes: [new ec2.InstanceType('small')] }), /invalid instanceTypes\[0\]: got 'small'/],
    ['a trigger with lower above upper', () => ({ scaling: { trigger: { metric: 'CPUUtilization', statistic: 'Average', unit: 'Percent', upperThreshold: 20, lowerThreshold: 50 } } }), /invalid scaling\.trigger: upperThreshold 20 and lowerThreshold 50; accepted: 0 ≤ lower < upper/],
    ['a trigger statistic', () => ({ scaling: { trigger: { metric: 'CPUUtilization', statistic: 'p99', unit: 'Percent', upperThreshold: 60, lowerThreshold: 20 } } }), /invalid scaling\.trigger\.statistic: got 'p99'/],
    ['a platform that is not Node.js on AL2023', () => ({ solutionStackName: '64bit Amazon Linux 2 v5.8.0 running Node.js 18' }), /invalid solutionStackName: got '64bit Amazon Linux 2 v5\.8\.0 running Node\.js 18'; accepted: '64bit Amazon Linux 2023 vX\.Y\.Z running Node\.js N'/],
    ['Node.js 18', () => ({ solutionStackName: '64bit Amazon Linux 2023 v6.1.0 running Node.js 18' }), /invalid solutionStackName/],
    ['a bad raw namespace', () => ({ optionSettings: [{ namespace: 'autoscaling', optionName: 'MinSize', value: '1' }] }), /invalid optionSettings\[0\]\.namespace: got 'autoscaling'/],
    ['a bad raw option name', () => ({ optionSettings: [{ namespace: 'aws:autoscaling:asg', optionName: 'Min Size', value: '1' }] }), /invalid optionSettings\[0\]\.optionName: got 'Min Size'/],
    ['a raw setting repeating a typed one', () => ({ optionSettings: [{ namespace: 'aws:autoscaling:asg', optionName: 'MinSize', value: '1' }] }), /invalid optionSettings\[0\]: aws:autoscaling:asg MinSize is set by a typed prop/],
    ['a reserved variable', () => ({ environment: { DATABASE_URL: 'postgres://x' } }), /invalid environment: variable 'DATABASE_URL' is set by the tier/],
  ])('%s', (_name, props, message) => {
    const stack = testStack();
    expect(() => synth(props(stack), stack)).toThrow(message);
  });
});

describe('cdk-nag AwsSolutions (Elastic Beanstalk rules included)', () => {
  test.each<[string, (s: Stack) => Partial<ManagedAutoScalingTierProps>]>([
    ['default', () => ({})],
    ['HTTPS, traffic splitting', (s) => ({ deployment: BeanstalkDeployment.trafficSplitting(), domain: withDomain(s) })],
    ['single instance, no managed updates', () => ({ loadBalancer: BeanstalkLoadBalancer.none(), deployment: BeanstalkDeployment.allAtOnce(), managedUpdates: false })],
  ])('%s: no unacknowledged finding', (name, props) => {
    if (name.startsWith('single instance')) warnings.allow(SinglePointOfFailure.BEANSTALK_SINGLE_INSTANCE);
    const app = testApp();
    const stack = new Stack(app, 'Nag');
    new ManagedAutoScalingTier(stack, 'Web', { app: webApp, ...props(stack) });
    addNagChecks(app);
    expect(() => app.synth()).not.toThrow();
  });
});

describe('platform resolved at deploy time (NodePlatform)', () => {
  const BRANCH = `Node.js ${INSTANCE_NODE_MAJOR} running on 64bit Amazon Linux 2023`;
  const arnOf = (branch: string, version: string) => `arn:aws:elasticbeanstalk:eu-west-1::platform/${branch}/${version}`;
  /** A fake ListPlatformVersions serving `pages` in order, chained by NextToken. */
  function fakeList(pages: Array<Array<{ version: string; branch?: string }>>) {
    return jest.fn(async (input: ListPlatformVersionsInput): Promise<ListPlatformVersionsOutput> => {
      const i = input.NextToken ? Number(input.NextToken.slice('page-'.length)) : 0;
      return {
        PlatformSummaryList: pages[i].map((p) => ({ PlatformVersion: p.version, PlatformArn: arnOf(p.branch ?? BRANCH, p.version) })),
        NextToken: i + 1 < pages.length ? `page-${i + 1}` : undefined,
      };
    });
  }
  const event = (e: Partial<PlatformEvent>): PlatformEvent => ({ RequestType: 'Create', ResourceProperties: { Branch: BRANCH }, ...e });
  const providerResources = (t: Template) => Object.entries(t.toJSON().Resources as Record<string, { Type: string; Properties: any }>)
    .filter(([id]) => id.startsWith('CustomWebTiersNodePlatform'));

  test('by default the environment runs the platform ARN the custom resource resolves, not a pinned solution stack', () => {
    const platforms = byDefault.template.findResources('Custom::NodePlatform');
    expect(Object.keys(platforms)).toHaveLength(1);
    const [[id, platform]] = Object.entries(platforms);
    expect(platform.Properties.Branch).toBe(BRANCH);
    const [env] = Object.values(byDefault.template.findResources('AWS::ElasticBeanstalk::Environment'));
    expect(env.Properties.PlatformArn).toEqual({ Ref: id });
    expect(env.Properties.SolutionStackName).toBeUndefined();
  });

  test('a pinned solutionStackName is used as given, with no custom resource', () => {
    const { template } = synth({ solutionStackName: SOLUTION_STACK });
    template.hasResourceProperties('AWS::ElasticBeanstalk::Environment', { SolutionStackName: SOLUTION_STACK, PlatformArn: Match.absent() });
    template.resourceCountIs('Custom::NodePlatform', 0);
    expect(providerResources(template)).toEqual([]);
  });

  test('the provider function runs on Node.js 24 and may only list platform versions', () => {
    const resources = providerResources(byDefault.template);
    const roles = resources.filter(([, r]) => r.Type === 'AWS::IAM::Role');
    const functions = resources.filter(([, r]) => r.Type === 'AWS::Lambda::Function');
    expect(roles).toHaveLength(1);
    expect(functions).toHaveLength(1);
    const statements = (roles[0][1].Properties.Policies as Array<{ PolicyDocument: { Statement: unknown[] } }>).flatMap((p) => p.PolicyDocument.Statement);
    expect(statements).toEqual([{ Effect: 'Allow', Action: ['elasticbeanstalk:ListPlatformVersions'], Resource: '*' }]);
    expect(functions[0][1].Properties.Runtime).toBe('nodejs24.x');
    const [platform] = Object.values(byDefault.template.findResources('Custom::NodePlatform'));
    expect(platform.Properties.ServiceToken).toEqual({ 'Fn::GetAtt': [functions[0][0], 'Arn'] });
  });

  test('one provider per stack; each NodePlatform resolves its own branch; a major below 20 is rejected', () => {
    const stack = testStack();
    new NodePlatform(stack, 'A');
    new NodePlatform(stack, 'B', { nodeMajor: 22 });
    const template = Template.fromStack(stack);
    expect(providerResources(template).filter(([, r]) => r.Type === 'AWS::Lambda::Function')).toHaveLength(1);
    expect(Object.values(template.findResources('Custom::NodePlatform')).map((r) => r.Properties.Branch).sort())
      .toEqual([BRANCH, 'Node.js 22 running on 64bit Amazon Linux 2023'].sort());
    expect(() => new NodePlatform(stack, 'C', { nodeMajor: 18 })).toThrow(/invalid nodeMajor: got 18; accepted: an integer from 20/);
  });

  test('Create: the newest Ready version across pages, by numeric compare (6.10.0 > 6.9.3)', async () => {
    const list = fakeList([[{ version: '6.10.0' }, { version: '6.2.1' }], [{ version: '6.9.3' }, { version: '6.10' }], [{ version: '5.11.2' }]]);
    await expect(onPlatformEvent(event({}), list)).resolves.toEqual({ PhysicalResourceId: arnOf(BRANCH, '6.10.0') });
    expect(list.mock.calls.map(([input]) => input.NextToken)).toEqual([undefined, 'page-1', 'page-2']);
    for (const [input] of list.mock.calls) {
      expect(input.Filters).toEqual([
        { Type: 'PlatformBranchName', Operator: '=', Values: [BRANCH] },
        { Type: 'PlatformStatus', Operator: '=', Values: ['Ready'] },
      ]);
    }
  });

  test('Update with the same branch keeps the previous ARN without calling the API', async () => {
    const list = fakeList([[{ version: '6.11.0' }]]);
    const previous = arnOf(BRANCH, '6.10.0');
    await expect(onPlatformEvent(event({ RequestType: 'Update', PhysicalResourceId: previous, OldResourceProperties: { Branch: BRANCH } }), list))
      .resolves.toEqual({ PhysicalResourceId: previous });
    expect(list).not.toHaveBeenCalled();
  });

  test('Update with another branch resolves anew, for the new branch', async () => {
    const old = 'Node.js 22 running on 64bit Amazon Linux 2023';
    const list = fakeList([[{ version: '6.1.0' }, { version: '6.0.4' }]]);
    await expect(onPlatformEvent(event({ RequestType: 'Update', PhysicalResourceId: arnOf(old, '6.10.0'), OldResourceProperties: { Branch: old } }), list))
      .resolves.toEqual({ PhysicalResourceId: arnOf(BRANCH, '6.1.0') });
    expect(list).toHaveBeenCalledTimes(1);
    expect(list.mock.calls[0][0].Filters[0].Values).toEqual([BRANCH]);
  });

  test('Update with a previous id that is not a platform ARN of the branch resolves anew', async () => {
    const list = fakeList([[{ version: '6.10.0' }]]);
    await expect(onPlatformEvent(event({ RequestType: 'Update', PhysicalResourceId: 'not-an-arn', OldResourceProperties: { Branch: BRANCH } }), list))
      .resolves.toEqual({ PhysicalResourceId: arnOf(BRANCH, '6.10.0') });
    expect(list).toHaveBeenCalledTimes(1);
  });

  test('Delete does nothing', async () => {
    const list = fakeList([[{ version: '6.10.0' }]]);
    await expect(onPlatformEvent(event({ RequestType: 'Delete', PhysicalResourceId: arnOf(BRANCH, '6.10.0') }), list)).resolves.toEqual({});
    expect(list).not.toHaveBeenCalled();
  });

  test('no Ready version: an error naming the branch', async () => {
    await expect(onPlatformEvent(event({}), fakeList([[], []])))
      .rejects.toThrow(new RegExp(`No Ready platform version of the Elastic Beanstalk branch '${BRANCH.replace(/\./g, '\\.')}'`));
  });

  const lambdaEnv = (nodePath: string) => ({ PATH: process.env.PATH ?? '', NODE_PATH: nodePath });

  test('the bundled handler loads on the Lambda Node.js major, with the runtime\'s SDK, and exports handler', () => {
    const [, fn] = providerResources(byDefault.template).find(([, r]) => r.Type === 'AWS::Lambda::Function')!;
    const major = Number(/^nodejs(\d+)\.x$/.exec(fn.Properties.Runtime)![1]);
    const file = path.join(platformHandlerDirectory(), 'index.js');
    const out = execFileSync(LAMBDA_NODE, ['-e', `const m = require(${JSON.stringify(file)});
      process.stdout.write(JSON.stringify({ node: process.versions.node, handler: typeof m.handler }));`],
    { encoding: 'utf8', env: lambdaEnv(path.join(__dirname, '..', 'node_modules')) });
    const loaded = JSON.parse(out) as { node: string; handler: string };
    expect(Number(loaded.node.split('.')[0])).toBe(major);
    expect(loaded.handler).toBe('function');
  });

  test('the bundled handler sends ListPlatformVersions through the SDK client and returns the ARN', () => {
    // A stand-in SDK module that answers from a list and records the commands sent.
    const sdk = fs.mkdtempSync(path.join(os.tmpdir(), 'fake-eb-sdk-'));
    const mod = path.join(sdk, '@aws-sdk', 'client-elastic-beanstalk');
    fs.mkdirSync(mod, { recursive: true });
    fs.writeFileSync(path.join(mod, 'index.js'), `
      const sent = (globalThis.sent = []);
      exports.ListPlatformVersionsCommand = class { constructor(input) { this.input = input; } };
      exports.ElasticBeanstalkClient = class { async send(command) {
        sent.push(command.input);
        const arn = (v) => 'arn:aws:elasticbeanstalk:eu-west-1::platform/${BRANCH}/' + v;
        return command.input.NextToken
          ? { PlatformSummaryList: [{ PlatformVersion: '6.9.3', PlatformArn: arn('6.9.3') }] }
          : { PlatformSummaryList: [{ PlatformVersion: '6.10.1', PlatformArn: arn('6.10.1') }], NextToken: 't' };
      } };`);
    const file = path.join(platformHandlerDirectory(), 'index.js');
    const out = execFileSync(LAMBDA_NODE, ['-e', `const { handler } = require(${JSON.stringify(file)});
      handler({ RequestType: 'Create', ResourceProperties: { Branch: ${JSON.stringify(BRANCH)} } }).then((r) =>
        process.stdout.write(JSON.stringify({ r, sent: globalThis.sent })));`],
    { encoding: 'utf8', env: lambdaEnv(sdk), cwd: sdk });
    fs.rmSync(sdk, { recursive: true, force: true });
    const { r, sent } = JSON.parse(out) as { r: unknown; sent: ListPlatformVersionsInput[] };
    expect(r).toEqual({ PhysicalResourceId: arnOf(BRANCH, '6.10.1') });
    expect(sent.map((s) => s.NextToken)).toEqual([undefined, 't']);
  });
});

describe('Deployment', () => {
  const COMMAND = 'aws:elasticbeanstalk:command';
  const SPLIT = 'aws:elasticbeanstalk:trafficsplitting';
  /** The deployment option settings only. */
  const deploymentOptions = (deployment: unknown, props: Partial<ManagedAutoScalingTierProps> = {}) => {
    const o = options(synth({ ...props, deployment: deployment as Deployment }).template);
    return Object.fromEntries(Object.entries(o).filter(([k]) => k.startsWith(`${COMMAND} `) || k.startsWith(`${SPLIT} `)));
  };

  test.each<[string, Deployment, Record<string, string>]>([
    ['allAtOnce() → AllAtOnce', Deployment.allAtOnce(), { [`${COMMAND} DeploymentPolicy`]: 'AllAtOnce' }],
    ['rolling() → one instance at a time, capacity kept by an additional batch', Deployment.rolling(),
      { [`${COMMAND} DeploymentPolicy`]: 'RollingWithAdditionalBatch', [`${COMMAND} BatchSizeType`]: 'Fixed', [`${COMMAND} BatchSize`]: '1' }],
    ['rolling() leaving minHealthyPercent in service → Rolling, timeout as the command timeout',
      Deployment.rolling({ batchPercent: 25, minHealthyPercent: 75, timeout: Duration.minutes(15) }),
      { [`${COMMAND} DeploymentPolicy`]: 'Rolling', [`${COMMAND} BatchSizeType`]: 'Percentage', [`${COMMAND} BatchSize`]: '25', [`${COMMAND} Timeout`]: '900' }],
    ['rolling() whose batch would leave less than minHealthyPercent → RollingWithAdditionalBatch',
      Deployment.rolling({ batchPercent: 50, minHealthyPercent: 75 }),
      { [`${COMMAND} DeploymentPolicy`]: 'RollingWithAdditionalBatch', [`${COMMAND} BatchSizeType`]: 'Percentage', [`${COMMAND} BatchSize`]: '50' }],
    ['canary() → TrafficSplitting, bake as EvaluationTime in minutes', Deployment.canary({ percent: 20, bake: Duration.minutes(15) }),
      { [`${COMMAND} DeploymentPolicy`]: 'TrafficSplitting', [`${SPLIT} NewVersionPercent`]: '20', [`${SPLIT} EvaluationTime`]: '15' }],
  ])('%s', (_name, deployment, expected) => {
    expect(deploymentOptions(deployment)).toEqual(expected);
  });

  test('a BeanstalkDeployment still works, and the default is unchanged', () => {
    expect(deploymentOptions(BeanstalkDeployment.immutable())).toEqual({ [`${COMMAND} DeploymentPolicy`]: 'Immutable' });
    expect(deploymentOptions(undefined)).toEqual({
      [`${COMMAND} DeploymentPolicy`]: 'RollingWithAdditionalBatch', [`${COMMAND} BatchSizeType`]: 'Percentage', [`${COMMAND} BatchSize`]: '30',
    });
  });

  test.each<[string, () => Partial<ManagedAutoScalingTierProps>, RegExp]>([
    ['canary without a load balancer', () => ({ loadBalancer: BeanstalkLoadBalancer.none(), scaling: { max: 1 }, deployment: Deployment.canary({ percent: 10, bake: Duration.minutes(5) }) }),
      /Test\/Web: invalid deployment: Deployment\.canary\(\) is not possible on ManagedAutoScalingTier: traffic splitting .*; accepted on ManagedAutoScalingTier: Deployment\.allAtOnce\(\), BeanstalkDeployment\.allAtOnce\(\) or BeanstalkDeployment\.immutable\(\)/],
    ['a bake of 90 seconds', () => ({ deployment: Deployment.canary({ percent: 10, bake: Duration.seconds(90) }) }), /invalid deployment\.bake: got 1\.5 minutes on ManagedAutoScalingTier; accepted: whole minutes from 3 to 600/],
    ['a bake under Beanstalk\'s 3 minutes', () => ({ deployment: Deployment.canary({ percent: 10, bake: Duration.minutes(1) }) }), /invalid deployment\.bake: got 1 minutes on ManagedAutoScalingTier; accepted: whole minutes from 3 to 600/],
    ['a canary of 100 %', () => ({ deployment: Deployment.canary({ percent: 100, bake: Duration.minutes(5) }) }), /invalid deployment\.percent: got 100 on ManagedAutoScalingTier; accepted: an integer from 1 to 99 percent/],
    ['a timeout of 2 hours', () => ({ deployment: Deployment.rolling({ timeout: Duration.hours(2) }) }), /invalid deployment\.timeout: got 7200 seconds on ManagedAutoScalingTier; accepted: whole seconds from 1 to 3600/],
    ["another tier's deployment type", () => ({ deployment: ServerlessDeployment.canary() as unknown as Deployment }), /invalid deployment: a ServerlessDeployment is not possible on ManagedAutoScalingTier; accepted on ManagedAutoScalingTier: .*or a BeanstalkDeployment/],
  ])('%s fails at synth, naming the option and the tier', (_name, props, message) => {
    expect(() => synth(props())).toThrow(message);
  });
});

/** The error `fn` throws, which must be a WebTiersValidationError. */
function validationError(fn: () => unknown): WebTiersValidationError {
  try {
    fn();
  } catch (e) {
    if (e instanceof WebTiersValidationError) return e;
    throw new Error(`expected a WebTiersValidationError, got ${String(e)}`);
  }
  throw new Error('expected a WebTiersValidationError, got no error');
}

/** A stack in a known region (the region checks need one). */
const stackIn = (region: string, id = 'Test') => new Stack(testApp(), id, { env: { account: '123456789012', region } });

// A Duration in a message: 'Duration 2 minutes', or 'Duration.minutes(2)' as describe() writes it since checks.ts changed; either passes.
describe('static factories: wrong types and out-of-range values are a WebTiersValidationError naming the parameter', () => {
  const ALB_ARN = 'arn:aws:elasticloadbalancing:eu-west-1:123456789012:loadbalancer/app/shared/50dc6c495c0c9188';
  test.each<[string, () => unknown, RegExp]>([
    ['BatchSize.percent(0)', () => BatchSize.percent(0), /^invalid BatchSize\.percent\(percent\): got 0; accepted: an integer from 1 to 100 percent$/],
    ['BatchSize.percent(150)', () => BatchSize.percent(150), /^invalid BatchSize\.percent\(percent\): got 150; accepted: an integer from 1 to 100 percent$/],
    ['BatchSize.percent(12.5)', () => BatchSize.percent(12.5), /^invalid BatchSize\.percent\(percent\): got 12\.5; accepted: an integer/],
    ["BatchSize.percent('30')", () => BatchSize.percent('30' as never), /^invalid BatchSize\.percent\(percent\): got '30'; accepted: an integer from 1 to 100 percent$/],
    ['BatchSize.percent(NaN)', () => BatchSize.percent(Number.NaN), /^invalid BatchSize\.percent\(percent\): got NaN; accepted/],
    ['BatchSize.percent()', () => (BatchSize.percent as () => BatchSize)(), /^invalid BatchSize\.percent\(percent\): is required; accepted: an integer from 1 to 100 percent$/],
    ['BatchSize.fixed(0)', () => BatchSize.fixed(0), /^invalid BatchSize\.fixed\(instances\): got 0; accepted: an integer from 1 to 10000 instances$/],
    ["BatchSize.fixed('1')", () => BatchSize.fixed('1' as never), /^invalid BatchSize\.fixed\(instances\): got '1'/],
    ['rolling({})', () => BeanstalkDeployment.rolling({} as never),
      /^invalid BeanstalkDeployment\.rolling\(batchSize\): got an object \{\}; accepted: a BatchSize: BatchSize\.percent\(n\) or BatchSize\.fixed\(n\)$/],
    ['rolling(30)', () => BeanstalkDeployment.rolling(30 as never), /^invalid BeanstalkDeployment\.rolling\(batchSize\): got 30; accepted: a BatchSize/],
    ["rollingWithAdditionalBatch('30%')", () => BeanstalkDeployment.rollingWithAdditionalBatch('30%' as never),
      /^invalid BeanstalkDeployment\.rollingWithAdditionalBatch\(batchSize\): got '30%'; accepted: a BatchSize/],
    ['trafficSplitting(0)', () => BeanstalkDeployment.trafficSplitting(0), /^invalid BeanstalkDeployment\.trafficSplitting\(percent\): got 0; accepted: an integer from 1 to 100 percent$/],
    ['trafficSplitting(101)', () => BeanstalkDeployment.trafficSplitting(101), /^invalid BeanstalkDeployment\.trafficSplitting\(percent\): got 101/],
    ["trafficSplitting('10')", () => BeanstalkDeployment.trafficSplitting('10' as never), /^invalid BeanstalkDeployment\.trafficSplitting\(percent\): got '10'/],
    ['trafficSplitting(10, 5)', () => BeanstalkDeployment.trafficSplitting(10, 5 as never),
      /^invalid BeanstalkDeployment\.trafficSplitting\(evaluationTime\): got 5; accepted: a Duration of whole minutes from 3 to 600/],
    ['trafficSplitting(10, 90 seconds)', () => BeanstalkDeployment.trafficSplitting(10, Duration.seconds(90)),
      /^invalid BeanstalkDeployment\.trafficSplitting\(evaluationTime\): got Duration(\.seconds\(90\)| 1 minute 30 seconds); accepted: a Duration of whole minutes from 3 to 600/],
    ['trafficSplitting(10, 2 minutes)', () => BeanstalkDeployment.trafficSplitting(10, Duration.minutes(2)),
      /^invalid BeanstalkDeployment\.trafficSplitting\(evaluationTime\): got Duration(\.minutes\(2\)| 2 minutes); accepted: a Duration of whole minutes from 3 to 600/],
    ["shared('arn:…')", () => BeanstalkLoadBalancer.shared(ALB_ARN as never),
      /^invalid BeanstalkLoadBalancer\.shared\(loadBalancer\): got 'arn:aws:elasticloadbalancing:eu-west-1:.*'; accepted: an elbv2\.IApplicationLoadBalancer/],
    ['shared()', () => (BeanstalkLoadBalancer.shared as () => unknown)(), /^invalid BeanstalkLoadBalancer\.shared\(loadBalancer\): is required; accepted: an elbv2\.IApplicationLoadBalancer/],
    ['shared(a Vpc)', () => BeanstalkLoadBalancer.shared(new ec2.Vpc(testStack(), 'Vpc') as never),
      /^invalid BeanstalkLoadBalancer\.shared\(loadBalancer\): got a Vpc\d* \(Test\/Vpc\); accepted: an elbv2\.IApplicationLoadBalancer/],
    ['NodePlatform.branchName(18)', () => NodePlatform.branchName(18), /^invalid NodePlatform\.branchName\(nodeMajor\): got 18; accepted: an integer from 20 to 99$/],
    ["NodePlatform.branchName('24')", () => NodePlatform.branchName('24' as never), /^invalid NodePlatform\.branchName\(nodeMajor\): got '24'/],
    ['new NodePlatform({ nodeMajor: a token })', () => {
      const stack = testStack();
      return new NodePlatform(stack, 'P', { nodeMajor: new CfnParameter(stack, 'Major', { type: 'Number' }).valueAsNumber });
    }, /^Test\/P: invalid nodeMajor: got a token \(the construct computes with this value, so it cannot be a deploy-time token\); accepted: an integer from 20 to 99, known at synth$/],
    ['new NodePlatform(props: 24)', () => new NodePlatform(testStack(), 'P', 24 as never), /^Test\/P: invalid props: got 24; accepted: an object of props$/],
    ['beanstalkSourceBundle({})', () => beanstalkSourceBundle({} as never), /^invalid app: got an object \{\}; accepted: a WebApp, from WebApp\.fromEntry\(path\)$/],
  ])('%s', (_name, fn, message) => {
    expect(validationError(fn).message).toMatch(message);
  });

  test('valid values still make the same options (a token percentage passes: Beanstalk gets it as is)', () => {
    expect(BatchSize.percent(1).value).toBe(1);
    expect(BatchSize.fixed(10000).isFixed).toBe(true);
    expect(BeanstalkDeployment.rolling().batchSize).toEqual(BatchSize.percent(30));
    // jsii languages pass null for an absent argument: the defaults.
    expect(BeanstalkDeployment.rollingWithAdditionalBatch(null as never).batchSize).toEqual(BatchSize.percent(30));
    expect(BeanstalkDeployment.trafficSplitting(null as never, null as never)).toMatchObject({ trafficPercent: 10, evaluationTime: undefined });
    expect(BeanstalkDeployment.trafficSplitting(100, Duration.minutes(600))).toMatchObject({ trafficPercent: 100 });
    expect(NodePlatform.branchName(20)).toBe('Node.js 20 running on 64bit Amazon Linux 2023');
  });
});

describe('props: a wrong type is a WebTiersValidationError naming the prop, the value and what is accepted', () => {
  const TRIGGER = { metric: 'CPUUtilization', statistic: 'Average', unit: 'Percent', upperThreshold: 60, lowerThreshold: 25 };
  const numberToken = (s: Stack) => new CfnParameter(s, 'N', { type: 'Number', default: 2 }).valueAsNumber;
  test.each<[string, (s: Stack) => Record<string, unknown>, RegExp]>([
    ['props missing', () => ({ app: undefined }), /^Test\/Web: invalid app: is required; accepted: a WebApp/],
    ['deployment: {}', () => ({ deployment: {} }),
      /^Test\/Web: invalid deployment: an object of another shape is not possible on ManagedAutoScalingTier; accepted on ManagedAutoScalingTier: Deployment\.allAtOnce\(\), .* or a BeanstalkDeployment$/],
    ["deployment: 'rolling'", () => ({ deployment: 'rolling' }), /invalid deployment: "rolling" \(string\) is not possible on ManagedAutoScalingTier/],
    ['Deployment.rolling({ timeout: 600 })', () => ({ deployment: Deployment.rolling({ timeout: 600 as never }) }),
      /^Test\/Web: invalid deployment\.timeout: got 600; accepted: a Duration known at synth \(e\.g\. Duration\.minutes\(10\)\)$/],
    ['Deployment.canary({ bake: 5 })', () => ({ deployment: Deployment.canary({ percent: 10, bake: 5 as never }) }), /invalid deployment\.bake: got 5; accepted: a Duration known at synth/],
    ['Deployment.rolling({ batchPercent: a token })', (s) => ({ deployment: Deployment.rolling({ batchPercent: numberToken(s) }) }),
      /invalid deployment\.batchPercent: got a token \(the construct computes with this value.*\); accepted: an integer from 1 to 100 percent, known at synth/],
    ["loadBalancer: 'shared'", () => ({ loadBalancer: 'shared' }),
      /^Test\/Web: invalid loadBalancer: got 'shared'; accepted: BeanstalkLoadBalancer\.dedicated\(\), BeanstalkLoadBalancer\.shared\(alb\) or BeanstalkLoadBalancer\.none\(\)$/],
    ['loadBalancer: {}', () => ({ loadBalancer: {} }), /invalid loadBalancer: got an object \{\}; accepted: BeanstalkLoadBalancer\.dedicated\(\)/],
    ['network: an ec2.Vpc', (s) => ({ network: new ec2.Vpc(s, 'Vpc') }),
      /^Test\/Web: invalid network: got a Vpc\d* \(Test\/Vpc\); accepted: a Network: new Network\(scope, id\), or new Network\(scope, id, \{ vpc \}\) around an existing VPC$/],
    ['database: {}', () => ({ database: {} }), /invalid database: got an object \{\}; accepted: an IAppDatabase: new Database\(scope, id, \{ network \}\) or Database\.fromAttributes/],
    ['database: a Network', (s) => ({ database: new Network(s, 'Net') }), /invalid database: got a Network \(Test\/Net\); accepted: an IAppDatabase/],
    ['instanceTypes: one name, not an array', () => ({ instanceTypes: 't4g.small' }), /^Test\/Web: invalid instanceTypes: got 't4g\.small'; accepted: an array \(1 to 40\) of an ec2\.InstanceType or its name/],
    ['instanceTypes: []', () => ({ instanceTypes: [] }), /invalid instanceTypes: got an array of 0; accepted: an array \(1 to 40\)/],
    ['instanceTypes: undefined inside', () => ({ instanceTypes: [new ec2.InstanceType('t4g.small'), undefined] }), /invalid instanceTypes\[1\]: got undefined \(an empty place in the array\)/],
    // eslint-disable-next-line no-sparse-arrays
    ['instanceTypes: a hole', () => ({ instanceTypes: [, 't4g.small'] }), /invalid instanceTypes\[0\]: got undefined \(an empty place in the array\)/],
    ["instanceTypes: 't4g.tiny'", () => ({ instanceTypes: ['t4g.tiny'] }), /invalid instanceTypes\[0\]: got 't4g\.tiny'; accepted: an ec2\.InstanceType or its name/],
    ['instanceTypes: a token name', (s) => ({ instanceTypes: [new CfnParameter(s, 'T').valueAsString] }), /invalid instanceTypes\[0\]: got a token \(a deploy-time token: the construct picks/],
    ['scaling: 3', () => ({ scaling: 3 }), /^Test\/Web: invalid scaling: got 3; accepted: an object \{ min\?, max\?, trigger\? \}$/],
    ["scaling.min: '2'", () => ({ scaling: { min: '2' } }), /^Test\/Web: invalid scaling\.min: got '2'; accepted: an integer from 1 to 10000 instances$/],
    ['scaling.min: a token', (s) => ({ scaling: { min: numberToken(s) } }),
      /^Test\/Web: invalid scaling\.min: got a token \(the construct computes with this value, so it cannot be a deploy-time token\); accepted: an integer from 1 to 10000 instances, known at synth$/],
    ['scaling.max: a token', (s) => ({ scaling: { max: numberToken(s) } }), /invalid scaling\.max: got a token/],
    ['scaling.max: 2.5', () => ({ scaling: { max: 2.5 } }), /invalid scaling\.max: got 2\.5; accepted: an integer from 1 to 10000 instances/],
    ['scaling.trigger without metric', () => ({ scaling: { trigger: { ...TRIGGER, metric: undefined } } }), /^Test\/Web: invalid scaling\.trigger\.metric: is required; accepted: a CloudWatch metric name/],
    ["scaling.trigger.upperThreshold: '60'", () => ({ scaling: { trigger: { ...TRIGGER, upperThreshold: '60' } } }),
      /invalid scaling\.trigger\.upperThreshold: got '60'; accepted: a number ≥ 0 in the metric's unit/],
    ['scaling.trigger.lowerThreshold: NaN', () => ({ scaling: { trigger: { ...TRIGGER, lowerThreshold: Number.NaN } } }), /invalid scaling\.trigger\.lowerThreshold: got NaN/],
    ['scaling.trigger.breachDuration: 5', () => ({ scaling: { trigger: { ...TRIGGER, breachDuration: 5 } } }),
      /invalid scaling\.trigger\.breachDuration: got 5; accepted: a Duration of whole minutes from 1 to 600/],
    ['scaling.trigger.breachDuration: 90 seconds', () => ({ scaling: { trigger: { ...TRIGGER, breachDuration: Duration.seconds(90) } } }),
      /invalid scaling\.trigger\.breachDuration: got Duration(\.seconds\(90\)| 1 minute 30 seconds); accepted: a Duration of whole minutes from 1 to 600/],
    ['scaling.trigger.breachDuration: a token', (s) => ({ scaling: { trigger: { ...TRIGGER, breachDuration: Duration.minutes(numberToken(s)) } } }),
      /invalid scaling\.trigger\.breachDuration: got .*\(a deploy-time token: the construct computes with it\)/],
    ['managedUpdates: true', () => ({ managedUpdates: true }),
      /^Test\/Web: invalid managedUpdates: got true; accepted: an object \{ window\?, level\? \} \(\{\} for the defaults\), or false to turn managed updates off$/],
    ["managedUpdates.level: 'major'", () => ({ managedUpdates: { level: 'major' } }), /invalid managedUpdates\.level: got 'major'; accepted: UpdateLevel\.PATCH or UpdateLevel\.MINOR/],
    ["monitoring.enhancedHealth: 'false'", () => ({ monitoring: { enhancedHealth: 'false' } }), /invalid monitoring\.enhancedHealth: got 'false'; accepted: true or false/],
    ['monitoring.logRetention: 42', () => ({ monitoring: { logRetention: 42 } }), /invalid monitoring\.logRetention: got 42; accepted: a RetentionDays member/],
    ['logRetention: NaN', () => ({ logRetention: Number.NaN }), /invalid logRetention: got NaN; accepted: a RetentionDays member/],
    ["removalPolicy: 'DESTROY'", () => ({ removalPolicy: 'DESTROY' }), /invalid removalPolicy: got 'DESTROY'; accepted: RemovalPolicy\.RETAIN, RemovalPolicy\.SNAPSHOT or RemovalPolicy\.DESTROY/],
    ['solutionStackName: 24', () => ({ solutionStackName: 24 }), /invalid solutionStackName: got 24; accepted: a solution stack name such as '64bit Amazon Linux 2023/],
    ['optionSettings: one object, not an array', () => ({ optionSettings: { namespace: 'aws:elasticbeanstalk:xray', optionName: 'XRayEnabled', value: 'true' } }),
      /^Test\/Web: invalid optionSettings: got an object \{namespace, optionName, value\}; accepted: an array of an object \{ namespace, optionName, value \}$/],
    ['optionSettings: a boolean value', () => ({ optionSettings: [{ namespace: 'aws:elasticbeanstalk:xray', optionName: 'XRayEnabled', value: true }] }),
      /invalid optionSettings\[0\]\.value: got true; accepted: a string \(option values are strings, e.g\. 'true' or '3'\)/],
    ['optionSettings: undefined inside', () => ({ optionSettings: [undefined] }), /invalid optionSettings\[0\]: got undefined \(an empty place in the array\)/],
    ['optionSettings: no optionName', () => ({ optionSettings: [{ namespace: 'aws:elasticbeanstalk:xray', value: 'true' }] }), /invalid optionSettings\[0\]\.optionName: is required/],
    ['environment: a number value', () => ({ environment: { A: 1 } }), /invalid environment\.A: got 1; accepted: a string/],
    ['domain without its zone', () => ({ domain: { domainName: 'app.example.com' } }), /invalid domain\.domainZone: is required/],
  ])('%s', (_name, props, message) => {
    const stack = testStack();
    expect(validationError(() => new ManagedAutoScalingTier(stack, 'Web', { app: webApp, ...props(stack) } as never)).message).toMatch(message);
  });

  test('props that are not an object', () => {
    expect(validationError(() => new ManagedAutoScalingTier(testStack(), 'Web', undefined as never)).message)
      .toBe('Test/Web: invalid props: got undefined; accepted: an object of props');
  });

  /** Values of every kind a caller from JavaScript, another language or a config file might pass (made in the stack under test). */
  const WRONG_VALUES: Array<[string, (stack: Stack) => unknown]> = [
    ['a string', () => 'x'], ['an empty string', () => ''], ['a number', () => 42], ['NaN', () => Number.NaN], ['true', () => true],
    ['an empty object', () => ({})], ['an object', () => ({ a: 1 })], ['an empty array', () => []], ['an array with a hole', () => [undefined]],
    ['a number token', (s) => new CfnParameter(s, 'NumberParam', { type: 'Number', default: 2 }).valueAsNumber],
    ['a string token', (s) => new CfnParameter(s, 'StringParam', { default: 'x' }).valueAsString],
    ['another construct', (s) => new ec2.SecurityGroup(s, 'Other', { vpc: ec2.Vpc.fromVpcAttributes(s, 'OtherVpc', { vpcId: 'vpc-1', availabilityZones: ['a'] }) })],
    ['a Duration', () => Duration.minutes(3)], ['a function', () => () => 1],
  ];
  /** What must never be in a synthesized template: an encoded token, null, undefined, [object Object]. */
  const defects = (template: unknown) => (JSON.stringify(template).match(/-1\.888\d*e\+289|\$\{Token\[|\[object Object\]|"undefined"|null|"NaN"/g) ?? []);

  test('every prop of the spec, every kind of value: WebTiersValidationError naming it, or a clean template', () => {
    const problems: string[] = [];
    const accepted: string[] = [];
    for (const prop of Object.keys(MANAGED_AUTO_SCALING_SPEC)) {
      for (const [kind, make] of WRONG_VALUES) {
        const app = testApp();
        const stack = new Stack(app, 'Wrong');
        try {
          new ManagedAutoScalingTier(stack, 'Web', { app: webApp, [prop]: make(stack) } as never);
          if (!(prop in WEB_TIER_SPEC)) accepted.push(`${prop} <- ${kind}`);
          const found = defects(app.synth().getStackByName('Wrong').template);
          if (found.length) problems.push(`${prop} <- ${kind}: template with ${found.slice(0, 3).join(', ')}`);
        } catch (e) {
          if (!(e instanceof WebTiersValidationError)) problems.push(`${prop} <- ${kind}: threw ${String(e).split('\n')[0]}`);
          else if (!e.prop.startsWith(prop)) problems.push(`${prop} <- ${kind}: reported as ${e.prop}`);
        }
      }
    }
    expect(problems).toEqual([]);
    // What this tier's own props accept is a default written another way: {} for an options object, [] for no raw
    // options, a token stack name. (The props every tier shares are WEB_TIER_SPEC's.)
    expect(accepted.sort()).toEqual([
      'managedUpdates <- an empty object',
      'monitoring <- an empty object', 'optionSettings <- an empty array', 'scaling <- an empty object', 'solutionStackName <- a string token',
    ]);
  });

  test('a misspelt option of scaling, its trigger, managedUpdates or monitoring fails instead of being ignored', () => {
    expect(validationError(() => synth({ scaling: { minimum: 3 } as never })).message)
      .toBe('Test/Web: invalid scaling.minimum: is not an option of scaling; accepted: an object { min?, max?, trigger? }');
    expect(validationError(() => synth({ managedUpdates: { windows: 'Sun:03:00' } as never })).prop).toBe('managedUpdates.windows');
    expect(validationError(() => synth({ monitoring: Duration.minutes(1) as never })).message).toMatch(/invalid monitoring: got Duration(\.minutes\(1\)| 1 minute); accepted: an object/);
  });
});

describe('tokens: passed through where Beanstalk gets the value as is, rejected where the tier computes with it', () => {
  test('a threshold, a batch or traffic percentage, a variable and an option value from parameters reach the template as references', () => {
    const stack = testStack();
    const num = (id: string) => new CfnParameter(stack, id, { type: 'Number', default: 1 }).valueAsNumber;
    const str = (id: string) => new CfnParameter(stack, id, { default: 'x' }).valueAsString;
    let o = options(synth({
      scaling: { trigger: { metric: 'CPUUtilization', statistic: 'Average', unit: 'Percent', upperThreshold: num('Upper'), lowerThreshold: num('Lower') } },
      deployment: BeanstalkDeployment.rolling(BatchSize.percent(num('Batch'))),
      environment: { FEATURE: str('Feature') },
      optionSettings: [{ namespace: 'aws:elasticbeanstalk:xray', optionName: 'XRayEnabled', value: str('XRay') }],
      solutionStackName: str('SolutionStack'),
    }, stack).template);
    expect(o['aws:autoscaling:trigger UpperThreshold']).toEqual({ Ref: 'Upper' });
    expect(o['aws:autoscaling:trigger LowerThreshold']).toEqual({ Ref: 'Lower' });
    expect(o['aws:elasticbeanstalk:command BatchSize']).toEqual({ Ref: 'Batch' });
    expect(o['aws:elasticbeanstalk:application:environment FEATURE']).toEqual({ Ref: 'Feature' });
    expect(o['aws:elasticbeanstalk:xray XRayEnabled']).toEqual({ Ref: 'XRay' });

    const split = testStack();
    o = options(synth({ deployment: BeanstalkDeployment.trafficSplitting(new CfnParameter(split, 'Share', { type: 'Number' }).valueAsNumber) }, split).template);
    expect(o['aws:elasticbeanstalk:trafficsplitting NewVersionPercent']).toEqual({ Ref: 'Share' });
  });

  test('a token duration the tier converts is rejected, naming the parameter', () => {
    const stack = testStack();
    const minutes = new CfnParameter(stack, 'Minutes', { type: 'Number' }).valueAsNumber;
    expect(validationError(() => BeanstalkDeployment.trafficSplitting(10, Duration.minutes(minutes))).message)
      .toMatch(/^invalid BeanstalkDeployment\.trafficSplitting\(evaluationTime\): got .*\(a deploy-time token: the construct computes with it\); accepted: a Duration of whole minutes/);
    expect(validationError(() => synth({ deployment: Deployment.rolling({ timeout: Duration.seconds(minutes) }) }, stack)).message)
      .toMatch(/invalid deployment\.timeout: got a deploy-time token \(the tier converts it for Beanstalk\); accepted: a Duration known at synth/);
  });
});

describe(`Beanstalk's ${BEANSTALK_ENVIRONMENT_LIMIT}-byte limit on environment properties`, () => {
  // The tier's own: NODE_ENV=production (19), HEALTH_CHECK_PATH=/health (25), DATABASE_SECRET_ARN= (20) + the shortest ARN (61).
  const BY_TIER = 19 + 25 + 20 + 61;
  const OWN = BEANSTALK_ENVIRONMENT_LIMIT - BY_TIER;

  test('exactly at the limit synthesizes; one byte over fails at synth naming environment, the size and the limit', () => {
    expect(() => synth({ environment: { BIG: 'x'.repeat(OWN - 'BIG='.length) } })).not.toThrow();
    const error = validationError(() => synth({ environment: { BIG: 'x'.repeat(OWN - 'BIG='.length + 1) } }));
    expect(error.prop).toBe('environment');
    expect(error.message).toBe(`Test/Web: invalid environment: the environment properties come to ${BEANSTALK_ENVIRONMENT_LIMIT + 1} bytes as key=value ` +
      `(${OWN + 1} of yours, ${BY_TIER} set by the tier: NODE_ENV, HEALTH_CHECK_PATH, DATABASE_SECRET_ARN; 1 deploy-time value counted at its shortest); ` +
      `accepted: at most 4096 bytes in all (Elastic Beanstalk's limit), so at most ${OWN} bytes of variables of your own ` +
      '(environment, and optionSettings in aws:elasticbeanstalk:application:environment); keep large values in a file or a secret');
  });

  test('bytes, not characters: 2000 × é is 4000 bytes', () => {
    expect(validationError(() => synth({ environment: { TEXT: 'é'.repeat(2000) } })).message).toMatch(/invalid environment: the environment properties come to 4130 bytes/);
  });

  test('raw environment options count too', () => {
    const error = validationError(() => synth({
      environment: { A: 'x'.repeat(2000) },
      optionSettings: [{ namespace: 'aws:elasticbeanstalk:application:environment', optionName: 'B', value: 'y'.repeat(2000) }],
    }));
    expect(error.prop).toBe('environment');
    expect(error.message).toMatch(/come to 4129 bytes as key=value \(4004 of yours, 125 set by the tier/);
  });
});

describe('optionSettings: the names AWS documents are accepted', () => {
  const STATIC = 'aws:elasticbeanstalk:environment:proxy:staticfiles';
  test.each<[string, { namespace: string; optionName: string; value: string }]>([
    ['static files on /assets', { namespace: STATIC, optionName: '/assets', value: 'assets' }],
    ['static files on a nested path', { namespace: STATIC, optionName: '/static/images', value: 'public/images' }],
    ['a spaced name in aws:elasticbeanstalk:application', { namespace: 'aws:elasticbeanstalk:application', optionName: 'Application Healthcheck URL', value: '/health' }],
    ['a spaced name in aws:elasticbeanstalk:sns:topics', { namespace: 'aws:elasticbeanstalk:sns:topics', optionName: 'Notification Endpoint', value: 'ops@example.com' }],
    ['a listener rule of its own name', { namespace: 'aws:elbv2:listenerrule:admin', optionName: 'PathPatterns', value: '/admin/*' }],
    ['a process of its own name', { namespace: 'aws:elasticbeanstalk:environment:process:admin_api', optionName: 'HealthCheckPath', value: '/admin/health' }],
    ['an environment property with a dot', { namespace: 'aws:elasticbeanstalk:application:environment', optionName: 'app.mode', value: 'blue' }],
    ['a custom option', { namespace: 'aws:elasticbeanstalk:customoption', optionName: 'Alarm Email', value: 'ops@example.com' }],
    ['an empty value', { namespace: 'aws:elasticbeanstalk:xray', optionName: 'XRayEnabled', value: '' }],
  ])('%s', (_name, setting) => {
    expect(options(synth({ optionSettings: [setting] }).template)[`${setting.namespace} ${setting.optionName}`]).toBe(setting.value);
  });

  test.each<[string, { namespace: string; optionName: string; value: string }, RegExp]>([
    ['a static-files name without its leading slash', { namespace: STATIC, optionName: 'assets', value: 'assets' },
      /^Test\/Web: invalid optionSettings\[0\]\.optionName: got 'assets' in aws:elasticbeanstalk:environment:proxy:staticfiles; accepted: the URL path the proxy serves the folder on, starting with '\/', such as '\/assets'$/],
    ['a spaced name where AWS has none', { namespace: 'aws:autoscaling:asg', optionName: 'Min Size', value: '1' },
      /^Test\/Web: invalid optionSettings\[0\]\.optionName: got 'Min Size' in aws:autoscaling:asg; accepted: an option name such as 'MinSize' \(names with spaces only in aws:elasticbeanstalk:application, /],
    ['an environment property Beanstalk rejects', { namespace: 'aws:elasticbeanstalk:application:environment', optionName: 'A B', value: '1' },
      /invalid optionSettings\[0\]\.optionName: got 'A B' in aws:elasticbeanstalk:application:environment; accepted: an environment property name/],
    ['a variable the tier reserves', { namespace: 'aws:elasticbeanstalk:application:environment', optionName: 'DATABASE_URL', value: 'postgres://x' },
      /invalid optionSettings\[0\]\.optionName: got 'DATABASE_URL' in aws:elasticbeanstalk:application:environment; accepted: a variable the tier does not set; reserved: .*DATABASE_URL/],
    ['an upper-case prefix', { namespace: 'AWS:autoscaling:asg', optionName: 'MinSize', value: '1' }, /invalid optionSettings\[0\]\.namespace: got 'AWS:autoscaling:asg'; accepted: a Beanstalk namespace/],
  ])('%s fails', (_name, setting, message) => {
    expect(validationError(() => synth({ optionSettings: [setting] })).message).toMatch(message);
  });

  test('an option given twice, or a variable given in both environment and optionSettings, fails', () => {
    const xray = { namespace: 'aws:elasticbeanstalk:xray', optionName: 'XRayEnabled', value: 'true' };
    expect(validationError(() => synth({ optionSettings: [xray, { ...xray, value: 'false' }] })).message)
      .toMatch(/^Test\/Web: invalid optionSettings\[1\]: aws:elasticbeanstalk:xray XRayEnabled repeats optionSettings\[0\]; accepted: each option once$/);
    expect(validationError(() => synth({ environment: { MODE: 'a' }, optionSettings: [{ namespace: 'aws:elasticbeanstalk:application:environment', optionName: 'MODE', value: 'b' }] })).message)
      .toMatch(/invalid optionSettings\[0\]: aws:elasticbeanstalk:application:environment MODE is also in environment/);
  });
});

describe('imported resources from another region or VPC', () => {
  const CERT_US = 'arn:aws:acm:us-east-1:123456789012:certificate/0c1d2e3f-4a5b-6c7d-8e9f-0a1b2c3d4e5f';
  const domainWith = (stack: Stack, arn: string) => ({
    domainName: 'app.example.com',
    domainZone: route53.HostedZone.fromHostedZoneAttributes(stack, 'Zone', { hostedZoneId: 'Z123', zoneName: 'example.com' }),
    certificate: acm.Certificate.fromCertificateArn(stack, 'Cert', arn),
  });

  test('a certificate from another region than the stack fails naming domain.certificate', () => {
    const stack = stackIn('eu-west-1');
    const error = validationError(() => new ManagedAutoScalingTier(stack, 'Web', { app: webApp, domain: domainWith(stack, CERT_US) }));
    expect(error.prop).toBe('domain.certificate');
    expect(error.message).toBe(`Test/Web: invalid domain.certificate: the certificate '${CERT_US}' is in us-east-1, the stack in eu-west-1; ` +
      "accepted: an ACM certificate in eu-west-1, the stack's region (a load balancer serves only certificates of its own region), or none for one created in the domain's zone");
  });

  test("a certificate of the stack's region, or any when the stack's region is a deploy-time value, is accepted", () => {
    const stack = stackIn('eu-west-1');
    expect(() => new ManagedAutoScalingTier(stack, 'Web', { app: webApp, domain: domainWith(stack, CERT) })).not.toThrow();
    const agnostic = testStack();
    expect(() => new ManagedAutoScalingTier(agnostic, 'Web', { app: webApp, domain: domainWith(agnostic, CERT_US) })).not.toThrow();
  });

  test('a shared load balancer of another region or another VPC fails naming loadBalancer', () => {
    const stack = stackIn('eu-west-1');
    const alb = elbv2.ApplicationLoadBalancer.fromApplicationLoadBalancerAttributes(stack, 'Alb', {
      loadBalancerArn: 'arn:aws:elasticloadbalancing:us-west-2:123456789012:loadbalancer/app/shared/50dc6c495c0c9188', securityGroupId: 'sg-12345678',
    });
    expect(validationError(() => new ManagedAutoScalingTier(stack, 'Web', { app: webApp, loadBalancer: BeanstalkLoadBalancer.shared(alb) })).message)
      .toMatch(/^Test\/Web: invalid loadBalancer: the shared load balancer 'arn:aws:elasticloadbalancing:us-west-2:.*' is in us-west-2, the stack in eu-west-1; accepted: an application load balancer in eu-west-1/);

    const other = testStack();
    const network = new Network(other, 'Net');
    const elsewhere = new elbv2.ApplicationLoadBalancer(other, 'Shared', { vpc: new ec2.Vpc(other, 'OtherVpc') });
    expect(validationError(() => new ManagedAutoScalingTier(other, 'Web', { app: webApp, network, loadBalancer: BeanstalkLoadBalancer.shared(elsewhere) })).message)
      .toMatch(/^Test\/Web: invalid loadBalancer: the shared load balancer is in VPC Test\/OtherVpc, the environment in Test\/Net\/Vpc; accepted: a load balancer in the network's VPC$/);
  });

  test('a network or a database of another region fails naming it', () => {
    const app = testApp();
    const west = new Stack(app, 'West', { env: { account: '123456789012', region: 'us-west-2' } });
    const stack = new Stack(app, 'Test', { env: { account: '123456789012', region: 'eu-west-1' } });
    const network = new Network(west, 'Net');
    expect(validationError(() => new ManagedAutoScalingTier(stack, 'Web', { app: webApp, network })).message)
      .toMatch(/^Test\/Web: invalid network: its VPC West\/Net\/Vpc is in us-west-2, the stack in eu-west-1; accepted: a Network in eu-west-1/);

    const local = new Network(stack, 'Local');
    const database = Database.fromAttributes(stack, 'Db', {
      vpc: local.vpc,
      securityGroup: ec2.SecurityGroup.fromSecurityGroupId(stack, 'DbSg', 'sg-12345678'),
      secret: secretsmanager.Secret.fromSecretCompleteArn(stack, 'Secret', 'arn:aws:secretsmanager:us-west-2:123456789012:secret:db-AbCdEf'),
    });
    expect(validationError(() => new ManagedAutoScalingTier(stack, 'Web2', { app: webApp, network: local, database })).message)
      .toMatch(/^Test\/Web2: invalid database: its secret 'arn:aws:secretsmanager:us-west-2:.*' is in us-west-2, the stack in eu-west-1; accepted: a database in eu-west-1/);
  });
});

describe('valid but unusual: the checks do not over-reach', () => {
  test('instance types given by name (JavaScript, config files) get the architecture of their family', () => {
    const arm = options(synth({ instanceTypes: ['m7g.large', 'c7g.large'] as never }).template);
    expect(arm['aws:ec2:instances InstanceTypes']).toBe('m7g.large,c7g.large');
    expect(arm['aws:ec2:instances SupportedArchitectures']).toBe('arm64');
    expect(options(synth({ instanceTypes: ['c7i.large'] as never }).template)['aws:ec2:instances SupportedArchitectures']).toBe('x86_64');
  });

  test('scaling.min alone: max follows it', () => {
    const o = options(synth({ scaling: { min: 6 } }).template);
    expect([o['aws:autoscaling:asg MinSize'], o['aws:autoscaling:asg MaxSize']]).toEqual(['6', '6']);
  });

  test('null for every optional prop (as jsii languages pass an absent value) is the default', () => {
    const nulls = Object.fromEntries(Object.keys(MANAGED_AUTO_SCALING_SPEC).filter((k) => k !== 'app').map((k) => [k, null]));
    const { template } = synth(nulls as never);
    expect(options(template)).toEqual(defaults);
  });

  test('managedUpdates: {} is the default window and level; a breach of whole minutes and thresholds with decimals pass', () => {
    const o = options(synth({
      managedUpdates: {},
      scaling: { trigger: { metric: 'Latency', statistic: 'Average', unit: 'Seconds', upperThreshold: 0.5, lowerThreshold: 0.1, breachDuration: Duration.seconds(120) } },
    }).template);
    expect(o['aws:elasticbeanstalk:managedactions PreferredStartTime']).toBe('Sun:03:00');
    expect([o['aws:autoscaling:trigger UpperThreshold'], o['aws:autoscaling:trigger BreachDuration']]).toEqual(['0.5', '2']);
  });

  test('a rolling timeout of whole seconds that are not whole minutes', () => {
    expect(options(synth({ deployment: Deployment.rolling({ timeout: Duration.seconds(90) }) }).template)['aws:elasticbeanstalk:command Timeout']).toBe('90');
  });

  test('an internationalized domain (app.xn--p1ai)', () => {
    const stack = testStack();
    const domainZone = route53.HostedZone.fromHostedZoneAttributes(stack, 'Zone', { hostedZoneId: 'Z1', zoneName: 'xn--p1ai' });
    expect(() => new ManagedAutoScalingTier(stack, 'Web', { app: webApp, domain: { domainName: 'app.xn--p1ai', domainZone } })).not.toThrow();
  });
});
