import { Annotations, Duration, Names, RemovalPolicy, Size, Stack, Tags, Validations } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as cwActions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as dlm from 'aws-cdk-lib/aws-dlm';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as route53 from 'aws-cdk-lib/aws-route53';
import { Asset } from 'aws-cdk-lib/aws-s3-assets';
import type * as sns from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';
import { alarmTopic, notify, type AlarmOptions } from '../shared/alarms';
import { acknowledgeAll, acknowledgeInherentFindings, hipaaNist } from '../shared/compliance';
import { publicOnlyVpc } from '../shared/network';
import { AGENT_NAMESPACE, DATA_MOUNT, amazonLinux2023, createServerRole, serverUserData, type ServerBootstrapOptions } from '../shared/server-bootstrap';
import {
  WebTiersValidationError, checkDomainName, checkEnvironment, checkInstanceType, checkIntegerRange, checkSizeGiB, withoutSnapshot,
} from '../shared/validation';
import type { WebApp } from '../shared/web-app';

/** HTTPS for a single instance: Caddy on the instance gets a Let's Encrypt certificate for the domain. */
export interface SingleInstanceHttpsOptions {
  /**
   * The domain users reach the app on. Its DNS must point at the instance's
   * Elastic IP (done for you when `hostedZone` is given) before the certificate can be issued.
   */
  readonly domainName: string;
  /**
   * Contact address given to Let's Encrypt for expiry notices.
   * @default - none
   */
  readonly email?: string;
  /**
   * A Route 53 zone in which to create the A record `domainName` → Elastic IP.
   * @default - no record; point DNS at the `ElasticIp` yourself
   */
  readonly hostedZone?: route53.IHostedZone;
}

/** Props of {@link SingleInstanceTier}. */
export interface SingleInstanceTierProps {
  /** The web app to run. */
  readonly app: WebApp;

  /**
   * The VPC; the instance goes in its first public subnet.
   * @default - a new VPC with public subnets in 2 AZs, no NAT, flow logs
   */
  readonly vpc?: ec2.IVpc;

  /**
   * Instance type. Graviton (`*g.*`) types get an arm64 image, others x86_64.
   * @default t4g.small
   */
  readonly instanceType?: ec2.InstanceType;

  /**
   * The machine image. The default resolves at deploy time from SSM, so a new
   * Amazon Linux release replaces the instance on the next deploy (the data volume is kept).
   * @default - latest Amazon Linux 2023 for the instance type's architecture
   */
  readonly machineImage?: ec2.IMachineImage;

  /**
   * Size of the encrypted gp3 volume holding PostgreSQL's data, from 1 to 16384 GiB.
   * @default Size.gibibytes(20)
   */
  readonly dataVolumeSize?: Size;

  /**
   * How many daily snapshots of the data volume to keep, from 1 to 1000.
   * @default 7
   */
  readonly snapshotRetention?: number;

  /**
   * What happens to the data volume and the Elastic IP when they leave the stack.
   * Use `DESTROY` only in development.
   * @default RemovalPolicy.RETAIN
   */
  readonly removalPolicy?: RemovalPolicy;

  /**
   * Retention of the app, system and flow log groups.
   * @default logs.RetentionDays.THREE_MONTHS
   */
  readonly logRetention?: logs.RetentionDays;

  /**
   * Serve HTTPS on the instance with a Let's Encrypt certificate.
   * @default - HTTP only, on port 80
   */
  readonly https?: SingleInstanceHttpsOptions;

  /**
   * Where alarms notify.
   * @default - a new encrypted topic, no subscription
   */
  readonly alarms?: AlarmOptions;

  /**
   * Extra environment variables for the app (not secrets: they are visible in the template).
   * @default - none
   */
  readonly environment?: { [name: string]: string };
}

const RESERVED_ENV = ['PORT', 'HOST', 'HEALTH_CHECK_PATH', 'DATABASE_URL', 'NODE_ENV'];
const DEFAULT_INSTANCE_TYPE = 't4g.small';
const DEFAULT_DATA_GIB = 20;
const ROOT_VOLUME_GIB = 16;
/** Tag by which the snapshot policy finds the data volume. */
export const SNAPSHOT_TAG = 'cdk-web-tiers:snapshot';
/** Id of the warning that this tier is a single point of failure; acknowledge it with `Annotations.of(tier).acknowledgeWarning(id)`. */
export const SINGLE_POINT_OF_FAILURE_WARNING = 'cdk-web-tiers:singlePointOfFailure';

/**
 * Tier 1: the app and PostgreSQL on one EC2 instance — the cheap start.
 *
 * One Graviton instance running Amazon Linux 2023 in a public subnet behind an
 * Elastic IP. The app runs under systemd from the server bundle; PostgreSQL keeps
 * its data on a separate encrypted EBS volume that outlives the instance and is
 * snapshotted daily. No SSH: Session Manager. IMDSv2 only. Memory, disk and logs
 * go to CloudWatch; alarms recover the instance and notify a topic.
 */
export class SingleInstanceTier extends Construct implements ec2.IConnectable {
  /** The instance. */
  public readonly instance: ec2.Instance;
  /** The VPC the instance is in. */
  public readonly vpc: ec2.IVpc;
  /** The instance's security group: HTTP (and HTTPS) from anywhere, nothing else. */
  public readonly securityGroup: ec2.SecurityGroup;
  /** Network access to the instance. */
  public readonly connections: ec2.Connections;
  /** The volume holding PostgreSQL's data. */
  public readonly dataVolume: ec2.Volume;
  /** The instance's Elastic IP. */
  public readonly elasticIp: ec2.CfnEIP;
  /** The instance role. */
  public readonly role: iam.IRole;
  /** The topic alarms notify. */
  public readonly alarmTopic: sns.ITopic;
  /** The alarms: system and instance status checks, memory, data disk. */
  public readonly alarms: cloudwatch.Alarm[];
  /** The app's log group (its stdout and stderr). */
  public readonly appLogGroup: logs.LogGroup;
  /** The URL users reach the app on. */
  public readonly url: string;

  constructor(scope: Construct, id: string, props: SingleInstanceTierProps) {
    super(scope, id);
    const instanceType = props.instanceType ?? new ec2.InstanceType(DEFAULT_INSTANCE_TYPE);
    checkInstanceType(this, 'instanceType', instanceType);
    checkSizeGiB(this, 'dataVolumeSize', props.dataVolumeSize, 1, 16384);
    checkIntegerRange(this, 'snapshotRetention', props.snapshotRetention, 1, 1000);
    checkDomainName(this, 'https.domainName', props.https?.domainName);
    checkEnvironment(this, 'environment', props.environment, RESERVED_ENV);
    const removalPolicy = props.removalPolicy ?? RemovalPolicy.RETAIN;
    const logRetention = props.logRetention ?? logs.RetentionDays.THREE_MONTHS;
    const arm64 = instanceType.architecture === ec2.InstanceArchitecture.ARM_64;

    const logRemoval = withoutSnapshot(removalPolicy);

    this.vpc = props.vpc ?? publicOnlyVpc(this, 'Vpc', logRetention, logRemoval);
    if (this.vpc.publicSubnets.length === 0) {
      throw new WebTiersValidationError(this, 'vpc', 'the VPC has no public subnet; accepted: a VPC with at least one public subnet');
    }
    const subnet = this.vpc.publicSubnets[0];

    this.securityGroup = new ec2.SecurityGroup(this, 'SecurityGroup', {
      vpc: this.vpc,
      description: `${this.node.path}: web traffic from anywhere`,
      allowAllOutbound: true,
    });
    this.securityGroup.addIngressRule(ec2.Peer.anyIpv4(), ec2.Port.tcp(80), 'HTTP');
    if (props.https) this.securityGroup.addIngressRule(ec2.Peer.anyIpv4(), ec2.Port.tcp(443), 'HTTPS');
    this.connections = this.securityGroup.connections;
    Validations.of(this.securityGroup).acknowledge({
      id: 'AwsSolutions::AwsSolutions-EC23',
      reason: 'A public web server: only the HTTP port (and HTTPS when configured) is open to the internet; no SSH.',
    });

    this.appLogGroup = new logs.LogGroup(this, 'AppLogs', { retention: logRetention, removalPolicy: logRemoval });
    const systemLogGroup = new logs.LogGroup(this, 'SystemLogs', { retention: logRetention, removalPolicy: logRemoval });

    this.dataVolume = new ec2.Volume(this, 'DataVolume', {
      availabilityZone: subnet.availabilityZone,
      size: props.dataVolumeSize ?? Size.gibibytes(DEFAULT_DATA_GIB),
      volumeType: ec2.EbsDeviceVolumeType.GP3,
      encrypted: true,
      removalPolicy,
    });
    Tags.of(this.dataVolume).add(SNAPSHOT_TAG, Names.uniqueId(this));

    const bundle = props.app.serverBundle();
    const bootstrap: ServerBootstrapOptions = {
      bundle: new Asset(this, 'Bundle', { path: bundle.directory }),
      bundleFile: bundle.file,
      port: props.https ? 8080 : 80,
      host: props.https ? '127.0.0.1' : '0.0.0.0',
      healthCheckPath: props.app.healthCheckPath,
      environment: props.environment ?? {},
      appLogGroup: this.appLogGroup,
      systemLogGroup,
      arm64,
      localPostgres: { volumeId: this.dataVolume.volumeId },
      tls: props.https && { domainName: props.https.domainName, email: props.https.email },
    };

    const role = createServerRole(this, 'InstanceRole', bootstrap);
    this.role = role;

    this.instance = new ec2.Instance(this, 'Instance', {
      vpc: this.vpc,
      vpcSubnets: { subnets: [subnet] },
      instanceType,
      machineImage: props.machineImage ?? amazonLinux2023(arm64),
      securityGroup: this.securityGroup,
      role,
      userData: serverUserData(this, bootstrap),
      requireImdsv2: true,
      detailedMonitoring: true,
      blockDevices: [{
        deviceName: '/dev/xvda',
        volume: ec2.BlockDeviceVolume.ebs(ROOT_VOLUME_GIB, { encrypted: true, volumeType: ec2.EbsDeviceVolumeType.GP3 }),
      }],
    });
    Validations.of(this.instance).acknowledge({
      id: 'AwsSolutions::AwsSolutions-EC29',
      reason: 'Data lives on a separate retained, snapshotted volume; termination protection would block CloudFormation from replacing the instance on an image update.',
    });

    // The instance attaches its data volume itself at boot, so that after a replacement the
    // new instance takes the volume over once CloudFormation removes the old one. This policy
    // is not part of the role's default policy, so naming the instance here makes no cycle.
    new iam.Policy(this, 'AttachDataVolume', {
      roles: [role],
      statements: [new iam.PolicyStatement({
        actions: ['ec2:AttachVolume'],
        resources: [
          Stack.of(this).formatArn({ service: 'ec2', resource: 'volume', resourceName: this.dataVolume.volumeId }),
          Stack.of(this).formatArn({ service: 'ec2', resource: 'instance', resourceName: this.instance.instanceId }),
        ],
      })],
    });

    this.elasticIp = new ec2.CfnEIP(this, 'ElasticIp', { domain: 'vpc' });
    this.elasticIp.applyRemovalPolicy(logRemoval);
    new ec2.CfnEIPAssociation(this, 'ElasticIpAssociation', {
      allocationId: this.elasticIp.attrAllocationId,
      instanceId: this.instance.instanceId,
    });

    if (props.https?.hostedZone) {
      new route53.ARecord(this, 'DnsRecord', {
        zone: props.https.hostedZone,
        recordName: props.https.domainName,
        target: route53.RecordTarget.fromIpAddresses(this.elasticIp.ref),
      });
    }
    this.url = props.https ? `https://${props.https.domainName}` : `http://${this.elasticIp.ref}`;

    this.snapshotPolicy(props.snapshotRetention ?? 7);
    this.alarmTopic = alarmTopic(this, props.alarms);
    this.alarms = this.createAlarms();

    Annotations.of(this).addWarningV2(SINGLE_POINT_OF_FAILURE_WARNING,
      'SingleInstanceTier runs the app and its database on one instance in one Availability Zone: an instance or AZ failure ' +
      'stops the site until recovery, and deploys that change the image or user data restart it. Use LoadBalancedTier or ' +
      'AutoScalingTier where that matters; acknowledge this warning where it does not.');
    acknowledgeAll(this.dataVolume, hipaaNist('EC2EBSInBackupPlan'),
      'Data Lifecycle Manager snapshots the volume daily (snapshotRetention); an AWS Backup plan is opt-in.');
    acknowledgeInherentFindings(this);
  }

  private snapshotPolicy(retainCount: number): void {
    const role = new iam.Role(this, 'SnapshotRole', {
      assumedBy: new iam.ServicePrincipal('dlm.amazonaws.com'),
      description: `Takes the daily data-volume snapshots of ${this.node.path}`,
      managedPolicies: [iam.ManagedPolicy.fromAwsManagedPolicyName('service-role/AWSDataLifecycleManagerServiceRole')],
    });
    Validations.of(role).acknowledge({
      id: 'AwsSolutions::AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSDataLifecycleManagerServiceRole]',
      reason: 'The service-role policy AWS publishes for Data Lifecycle Manager; it follows the DLM API as it changes.',
    });
    new dlm.CfnLifecyclePolicy(this, 'DailySnapshots', {
      description: `Daily snapshots of ${Names.uniqueId(this)}`.slice(0, 500),
      state: 'ENABLED',
      executionRoleArn: role.roleArn,
      policyDetails: {
        policyType: 'EBS_SNAPSHOT_MANAGEMENT',
        resourceTypes: ['VOLUME'],
        targetTags: [{ key: SNAPSHOT_TAG, value: Names.uniqueId(this) }],
        schedules: [{
          name: 'Daily',
          copyTags: true,
          createRule: { interval: 24, intervalUnit: 'HOURS', times: ['03:00'] },
          retainRule: { count: retainCount },
        }],
      },
    });
  }

  private createAlarms(): cloudwatch.Alarm[] {
    const instanceId = this.instance.instanceId;
    const ec2Metric = (metricName: string) => new cloudwatch.Metric({
      namespace: 'AWS/EC2', metricName, dimensionsMap: { InstanceId: instanceId }, statistic: 'Maximum', period: Duration.minutes(1),
    });
    const agentMetric = (metricName: string, extra: Record<string, string> = {}) => new cloudwatch.Metric({
      namespace: AGENT_NAMESPACE, metricName, dimensionsMap: { InstanceId: instanceId, ...extra }, statistic: 'Average', period: Duration.minutes(5),
    });

    const system = new cloudwatch.Alarm(this, 'SystemStatusAlarm', {
      alarmDescription: 'The host failed its system status check: the instance is being recovered onto healthy hardware.',
      metric: ec2Metric('StatusCheckFailed_System'),
      threshold: 1, evaluationPeriods: 2,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
    });
    system.addAlarmAction(new cwActions.Ec2Action(cwActions.Ec2InstanceAction.RECOVER));
    const instanceCheck = new cloudwatch.Alarm(this, 'InstanceStatusAlarm', {
      alarmDescription: 'The instance failed its status check for 3 minutes: it is being rebooted.',
      metric: ec2Metric('StatusCheckFailed_Instance'),
      threshold: 1, evaluationPeriods: 3,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
    });
    instanceCheck.addAlarmAction(new cwActions.Ec2Action(cwActions.Ec2InstanceAction.REBOOT));
    const memory = new cloudwatch.Alarm(this, 'MemoryAlarm', {
      alarmDescription: 'Memory use above 90% for 15 minutes.',
      metric: agentMetric('mem_used_percent'),
      threshold: 90, evaluationPeriods: 3,
      treatMissingData: cloudwatch.TreatMissingData.BREACHING,
    });
    const disk = new cloudwatch.Alarm(this, 'DataDiskAlarm', {
      alarmDescription: 'The database volume is more than 80% full.',
      metric: agentMetric('disk_used_percent', { path: DATA_MOUNT, fstype: 'xfs' }),
      threshold: 80, evaluationPeriods: 1,
    });
    return [system, instanceCheck, memory, disk].map((a) => notify(a, this.alarmTopic));
  }
}

