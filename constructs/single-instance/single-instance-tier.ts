import { Duration, Lazy, Names, RemovalPolicy, Size, Stack, Tags, Validations, type CfnElement } from 'aws-cdk-lib';
import * as autoscaling from 'aws-cdk-lib/aws-autoscaling';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as dlm from 'aws-cdk-lib/aws-dlm';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as route53 from 'aws-cdk-lib/aws-route53';
import type * as sns from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';
import { alarmTopic, notify } from '../shared/alarms';
import { acknowledgeAll, acknowledgeInherentFindings, guard, hipaaNist } from '../shared/compliance';
import { Deployment, DeploymentStrategy, type IDeployment } from '../shared/deployment';
import { publicOnlyVpc } from '../shared/network';
import { logicalIdAt } from '../shared/stateful';
import { SinglePointOfFailure, warnSinglePointOfFailure } from '../shared/warnings';
import {
  AGENT_NAMESPACE, DATA_MOUNT, amazonLinux2023, createServerRole, hostAssets, serverUserData, type ServerBootstrapOptions,
} from '../shared/server-bootstrap';
import {
  WebTiersValidationError, checkEmail, checkMovedProps, checkEnvironment,
  withoutSnapshot,
} from '../shared/validation';
import { checkImageArchitecture } from '../shared/server-fleet';
import { checkSpec, checkedWhereUsed, instanceType as anInstanceType, integer, machineImage, sizeGiB, string, vpc, type Spec, withoutNulls } from '../shared/checks';
import { WEB_TIER_SPEC, checkWebTierDomain, type IWebTier, type WebTierOutput, type WebTierProps } from '../shared/web-tier';

/** Props of {@link SingleInstanceTier}. */
export interface SingleInstanceTierProps extends WebTierProps {
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
   * Contact address given to Let's Encrypt for expiry notices (with `domain`).
   * @default - none
   */
  readonly certificateEmail?: string;
}

const RESERVED_ENV = ['PORT', 'HOST', 'HEALTH_CHECK_PATH', 'DATABASE_URL', 'NODE_ENV'];
const DEFAULT_INSTANCE_TYPE = 't4g.small';
const DEFAULT_DATA_GIB = 20;
const ROOT_VOLUME_GIB = 16;
/** Tag by which the snapshot policy finds the data volume. */
export const SNAPSHOT_TAG = 'cdk-web-tiers:snapshot';
/**
 * Id of the warning that this tier is a single point of failure; acknowledge it with `Annotations.of(tier).acknowledgeWarning(id)`.
 * @deprecated use {@link SinglePointOfFailure.SINGLE_INSTANCE}
 */
export const SINGLE_POINT_OF_FAILURE_WARNING = SinglePointOfFailure.SINGLE_INSTANCE;

/** How long a boot may take before CloudFormation counts it as failed (the volume takeover included). */
const BOOT_TIMEOUT = Duration.minutes(30);

/** The runtime checks of the props, before anything is built. */
export const SINGLE_INSTANCE_SPEC: Spec = {
  ...WEB_TIER_SPEC,
  vpc,
  instanceType: anInstanceType,
  machineImage,
  dataVolumeSize: sizeGiB(1, 16384),
  snapshotRetention: integer(1, 1000),
  certificateEmail: string(undefined, 'an e-mail address'),
  deployment: checkedWhereUsed('Deployment.allAtOnce(): one instance holds the data volume'),
};

/**
 * Tier 1: the app and PostgreSQL on one EC2 instance — the cheap start.
 *
 * One Graviton instance running Amazon Linux 2023 in a public subnet behind an Elastic IP, run
 * as an Auto Scaling group of exactly one in the data volume's Availability Zone. At boot the
 * instance attaches the data volume (PostgreSQL's data, encrypted, snapshotted daily, kept when
 * the instance goes) and takes over the Elastic IP, then reports to CloudFormation whether the app
 * answers its health route: a broken boot fails the deploy. A replacement — a new image, a new
 * bundle, a failed instance — terminates the old instance first, so the new one can take the
 * volume. No SSH: Session Manager. IMDSv2 only. Memory, disk and logs go to CloudWatch.
 */
export class SingleInstanceTier extends Construct implements IWebTier, ec2.IConnectable {
  /** The group that keeps one instance running. */
  public readonly autoScalingGroup: autoscaling.AutoScalingGroup;
  /** What the instance is launched from. */
  public readonly launchTemplate: ec2.LaunchTemplate;
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
  /** The alarms: no instance in service, memory, data disk. */
  public readonly alarms: cloudwatch.Alarm[];
  /** The app's log group (its stdout and stderr). */
  public readonly appLogGroup: logs.LogGroup;
  /** The URL users reach the app on. */
  public readonly url: string;
  /** The instance role: what the app runs as. */
  public readonly grantPrincipal: iam.IPrincipal;
  public readonly appLogGroups: logs.ILogGroup[];
  public readonly outputs: { [name: string]: WebTierOutput };

  constructor(scope: Construct, id: string, props: SingleInstanceTierProps) {
    // null, as jsii languages and JavaScript pass it for an omitted prop, counts as not given.
    props = withoutNulls(props);
    super(scope, id);
    checkSpec(this, props as unknown as Record<string, unknown>, SINGLE_INSTANCE_SPEC);
    // A name given as a string (from JavaScript or a config file) gets the image of its architecture too.
    const instanceType = new ec2.InstanceType(String(props.instanceType ?? DEFAULT_INSTANCE_TYPE));
    checkImageArchitecture(this, props.machineImage, instanceType);
    checkEnvironment(this, 'environment', props.environment, RESERVED_ENV);
    checkMovedProps(this, props, '', { https: 'domain: { domainName, domainZone } and certificateEmail' });
    checkWebTierDomain(this, props.domain);
    checkEmail(this, 'certificateEmail', props.certificateEmail);
    if (props.domain?.certificate) {
      throw new WebTiersValidationError(this, 'domain.certificate',
        "is not accepted: SingleInstanceTier gets its certificate from Let's Encrypt on the instance (ACM certificates cannot be installed on one); accepted: no certificate");
    }
    if (props.certificateEmail !== undefined && !props.domain) {
      throw new WebTiersValidationError(this, 'certificateEmail', 'is used only with a domain; accepted: a domain, or no certificateEmail');
    }
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
    if (props.domain) this.securityGroup.addIngressRule(ec2.Peer.anyIpv4(), ec2.Port.tcp(443), 'HTTPS');
    this.connections = this.securityGroup.connections;
    Validations.of(this.securityGroup).acknowledge({
      id: 'AwsSolutions::AwsSolutions-EC23',
      reason: 'A public web server: only the HTTP port (and HTTPS when configured) is open to the internet; no SSH.',
    });

    this.appLogGroup = new logs.LogGroup(this, 'AppLogs', { retention: logRetention, removalPolicy: logRemoval });
    const systemLogGroup = new logs.LogGroup(this, 'SystemLogs', { retention: logRetention, removalPolicy: logRemoval });

    // The volume and the address keep the logical ids they had when the tier was a plain
    // instance, so a stack made then upgrades in place with its data and its address.
    this.dataVolume = new ec2.Volume(this, 'DataVolume', {
      availabilityZone: subnet.availabilityZone,
      size: props.dataVolumeSize ?? Size.gibibytes(DEFAULT_DATA_GIB),
      volumeType: ec2.EbsDeviceVolumeType.GP3,
      encrypted: true,
      removalPolicy,
    });
    Tags.of(this.dataVolume).add(SNAPSHOT_TAG, Names.uniqueId(this));
    this.elasticIp = new ec2.CfnEIP(this, 'ElasticIp', { domain: 'vpc' });
    this.elasticIp.applyRemovalPolicy(logRemoval);

    const bootstrap: ServerBootstrapOptions = {
      ...hostAssets(this, props.app, false),
      port: props.domain ? 8080 : 80,
      host: props.domain ? '127.0.0.1' : '0.0.0.0',
      healthCheckPath: props.app.healthCheckPath,
      environment: props.environment ?? {},
      appLogGroup: this.appLogGroup,
      systemLogGroup,
      arm64,
      localPostgres: { volumeId: this.dataVolume.volumeId, legacyInstanceLogicalId: legacyInstanceLogicalId(this) },
      elasticIpAllocationId: this.elasticIp.attrAllocationId,
      tls: props.domain && { domainName: props.domain.domainName, email: props.certificateEmail },
      // The group's logical id, known once the group exists: the instance signals it directly.
      signal: Lazy.string({ produce: () => Stack.of(this).getLogicalId(this.autoScalingGroup.node.defaultChild as CfnElement) }),
      autoScaling: true,
    };

    const role = createServerRole(this, 'InstanceRole', bootstrap);
    this.role = role;
    const instanceProfile = new iam.InstanceProfile(this, 'InstanceProfile', { role });

    this.launchTemplate = new ec2.LaunchTemplate(this, 'LaunchTemplate', {
      instanceType,
      machineImage: props.machineImage ?? amazonLinux2023(arm64),
      securityGroup: this.securityGroup,
      instanceProfile,
      // Internet access before the Elastic IP moves over (that happens only once the app is
      // healthy), whatever the subnet's own public-IP setting.
      associatePublicIpAddress: true,
      userData: serverUserData(this, bootstrap),
      requireImdsv2: true,
      detailedMonitoring: true,
      blockDevices: [{
        deviceName: '/dev/xvda',
        volume: ec2.BlockDeviceVolume.ebs(ROOT_VOLUME_GIB, { encrypted: true, volumeType: ec2.EbsDeviceVolumeType.GP3 }),
      }],
    });

    acknowledgeAll(this.launchTemplate, [guard('ec2_launch_template_public_ip_disabled_check')],
      'A public web server without a load balancer: the instance needs a public address of its own until it takes the Elastic IP over (only its web ports are open).');

    this.autoScalingGroup = new autoscaling.AutoScalingGroup(this, 'Group', {
      vpc: this.vpc,
      vpcSubnets: { subnets: [subnet] },
      launchTemplate: this.launchTemplate,
      minCapacity: 1,
      maxCapacity: 1,
      // Terminate first, then launch: the volume attaches to one instance at a time.
      minHealthyPercentage: 0,
      maxHealthyPercentage: 100,
      healthChecks: autoscaling.HealthChecks.ec2({ gracePeriod: Duration.minutes(5) }),
      signals: autoscaling.Signals.waitForAll({ timeout: BOOT_TIMEOUT }),
      updatePolicy: singleInstanceUpdatePolicy(this, props.deployment),
      groupMetrics: [new autoscaling.GroupMetrics(autoscaling.GroupMetric.IN_SERVICE_INSTANCES)],
    });
    Validations.of(this.autoScalingGroup).acknowledge({
      id: 'AwsSolutions::AwsSolutions-AS3',
      reason: 'A group of one: the alarm on in-service instances pages when it has none; each launch is in the activity history.',
    });
    acknowledgeAll(this.autoScalingGroup, [guard('autoscaling_multiple_az_check'), guard('autoscaling_mixed_instances_policy_multiple_instance_types_check')],
      "A group of exactly one instance, pinned to the data volume's Availability Zone (an EBS volume lives in one zone): the tier is the single-instance one by design.");
    Validations.of(this.autoScalingGroup).acknowledge({
      id: 'AwsSolutions::AwsSolutions-EC29',
      reason: 'Data lives on a separate retained, snapshotted volume; the group replaces the instance on an image or bundle change.',
    });
    // The first boot needs its permissions: the group waits for them.
    this.autoScalingGroup.node.addDependency(this.bootPermissions(role, instanceProfile));

    if (props.domain) {
      new route53.ARecord(this, 'DnsRecord', {
        zone: props.domain.domainZone,
        // Fully qualified: right whatever the zone's name, even one imported by id only.
        recordName: `${props.domain.domainName}.`,
        target: route53.RecordTarget.fromIpAddresses(this.elasticIp.ref),
      });
    }
    this.url = props.domain ? `https://${props.domain.domainName}` : `http://${this.elasticIp.ref}`;
    this.grantPrincipal = role.grantPrincipal;
    this.appLogGroups = [this.appLogGroup];
    this.outputs = {
      ElasticIp: { value: this.elasticIp.ref, description: 'The address the app answers on' },
      AutoScalingGroupName: {
        value: this.autoScalingGroup.autoScalingGroupName,
        description: 'The group of one that runs the instance (its instance id: aws autoscaling describe-auto-scaling-groups)',
      },
    };

    this.snapshotPolicy(props.snapshotRetention ?? 7);
    this.alarmTopic = alarmTopic(this, props.alarms);
    this.alarms = this.createAlarms();

    warnSinglePointOfFailure(this, SinglePointOfFailure.SINGLE_INSTANCE,
      'SingleInstanceTier runs the app and its database on one instance in one Availability Zone: an instance or AZ failure ' +
      'stops the site until the replacement has booted, and deploys that change the image or the app restart it. Use LoadBalancedTier or ' +
      'AutoScalingTier where that matters.');
    acknowledgeAll(this.dataVolume, hipaaNist('EC2EBSInBackupPlan'),
      'Data Lifecycle Manager snapshots the volume daily (snapshotRetention); an AWS Backup plan is opt-in.');
    acknowledgeInherentFindings(this);
  }

  /**
   * What the boot does beyond the shared bootstrap: attach the data volume and take over the
   * Elastic IP — only for instances launched with this tier's profile — and stop the instance of a
   * pre-group deployment that still holds the volume (found by its CloudFormation tags).
   */
  private bootPermissions(role: iam.IRole, profile: iam.InstanceProfile): iam.Policy {
    const stack = Stack.of(this);
    const arn = (resource: string, resourceName: string) => stack.formatArn({ service: 'ec2', resource, resourceName });
    const policy = new iam.Policy(this, 'BootPermissions', {
      roles: [role],
      statements: [
        new iam.PolicyStatement({
          actions: ['ec2:AttachVolume', 'ec2:DetachVolume'],
          resources: [arn('volume', this.dataVolume.volumeId)],
        }),
        new iam.PolicyStatement({
          actions: ['ec2:AssociateAddress'],
          resources: [arn('elastic-ip', this.elasticIp.attrAllocationId)],
        }),
        new iam.PolicyStatement({
          actions: ['ec2:AttachVolume', 'ec2:DetachVolume', 'ec2:AssociateAddress'],
          resources: [arn('instance', '*')],
          conditions: { ArnEquals: { 'ec2:InstanceProfile': profile.instanceProfileArn } },
        }),
        // A failed first boot gives the volume back to that instance and starts it again.
        new iam.PolicyStatement({
          actions: ['ec2:StopInstances', 'ec2:StartInstances', 'ec2:DetachVolume'],
          resources: [arn('instance', '*')],
          conditions: {
            StringEquals: {
              'aws:ResourceTag/aws:cloudformation:stack-id': stack.stackId,
              'aws:ResourceTag/aws:cloudformation:logical-id': legacyInstanceLogicalId(this),
            },
          },
        }),
        new iam.PolicyStatement({ actions: ['ec2:DescribeVolumes', 'ec2:DescribeInstances'], resources: ['*'] }),
      ],
    });
    Validations.of(policy).acknowledge(
      { id: 'AwsSolutions::AwsSolutions-IAM5[Resource::*]', reason: 'ec2:DescribeVolumes and ec2:DescribeInstances have no resource-level permissions; they only read which instance holds the data volume and whether it has stopped.' },
      {
        id: 'AwsSolutions::AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:ec2:<AWS::Region>:<AWS::AccountId>:instance/*]',
        reason: "Instance ids are not known before launch: attaching and associating are limited to instances of this tier's instance profile, stopping to the one pre-group instance of this stack, by condition.",
      },
    );
    return policy;
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
    const group = this.autoScalingGroup.autoScalingGroupName;
    const agentMetric = (metricName: string, extra: Record<string, string> = {}) => new cloudwatch.Metric({
      namespace: AGENT_NAMESPACE, metricName, dimensionsMap: { AutoScalingGroupName: group, ...extra }, statistic: 'Average', period: Duration.minutes(5),
    });
    const inService = new cloudwatch.Alarm(this, 'InServiceAlarm', {
      alarmDescription: 'No instance in service for 10 minutes: the site is down (a failed replacement, or an AZ outage).',
      metric: new cloudwatch.Metric({
        namespace: 'AWS/AutoScaling', metricName: 'GroupInServiceInstances', dimensionsMap: { AutoScalingGroupName: group },
        statistic: 'Minimum', period: Duration.minutes(1),
      }),
      threshold: 1, evaluationPeriods: 10,
      comparisonOperator: cloudwatch.ComparisonOperator.LESS_THAN_THRESHOLD,
      treatMissingData: cloudwatch.TreatMissingData.BREACHING,
    });
    const memory = new cloudwatch.Alarm(this, 'MemoryAlarm', {
      alarmDescription: 'Memory use above 90% for 15 minutes.',
      metric: agentMetric('mem_used_percent'),
      threshold: 90, evaluationPeriods: 3,
      treatMissingData: cloudwatch.TreatMissingData.BREACHING,
    });
    const disk = new cloudwatch.Alarm(this, 'DataDiskAlarm', {
      alarmDescription: 'The database volume is more than 80% full.',
      metric: agentMetric('disk_used_percent', { path: DATA_MOUNT }),
      threshold: 80, evaluationPeriods: 1,
    });
    return [inService, memory, disk].map((a) => notify(a, this.alarmTopic));
  }
}

/**
 * `deployment` on tier 1: only all at once — the one instance is replaced terminate-first (the
 * volume attaches to one instance at a time) and the replacement must signal healthy, or the
 * deploy rolls back.
 */
function singleInstanceUpdatePolicy(scope: Construct, deployment: IDeployment | undefined): autoscaling.UpdatePolicy {
  const accepted = 'Deployment.allAtOnce() (the default)';
  if (deployment !== undefined && !(deployment instanceof Deployment)) {
    throw Deployment._unsupported(scope, 'SingleInstanceTier', deployment, accepted);
  }
  if (deployment) {
    deployment._validate(scope, 'SingleInstanceTier');
    if (deployment.strategy !== DeploymentStrategy.ALL_AT_ONCE) {
      throw Deployment._unsupported(scope, 'SingleInstanceTier', deployment, accepted,
        'it runs one instance, which holds the data volume and is stopped before its replacement starts, so there is nothing to roll or split traffic with');
    }
  }
  return autoscaling.UpdatePolicy.rollingUpdate({
    maxBatchSize: 1,
    minInstancesInService: 0,
    waitOnResourceSignals: true,
    pauseTime: BOOT_TIMEOUT,
  });
}

/**
 * The logical id CloudFormation knew this tier's instance by before the tier ran in an Auto
 * Scaling group: an `AWS::EC2::Instance` at `<tier>/Instance`.
 */
function legacyInstanceLogicalId(tier: Construct): string {
  const stack = Stack.of(tier);
  const below = tier.node.scopes.slice(tier.node.scopes.indexOf(stack) + 1).map((c) => c.node.id);
  return logicalIdAt(stack.stackName, [...below, 'Instance', 'Resource']);
}
