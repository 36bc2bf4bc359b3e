import { Stack } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as logs from 'aws-cdk-lib/aws-logs';
import type { Asset } from 'aws-cdk-lib/aws-s3-assets';
import type * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Validations } from 'aws-cdk-lib';
import type { Construct, IConstruct } from 'constructs';

/** Node.js major run on the instances (Amazon Linux 2023 package `nodejs<major>`). */
export const INSTANCE_NODE_MAJOR = 24;
/** PostgreSQL major installed on single-instance hosts (Amazon Linux 2023 package `postgresql<major>-server`). */
export const INSTANCE_POSTGRES_MAJOR = 16;
/** Caddy release that terminates TLS on single-instance hosts. */
export const CADDY_VERSION = '2.10.2';
/** CloudWatch agent namespace for memory and disk metrics. */
export const AGENT_NAMESPACE = 'CWAgent';
/** Where the data volume is mounted: PostgreSQL's home, so its data dir lives on the volume. */
export const DATA_MOUNT = '/var/lib/pgsql';

/** Inputs of {@link serverUserData}. */
export interface ServerBootstrapOptions {
  /** The zipped server bundle. */
  readonly bundle: Asset;
  /** File name of the bundle inside the zip. */
  readonly bundleFile: string;
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
  readonly localPostgres?: { readonly volumeId: string };
  /** Caddy terminates TLS for this domain with a Let's Encrypt certificate and proxies to the app. */
  readonly tls?: { readonly domainName: string; readonly email?: string };
  /** A PostgreSQL elsewhere: `DATABASE_URL` is rendered from this secret at boot and every 5 minutes. */
  readonly databaseSecret?: secretsmanager.ISecret;
  /**
   * Report the boot's outcome to CloudFormation (creation and rolling-update signals), for the
   * resource named by the host's own `aws:cloudformation:logical-id` tag: the instance, or the
   * Auto Scaling group that launched it.
   */
  readonly signal?: boolean;
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

/**
 * User data for a host that runs the web app under systemd, with the CloudWatch agent
 * shipping memory/disk metrics and logs. The shell part runs on every boot
 * (cloud-init `scripts-user: always`) and every step is idempotent, so a changed
 * bundle reaches the instance through CloudFormation's stop/start update of
 * user data, without replacing the instance.
 */
export function serverUserData(scope: IConstruct, o: ServerBootstrapOptions): ec2.UserData {
  const stack = Stack.of(scope);
  const script = ec2.UserData.forLinux({ shebang: '#!/bin/bash' });
  const agentConfig = stack.toJsonString({
    agent: { metrics_collection_interval: 60, run_as_user: 'root' },
    metrics: {
      namespace: AGENT_NAMESPACE,
      append_dimensions: o.autoScaling
        ? { InstanceId: '${aws:InstanceId}', AutoScalingGroupName: '${aws:AutoScalingGroupName}' }
        : { InstanceId: '${aws:InstanceId}' },
      ...(o.autoScaling ? { aggregation_dimensions: [['AutoScalingGroupName']] } : {}),
      metrics_collected: {
        mem: { measurement: ['mem_used_percent'] },
        disk: { measurement: ['used_percent'], resources: o.localPostgres ? ['/', DATA_MOUNT] : ['/'], drop_device: true, ignore_file_system_types: ['tmpfs', 'devtmpfs', 'overlay'] },
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
  const envFile = Object.entries(env).map(([k, v]) => `${k}=${JSON.stringify(v)}`).join('\n');
  const packages = [`nodejs${INSTANCE_NODE_MAJOR}`, 'amazon-cloudwatch-agent', 'rsyslog', 'unzip'];
  if (o.localPostgres) packages.push(`postgresql${INSTANCE_POSTGRES_MAJOR}-server`);
  if (o.signal) packages.push('aws-cfn-bootstrap');

  script.addCommands(
    'set -euo pipefail',
    'exec >>/var/log/web-tiers-bootstrap.log 2>&1',
    'echo "== web-tiers bootstrap $(date -Is)"',
    'TOKEN=$(curl -sf -X PUT http://169.254.169.254/latest/api/token -H "X-aws-ec2-metadata-token-ttl-seconds: 600")',
    'imds() { curl -sf -H "X-aws-ec2-metadata-token: $TOKEN" "http://169.254.169.254/latest/meta-data/$1"; }',
    'INSTANCE_ID=$(imds instance-id); REGION=$(imds placement/region)',
    ...(o.signal ? [
      // Reports the boot's outcome to CloudFormation for the resource that launched this host.
      // A failing step signals failure at once (ERR trap) instead of leaving CloudFormation to
      // wait out its timeout; on later boots nothing waits for a signal and its error is ignored.
      'tag() { aws ec2 describe-tags --region "$REGION" --filters "Name=resource-id,Values=$INSTANCE_ID" "Name=key,Values=$1" --query "Tags[0].Value" --output text; }',
      'signal() { /opt/aws/bin/cfn-signal -e "$1" --stack "$(tag aws:cloudformation:stack-name)" --resource "$(tag aws:cloudformation:logical-id)" --region "$REGION" || true; }',
      "trap 'signal 1' ERR",
    ] : []),
    `dnf install -y ${packages.join(' ')}`,
    'systemctl enable --now rsyslog',
    'mkdir -p /var/log/webapp',
    `cat >/opt/aws/amazon-cloudwatch-agent/etc/web-tiers.json <<'AGENT'\n${agentConfig}\nAGENT`,
    '/opt/aws/amazon-cloudwatch-agent/bin/amazon-cloudwatch-agent-ctl -a fetch-config -m ec2 -s -c file:/opt/aws/amazon-cloudwatch-agent/etc/web-tiers.json',
  );

  if (o.localPostgres) {
    script.addCommands(
      `VOLUME_ID=${sh(o.localPostgres.volumeId)}`,
      'DEVICE=/dev/disk/by-id/nvme-Amazon_Elastic_Block_Store_${VOLUME_ID/-/}',
      // The volume outlives instances: after a replacement it is still attached to the old
      // instance until CloudFormation removes that one, so keep asking for up to 20 minutes.
      // Never fall back to the root disk: without the volume, PostgreSQL does not start.
      'for i in $(seq 1 120); do',
      '  [ -e "$DEVICE" ] && break',
      '  aws ec2 attach-volume --region "$REGION" --volume-id "$VOLUME_ID" --instance-id "$INSTANCE_ID" --device /dev/sdf >/dev/null 2>&1 || true',
      '  sleep 10',
      'done',
      '[ -e "$DEVICE" ] || { echo "data volume $VOLUME_ID did not attach"; exit 1; }',
      'blkid "$DEVICE" >/dev/null || mkfs.xfs "$DEVICE"',
      'UUID=$(blkid -s UUID -o value "$DEVICE")',
      `mkdir -p ${DATA_MOUNT}`,
      `grep -q "$UUID" /etc/fstab || echo "UUID=$UUID ${DATA_MOUNT} xfs defaults,nofail 0 2" >>/etc/fstab`,
      `mountpoint -q ${DATA_MOUNT} || mount ${DATA_MOUNT}`,
      `chown postgres:postgres ${DATA_MOUNT} && chmod 700 ${DATA_MOUNT} && restorecon -R ${DATA_MOUNT} || true`,
      `[ -f ${DATA_MOUNT}/data/PG_VERSION ] || postgresql-setup --initdb`,
      'systemctl enable --now postgresql',
      'id webapp >/dev/null 2>&1 || useradd --system --home-dir /opt/webapp --shell /sbin/nologin webapp',
      `sudo -u postgres psql -tAc "SELECT 1 FROM pg_roles WHERE rolname='webapp'" | grep -q 1 || sudo -u postgres createuser webapp`,
      `sudo -u postgres psql -tAc "SELECT 1 FROM pg_database WHERE datname='webapp'" | grep -q 1 || sudo -u postgres createdb -O webapp webapp`,
    );
  }

  if (o.databaseSecret) {
    script.addCommands(...databaseEnvCommands(o.databaseSecret.secretArn));
  }

  script.addCommands(
    'id webapp >/dev/null 2>&1 || useradd --system --home-dir /opt/webapp --shell /sbin/nologin webapp',
    `aws s3 cp --region "$REGION" ${sh(o.bundle.s3ObjectUrl)} /tmp/webapp.zip`,
    'rm -rf /opt/webapp.next && mkdir -p /opt/webapp.next && unzip -q /tmp/webapp.zip -d /opt/webapp.next && rm -f /tmp/webapp.zip',
    'rm -rf /opt/webapp.prev && { [ ! -d /opt/webapp ] || mv /opt/webapp /opt/webapp.prev; } && mv /opt/webapp.next /opt/webapp',
    `install -m 0640 -o root -g webapp /dev/null /etc/webapp.env && cat >/etc/webapp.env <<'ENV'\n${envFile}\nENV`,
    'chown webapp:webapp /var/log/webapp',
    `cat >/etc/systemd/system/webapp.service <<'UNIT'
[Unit]
Description=web app (cdk-web-tiers)
After=network-online.target${o.localPostgres ? ' postgresql.service' : ''}
Wants=network-online.target
[Service]
User=webapp
EnvironmentFile=/etc/webapp.env
EnvironmentFile=-/etc/webapp/db.env
ExecStart=/usr/bin/node-${INSTANCE_NODE_MAJOR} --enable-source-maps /opt/webapp/${o.bundleFile}
Restart=always
RestartSec=2
KillSignal=SIGTERM
TimeoutStopSec=40
AmbientCapabilities=CAP_NET_BIND_SERVICE
NoNewPrivileges=yes
ProtectSystem=strict
ProtectHome=yes
PrivateTmp=yes
ReadWritePaths=/var/log/webapp
StandardOutput=append:/var/log/webapp/app.log
StandardError=append:/var/log/webapp/app.log
[Install]
WantedBy=multi-user.target
UNIT`,
    'systemctl daemon-reload',
    'systemctl enable webapp',
    'systemctl restart webapp',
  );

  if (o.tls) {
    const arch = o.arm64 ? 'arm64' : 'amd64';
    const release = `https://github.com/caddyserver/caddy/releases/download/v${CADDY_VERSION}`;
    const tarball = `caddy_${CADDY_VERSION}_linux_${arch}.tar.gz`;
    const global = o.tls.email ? `{\n  email ${o.tls.email}\n}\n` : '';
    script.addCommands(
      `if [ "$(/usr/local/bin/caddy version 2>/dev/null | cut -d' ' -f1)" != "v${CADDY_VERSION}" ]; then`,
      `  curl -sfL -o /tmp/${tarball} ${release}/${tarball}`,
      `  curl -sfL -o /tmp/caddy-checksums.txt ${release}/caddy_${CADDY_VERSION}_checksums.txt`,
      `  (cd /tmp && grep " ${tarball}$" caddy-checksums.txt | sha512sum -c -)`,
      `  tar -xzf /tmp/${tarball} -C /usr/local/bin caddy && rm -f /tmp/${tarball} /tmp/caddy-checksums.txt`,
      'fi',
      'id caddy >/dev/null 2>&1 || useradd --system --home-dir /var/lib/caddy --create-home --shell /sbin/nologin caddy',
      `mkdir -p /etc/caddy && cat >/etc/caddy/Caddyfile <<'CADDY'\n${global}${o.tls.domainName} {\n  encode zstd gzip\n  reverse_proxy ${o.host}:${o.port}\n}\nCADDY`,
      `cat >/etc/systemd/system/caddy.service <<'UNIT'
[Unit]
Description=Caddy (TLS for the web app)
After=network-online.target webapp.service
Wants=network-online.target
[Service]
User=caddy
Environment=XDG_DATA_HOME=/var/lib/caddy XDG_CONFIG_HOME=/var/lib/caddy
ExecStart=/usr/local/bin/caddy run --config /etc/caddy/Caddyfile
ExecReload=/usr/local/bin/caddy reload --config /etc/caddy/Caddyfile
Restart=always
AmbientCapabilities=CAP_NET_BIND_SERVICE
NoNewPrivileges=yes
[Install]
WantedBy=multi-user.target
UNIT`,
      'systemctl daemon-reload && systemctl enable caddy && systemctl restart caddy',
    );
  }

  script.addCommands(
    `for i in $(seq 1 90); do curl -sf -o /dev/null http://127.0.0.1:${o.port}${o.healthCheckPath} && break; sleep 2; done`,
    `if curl -sf http://127.0.0.1:${o.port}${o.healthCheckPath}; then HEALTHY=0; echo "== app healthy"; else HEALTHY=1; echo "== app not healthy"; fi`,
  );
  if (o.signal) {
    // Tells CloudFormation whether this host proved healthy: a failed deploy rolls back.
    script.addCommands("trap - ERR", 'signal "$HEALTHY"');
  }

  const userData = new ec2.MultipartUserData();
  // Run the shell part on every boot, not only the first: CloudFormation applies a
  // user-data change by stopping and starting the instance.
  userData.addPart(ec2.MultipartBody.fromRawBody({
    contentType: 'text/cloud-config; charset="utf-8"',
    body: 'cloud_final_modules:\n- [scripts-user, always]\n',
  }));
  userData.addUserDataPart(script, ec2.MultipartBody.SHELL_SCRIPT, true);
  return userData;
}

/**
 * Writes /etc/webapp/db.env with DATABASE_URL from the secret, and a timer that re-renders it
 * every 5 minutes and restarts the app (which drains first) only when it changed, so a
 * rotated password is picked up. TLS is verified against the RDS CA bundle when it can be
 * downloaded; without internet egress the connection is still encrypted, unverified.
 */
function databaseEnvCommands(secretArn: string): string[] {
  return [
    'install -d -m 0750 -o root -g root /etc/webapp',
    `cat >/usr/local/sbin/webapp-db-env <<'SCRIPT'
#!/bin/bash
set -euo pipefail
REGION=$(cat /etc/webapp/region)
SECRET_ARN=$(cat /etc/webapp/secret-arn)
${databaseUrlShell(`/usr/bin/node-${INSTANCE_NODE_MAJOR}`, '/etc/webapp/rds-ca.pem')}
NEW=$(printf 'DATABASE_URL=%s\n' "$DATABASE_URL"; [ -n "$NODE_EXTRA_CA_CERTS" ] && printf 'NODE_EXTRA_CA_CERTS=%s\n' "$NODE_EXTRA_CA_CERTS" || true)
if [ "$NEW" != "$(cat /etc/webapp/db.env 2>/dev/null)" ]; then
  install -m 0640 -o root -g webapp /dev/null /etc/webapp/db.env.new
  printf '%s\n' "$NEW" >/etc/webapp/db.env.new && mv /etc/webapp/db.env.new /etc/webapp/db.env
  [ "\${1:-}" = --restart ] && systemctl try-restart webapp || true
fi
SCRIPT`,
    'chmod 0700 /usr/local/sbin/webapp-db-env',
    'echo "$REGION" >/etc/webapp/region',
    `echo ${sh(secretArn)} >/etc/webapp/secret-arn`,
    'id webapp >/dev/null 2>&1 || useradd --system --home-dir /opt/webapp --shell /sbin/nologin webapp',
    'chgrp webapp /etc/webapp',
    '/usr/local/sbin/webapp-db-env',
    `cat >/etc/systemd/system/webapp-db-env.service <<'UNIT'
[Unit]
Description=Refresh the web app's database credentials
[Service]
Type=oneshot
ExecStart=/usr/local/sbin/webapp-db-env --restart
UNIT`,
    `cat >/etc/systemd/system/webapp-db-env.timer <<'UNIT'
[Unit]
Description=Refresh the web app's database credentials every 5 minutes
[Timer]
OnBootSec=5min
OnUnitActiveSec=5min
RandomizedDelaySec=60
[Install]
WantedBy=timers.target
UNIT`,
    'systemctl daemon-reload && systemctl enable --now webapp-db-env.timer',
  ];
}

/**
 * Bash that sets DATABASE_URL from the RDS secret `$SECRET_ARN` in `$REGION`, and
 * NODE_EXTRA_CA_CERTS to the RDS CA bundle when it can be fetched (then TLS is verified;
 * without internet egress the connection is still encrypted, unverified).
 */
export function databaseUrlShell(node: string, caFile: string): string {
  return `if [ ! -s ${caFile} ]; then
  curl -sf --max-time 20 -o ${caFile}.new https://truststore.pki.rds.amazonaws.com/global/global-bundle.pem && mv ${caFile}.new ${caFile} || rm -f ${caFile}.new
fi
if [ -s ${caFile} ]; then SSLMODE=verify-full; NODE_EXTRA_CA_CERTS=${caFile}; else SSLMODE=no-verify; NODE_EXTRA_CA_CERTS=; fi
SECRET_JSON=$(aws secretsmanager get-secret-value --region "$REGION" --secret-id "$SECRET_ARN" --query SecretString --output text)
DATABASE_URL=$(SECRET_JSON="$SECRET_JSON" SSLMODE="$SSLMODE" ${node} -e '
  const s = JSON.parse(process.env.SECRET_JSON); const e = encodeURIComponent;
  process.stdout.write(\`postgresql://\${e(s.username)}:\${e(s.password)}@\${s.host}:\${s.port}/\${e(s.dbname || "postgres")}?sslmode=\${process.env.SSLMODE}\`);')`;
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
      reason: o.autoScaling || o.signal
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
    resources: [o.bundle.bucket.arnForObjects(o.bundle.s3ObjectKey)],
  }));
  o.appLogGroup.grant(role, 'logs:CreateLogStream', 'logs:PutLogEvents', 'logs:DescribeLogStreams');
  o.systemLogGroup.grant(role, 'logs:CreateLogStream', 'logs:PutLogEvents', 'logs:DescribeLogStreams');
  role.addToPrincipalPolicy(new iam.PolicyStatement({
    actions: ['cloudwatch:PutMetricData'],
    resources: ['*'],
    conditions: { StringEquals: { 'cloudwatch:namespace': AGENT_NAMESPACE } },
  }));
  // The agent reads the aws:autoscaling:groupName tag for the group's dimension; the signal
  // step reads the host's CloudFormation tags.
  if (o.autoScaling || o.signal) role.addToPrincipalPolicy(new iam.PolicyStatement({ actions: ['ec2:DescribeTags'], resources: ['*'] }));
  if (o.signal) {
    role.addToPrincipalPolicy(new iam.PolicyStatement({ actions: ['cloudformation:SignalResource'], resources: [Stack.of(role).stackId] }));
  }
  o.databaseSecret?.grantRead(role);
}
