import { Duration, RemovalPolicy, Stack, Token, Tokenization, Validations } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as elasticbeanstalk from 'aws-cdk-lib/aws-elasticbeanstalk';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as route53 from 'aws-cdk-lib/aws-route53';
import { Asset } from 'aws-cdk-lib/aws-s3-assets';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import type * as sns from 'aws-cdk-lib/aws-sns';
import { Construct, type IConstruct } from 'constructs';
import { alarmTopic, notify } from '../shared/alarms';
import {
  appDatabase, arrayOf, boolean, checkSpec, describe, duration, instanceOf, instanceType as anInstanceType, integer, literal,
  network, oneOf, required, retentionDays, shape, string, type Check, type Spec, withoutNulls,
} from '../shared/checks';
import { describeVpc, regionOfArn, regionOfResource } from '../shared/regions';
import { acknowledgeInherentFindings } from '../shared/compliance';
import { Database, checkDatabaseNetwork, type IAppDatabase } from '../shared/database';
import { Deployment, DeploymentStrategy, type IDeployment } from '../shared/deployment';
import { createAccessLogBucket } from '../shared/load-balancer';
import { Network } from '../shared/network';
import { WebTiersValidationError, checkEnvironment, checkIntegerRange, zoneNameOf } from '../shared/validation';
import { SinglePointOfFailure, warnSinglePointOfFailure } from '../shared/warnings';
import { WEB_TIER_SPEC, checkWebTierDomain, domainCertificate, type IWebTier, type WebTierOutput, type WebTierProps } from '../shared/web-tier';
import {
  BatchSize, BeanstalkDeployment, BeanstalkLoadBalancer, UpdateLevel,
  type BeanstalkMonitoring, type BeanstalkScaling, type ManagedUpdates, type OptionSetting,
} from './options';
import { NodePlatform } from './platform';
import { beanstalkSourceBundle } from './source-bundle';

/** Props of {@link ManagedAutoScalingTier}. */
export interface ManagedAutoScalingTierProps extends WebTierProps {
  /**
   * The network: instances in its app subnets, the load balancer in its public ones.
   * @default - a new Network: 2 AZs, one NAT gateway
   */
  readonly network?: Network;
  /**
   * The database; its secret is read by the instance profile at start, never put in the environment.
   * @default - a new Database in the network
   */
  readonly database?: IAppDatabase;
  /**
   * Instance types, all of one architecture (Beanstalk picks among them).
   * @default [t4g.small]
   */
  readonly instanceTypes?: ec2.InstanceType[];
  /**
   * Size of the group and its scaling trigger.
   * @default - 2 to 4 instances on CPU (1 without a load balancer)
   */
  readonly scaling?: BeanstalkScaling;
  /**
   * Managed platform updates in a weekly window; `false` turns them off.
   * @default - minor and patch updates, Sundays 03:00 UTC
   */
  readonly managedUpdates?: ManagedUpdates | false;
  /**
   * Enhanced health and log streaming.
   * @default - enhanced health, logs kept three months
   */
  readonly monitoring?: BeanstalkMonitoring;
  /**
   * The load balancer.
   * @default BeanstalkLoadBalancer.dedicated()
   */
  readonly loadBalancer?: BeanstalkLoadBalancer;
  /**
   * A pinned platform, a "64bit Amazon Linux 2023 vX.Y.Z running Node.js N" solution stack name
   * (N ≥ 20). Beanstalk creates new environments only from current platform versions, so a pinned
   * name must be current when the environment is created (or replaced).
   * @default - the newest Ready version of the "Node.js 24 running on 64bit Amazon Linux 2023"
   * branch, resolved at deploy time when the environment is created (NodePlatform) and kept on
   * later deploys; managed updates keep it current
   */
  readonly solutionStackName?: string;
  /**
   * Raw option settings for what the typed props do not cover; they may not repeat a typed one.
   * @default - none
   */
  readonly optionSettings?: OptionSetting[];
}

/**
 * The solution stack that releases before platform resolution wrote into the template. An environment
 * created by them is replaced if its template moves from SolutionStackName to PlatformArn (a change
 * of SolutionStackName requires replacement), so pass this as `solutionStackName` to keep such an
 * environment in place; its managed updates keep it current.
 */
export const SOLUTION_STACK = '64bit Amazon Linux 2023 v6.10.0 running Node.js 24';
const SOLUTION_STACK_FORMAT = /^64bit Amazon Linux 2023 v\d+\.\d+\.\d+ running Node\.js (\d+)$/;
/**
 * A Beanstalk namespace: `aws:` and lower-case segments; the segments after the first name what the
 * user chose (a listener port, a process or listener rule name), so they may hold capitals and `_`.
 */
const NAMESPACE = /^aws:[a-z0-9]+(:[A-Za-z0-9_-]+)*$/;
/** An option name as AWS writes them: `MinSize`, `memory_limit`, `zlib.output_compression`, `XX:MaxPermSize`. */
const OPTION_NAME = /^[A-Za-z][A-Za-z0-9_.:-]*$/;
/** Namespaces whose documented option names hold spaces, e.g. 'Application Healthcheck URL', 'Notification Endpoint'. */
const SPACED_OPTION_NAMESPACES = ['aws:elasticbeanstalk:application', 'aws:elasticbeanstalk:monitoring', 'aws:elasticbeanstalk:sns:topics', 'aws:elasticbeanstalk:container:tomcat:jvmoptions'];
const SPACED_OPTION_NAME = /^[A-Za-z][A-Za-z0-9_.:-]*( [A-Za-z0-9_.:-]+)*$/;
/** Static files: the option name is the URL path the proxy serves, e.g. `/assets`. */
const STATIC_FILES_NAMESPACE = /^aws:elasticbeanstalk:(environment:proxy|container:[a-z0-9]+):staticfiles$/;
const URL_PATH = /^\/[A-Za-z0-9\-._~!$&'()*+,;=:@/%]*$/;
/** Environment properties: the names Beanstalk accepts (letters, digits and `_ . : / + \ - @`). */
const ENV_NAMESPACE = 'aws:elasticbeanstalk:application:environment';
const ENV_PROPERTY_NAME = /^[A-Za-z0-9_.:/+\\@-]+$/;
/** User-defined options, read by configuration files with Fn::GetOptionSetting: any name. */
const CUSTOM_NAMESPACE = 'aws:elasticbeanstalk:customoption';
const WINDOW = /^(Mon|Tue|Wed|Thu|Fri|Sat|Sun):([01]\d|2[0-3]):[0-5]\d$/;
const BEANSTALK_LOG_DAYS = [1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1827, 3653];
/** The environment properties the tier sets. */
const TIER_ENV = ['NODE_ENV', 'HEALTH_CHECK_PATH', 'DATABASE_SECRET_ARN'];
const RESERVED_ENV = ['PORT', 'HOST', 'HEALTH_CHECK_PATH', 'DATABASE_URL', 'DATABASE_SECRET_ARN', 'NODE_ENV', 'NODE_EXTRA_CA_CERTS'];
/** Beanstalk's Node.js platform runs the app behind nginx on this port. */
const APP_PORT = 8080;
/** Beanstalk's limit on environment properties: all of them, written `key=value`, at most 4096 bytes. */
export const BEANSTALK_ENVIRONMENT_LIMIT = 4096;
/**
 * The shortest a Secrets Manager ARN can be (`arn:aws:secretsmanager:us-east-1:<12 digits>:secret:x-AbCdEf`):
 * what DATABASE_SECRET_ARN, a deploy-time value, counts for at least.
 */
const SECRET_ARN_MIN_LENGTH = 61;
const TIER = 'ManagedAutoScalingTier';

/** `check`, except that a deploy-time token string passes (a value passed straight through). */
function orToken(check: Check): Check {
  return {
    accepted: check.accepted,
    validate(value, at) {
      if (typeof value === 'string' && Token.isUnresolved(value)) return;
      check.validate(value, at);
    },
  };
}

/**
 * `shape`, strict: a plain object (not a Duration or a construct given by mistake) whose keys are all
 * in `spec`, so that a misspelt option (`scaling: { minimum: 3 }`) fails instead of being ignored.
 */
function strictShape(spec: Spec, accepted: string): Check {
  const loose = shape(spec, accepted);
  return {
    accepted,
    validate(value, at) {
      const proto = typeof value === 'object' && value !== null ? Object.getPrototypeOf(value) : undefined;
      if (proto !== Object.prototype && proto !== null) throw new WebTiersValidationError(at.scope, at.prop, `got ${describe(value)}; accepted: ${accepted}`);
      loose.validate(value, at);
      const unknown = Object.keys(value as object).find((k) => !(k in spec) && (value as Record<string, unknown>)[k] !== undefined);
      if (unknown !== undefined) {
        throw new WebTiersValidationError(at.scope, `${at.prop}.${unknown}`, `is not an option of ${at.prop}; accepted: ${accepted}`);
      }
    },
  };
}

/** A threshold of the scaling trigger: a number ≥ 0, passed through (a token is accepted). */
const threshold: Check = {
  accepted: 'a number ≥ 0 in the metric\'s unit (e.g. 60 for 60 %)',
  validate(value, at) {
    if (typeof value === 'number' && Token.isUnresolved(value)) return;
    if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
      throw new WebTiersValidationError(at.scope, at.prop, `got ${describe(value)}; accepted: ${this.accepted}`);
    }
  },
};

/** A Duration the tier converts (to seconds or minutes): known at synth; its range is checked where it is used. */
function knownDuration(example: string): Check {
  const accepted = `a Duration known at synth (e.g. ${example})`;
  return {
    accepted,
    validate(value, at) {
      if (!(value instanceof Duration)) throw new WebTiersValidationError(at.scope, at.prop, `got ${describe(value)}; accepted: ${accepted}`);
      if (value.isUnresolved()) {
        throw new WebTiersValidationError(at.scope, at.prop, `got a deploy-time token (the tier converts it for Beanstalk); accepted: ${accepted}`);
      }
    },
  };
}

/** The options of a shared `Deployment` that the tier computes with, checked before they are used. */
const DEPLOYMENT_OPTIONS_SPEC: Spec = {
  batchPercent: literal(integer(1, 100, 'percent')),
  minHealthyPercent: literal(integer(0, 100, 'percent')),
  timeout: knownDuration('Duration.minutes(10)'),
  bake: knownDuration('Duration.minutes(5)'),
};

const DEPLOYMENT_ACCEPTED = 'Deployment.allAtOnce(), Deployment.rolling({ batchPercent, minHealthyPercent, timeout }), Deployment.canary({ percent, bake }) or a BeanstalkDeployment';

/** `deployment`: a BeanstalkDeployment, or a Deployment whose options the tier can compute with. */
const deploymentCheck: Check = {
  accepted: DEPLOYMENT_ACCEPTED,
  validate(value, at) {
    if (value instanceof BeanstalkDeployment) return;
    if (!(value instanceof Deployment)) throw Deployment._unsupported(at.scope as IConstruct, TIER, value, DEPLOYMENT_ACCEPTED);
    checkSpec(at.scope, value as unknown as Record<string, unknown>, DEPLOYMENT_OPTIONS_SPEC, at.prop);
  },
};

const updatesShape = strictShape({
  window: string(WINDOW, "'Ddd:HH:MM' in UTC, such as 'Sun:03:00'"),
  level: orToken(oneOf(Object.values(UpdateLevel), 'UpdateLevel.PATCH or UpdateLevel.MINOR')),
}, 'an object { window?, level? } ({} for the defaults), or false to turn managed updates off');

/**
 * The runtime checks of ManagedAutoScalingTier's props, before anything is built. Counts and
 * durations the tier computes with (scaling.min and max, the breach duration) must be known at
 * synth; values passed straight to Beanstalk (thresholds, a batch or traffic percentage, the
 * solution stack, option values, variables) may be deploy-time tokens.
 */
export const MANAGED_AUTO_SCALING_SPEC: Spec = {
  ...WEB_TIER_SPEC,
  logRetention: retentionDays,
  deployment: deploymentCheck,
  network,
  database: appDatabase,
  instanceTypes: arrayOf(anInstanceType, 1, 40),
  scaling: strictShape({
    min: literal(integer(1, 10000, 'instances')),
    max: literal(integer(1, 10000, 'instances')),
    trigger: strictShape({
      metric: required(string(/^[A-Za-z0-9/]+$/, "a CloudWatch metric name such as 'CPUUtilization'")),
      statistic: required(string(/^(Minimum|Maximum|Sum|Average)$/, "'Minimum', 'Maximum', 'Sum' or 'Average'")),
      unit: required(string(/^[A-Za-z/]+$/, "a CloudWatch unit such as 'Percent', 'Bytes' or 'Count'")),
      upperThreshold: required(threshold),
      lowerThreshold: required(threshold),
      breachDuration: duration(1, 600, 'minutes'),
    }, 'an object { metric, statistic, unit, upperThreshold, lowerThreshold, breachDuration? }'),
  }, 'an object { min?, max?, trigger? }'),
  managedUpdates: {
    accepted: updatesShape.accepted,
    validate(value, at) {
      if (value !== false) updatesShape.validate(value, at);
    },
  },
  monitoring: strictShape({ enhancedHealth: boolean, logRetention: retentionDays }, 'an object { enhancedHealth?, logRetention? }'),
  loadBalancer: instanceOf([BeanstalkLoadBalancer], 'BeanstalkLoadBalancer.dedicated(), BeanstalkLoadBalancer.shared(alb) or BeanstalkLoadBalancer.none()'),
  solutionStackName: string(undefined, `a solution stack name such as '${SOLUTION_STACK}'`),
  optionSettings: arrayOf(shape({
    namespace: required(string(NAMESPACE, "a Beanstalk namespace such as 'aws:autoscaling:asg'")),
    optionName: required(string(undefined, "an option name such as 'MinSize'")),
    value: required(string(undefined, "a string (option values are strings, e.g. 'true' or '3')")),
  }, 'an object { namespace, optionName, value }')),
};

/**
 * Tier 4: Elastic Beanstalk runs the app — a managed platform with managed updates — configured
 * through typed props instead of string option settings.
 *
 * An application, a version made from the server bundle (a source bundle whose prebuild hook
 * renders the database credentials from the secret with the instance profile, refreshed every 5
 * minutes, and whose Procfile starts the server with them), and a load-balanced environment in
 * the shared Network, wired to the shared Database.
 */
export class ManagedAutoScalingTier extends Construct implements IWebTier, ec2.IConnectable {
  public readonly application: elasticbeanstalk.CfnApplication;
  public readonly applicationVersion: elasticbeanstalk.CfnApplicationVersion;
  public readonly environment: elasticbeanstalk.CfnEnvironment;
  public readonly network: Network;
  public readonly database: IAppDatabase;
  /** A security group of the instances (Beanstalk adds its own); the database admits it. */
  public readonly securityGroup: ec2.SecurityGroup;
  public readonly connections: ec2.Connections;
  public readonly instanceRole: iam.Role;
  public readonly serviceRole: iam.Role;
  /** The load balancer's access logs (dedicated load balancer only). */
  public readonly accessLogBucket?: s3.Bucket;
  public readonly alarmTopic: sns.ITopic;
  /** Environment health, 5xx responses and p99 latency (with enhanced health). */
  public readonly alarms: cloudwatch.Alarm[];
  /** The option settings the environment got, typed and raw. */
  public readonly optionSettings: OptionSetting[];
  /** The URL users reach the app on. */
  public readonly url: string;
  /** The instance role: what the app runs as. */
  public readonly grantPrincipal: iam.IPrincipal;
  /** The group Beanstalk streams the app's output to (`web.stdout.log`). */
  public readonly appLogGroups: logs.ILogGroup[];
  public readonly outputs: { [name: string]: WebTierOutput };

  constructor(scope: Construct, id: string, props: ManagedAutoScalingTierProps) {
    // null, as jsii languages and JavaScript pass it for an omitted prop, counts as not given.
    props = withoutNulls(props);
    super(scope, id);
    checkSpec(this, props as unknown as Record<string, unknown>, MANAGED_AUTO_SCALING_SPEC);
    const lb = props.loadBalancer ?? BeanstalkLoadBalancer.dedicated();
    const { deployment, commandTimeout } = beanstalkDeploymentOf(this, props.deployment, lb, props.scaling?.min);
    const enhancedHealth = props.monitoring?.enhancedHealth ?? true;
    const managedUpdates = props.managedUpdates === false ? undefined : (props.managedUpdates ?? {});
    const { min, max, instanceTypes, arm64, logDays } = this.validate(props, lb, deployment, enhancedHealth, managedUpdates);
    const removalPolicy = props.removalPolicy ?? RemovalPolicy.SNAPSHOT;

    this.network = props.network ?? new Network(this, 'Network', { flowLogRetention: logDays, removalPolicy });
    checkDatabaseNetwork(this, props.database, this.network);
    this.checkRegions(props, lb);
    this.checkSharedLoadBalancerVpc(lb);
    this.database = props.database ?? new Database(this, 'Database', { network: this.network, removalPolicy, logRetention: logDays });
    this.alarmTopic = alarmTopic(this, props.alarms ?? undefined);

    this.securityGroup = new ec2.SecurityGroup(this, 'InstanceSecurityGroup', {
      vpc: this.network.vpc,
      description: `${this.node.path}: instances (database access); Beanstalk adds its own group for the load balancer`,
      allowAllOutbound: true,
    });
    this.connections = this.securityGroup.connections;

    this.instanceRole = new iam.Role(this, 'InstanceRole', {
      assumedBy: new iam.ServicePrincipal('ec2.amazonaws.com'),
      description: `Instance role of ${this.node.path}`,
      managedPolicies: [
        iam.ManagedPolicy.fromAwsManagedPolicyName('AWSElasticBeanstalkWebTier'),
        iam.ManagedPolicy.fromAwsManagedPolicyName('AmazonSSMManagedInstanceCore'),
      ],
    });
    this.database.allowFrom(this.securityGroup, this.instanceRole);
    const profile = new iam.CfnInstanceProfile(this, 'InstanceProfile', { roles: [this.instanceRole.roleName] });
    Validations.of(this.instanceRole).acknowledge(
      { id: 'AwsSolutions::AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/AWSElasticBeanstalkWebTier]', reason: "Beanstalk's instance agent needs it: log streaming and rotation to S3, health reporting, X-Ray; AWS keeps it in step with the platform." },
      { id: 'AwsSolutions::AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/AmazonSSMManagedInstanceCore]', reason: 'Session Manager replaces SSH; AWS maintains this policy as the minimum the SSM agent needs.' },
    );
    this.serviceRole = new iam.Role(this, 'ServiceRole', {
      assumedBy: new iam.ServicePrincipal('elasticbeanstalk.amazonaws.com', { conditions: { StringEquals: { 'sts:ExternalId': 'elasticbeanstalk' } } }),
      description: `Beanstalk service role of ${this.node.path}`,
      managedPolicies: [
        iam.ManagedPolicy.fromAwsManagedPolicyName('service-role/AWSElasticBeanstalkEnhancedHealth'),
        iam.ManagedPolicy.fromAwsManagedPolicyName('AWSElasticBeanstalkManagedUpdatesCustomerRolePolicy'),
      ],
    });
    Validations.of(this.serviceRole).acknowledge(
      { id: 'AwsSolutions::AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSElasticBeanstalkEnhancedHealth]', reason: 'Beanstalk reads instance and load balancer health with it; required for enhanced health.' },
      { id: 'AwsSolutions::AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/AWSElasticBeanstalkManagedUpdatesCustomerRolePolicy]', reason: 'Beanstalk applies managed platform updates with it; AWS scopes it to Beanstalk-owned resources.' },
    );

    this.application = new elasticbeanstalk.CfnApplication(this, 'Application', { description: `${this.node.path}: the web app` });
    const source = new Asset(this, 'SourceBundle', { path: beanstalkSourceBundle(props.app, this) });
    this.applicationVersion = new elasticbeanstalk.CfnApplicationVersion(this, 'Version', {
      applicationName: this.application.ref,
      sourceBundle: { s3Bucket: source.s3BucketName, s3Key: source.s3ObjectKey },
      description: 'The server bundle with its Procfile',
    });

    const settings = new Map<string, OptionSetting>();
    // A number passed through may be a deploy-time token: stringified as one, never as its encoded double.
    const set = (namespace: string, optionName: string, value: string | number | boolean) =>
      settings.set(`${namespace}|${optionName}`, { namespace, optionName, value: typeof value === 'number' ? Tokenization.stringifyNumber(value) : String(value) });
    const subnets = (selection: ec2.SubnetSelection) => this.network.vpc.selectSubnets(selection).subnetIds.join(',');

    // Network and instances
    set('aws:ec2:vpc', 'VPCId', this.network.vpc.vpcId);
    set('aws:ec2:instances', 'InstanceTypes', instanceTypes.map(String).join(','));
    set('aws:ec2:instances', 'SupportedArchitectures', arm64 ? 'arm64' : 'x86_64');
    set('aws:autoscaling:launchconfiguration', 'IamInstanceProfile', profile.ref);
    set('aws:autoscaling:launchconfiguration', 'SecurityGroups', this.securityGroup.securityGroupId);
    set('aws:autoscaling:launchconfiguration', 'DisableIMDSv1', true);
    set('aws:autoscaling:launchconfiguration', 'RootVolumeType', 'gp3');
    set('aws:autoscaling:launchconfiguration', 'MonitoringInterval', '1 minute');
    set('aws:autoscaling:asg', 'MinSize', min);
    set('aws:autoscaling:asg', 'MaxSize', max);
    set('aws:elasticbeanstalk:environment', 'ServiceRole', this.serviceRole.roleArn);
    set('aws:elasticbeanstalk:hostmanager', 'LogPublicationControl', true);

    if (lb.isNone) {
      set('aws:elasticbeanstalk:environment', 'EnvironmentType', 'SingleInstance');
      set('aws:ec2:vpc', 'Subnets', subnets(this.network.publicSubnets));
      set('aws:ec2:vpc', 'AssociatePublicIpAddress', true);
      warnSinglePointOfFailure(this, SinglePointOfFailure.BEANSTALK_SINGLE_INSTANCE,
        'ManagedAutoScalingTier without a load balancer runs one instance: a single point of failure, with downtime on every deploy.');
    } else {
      if (min === 1) {
        warnSinglePointOfFailure(this, SinglePointOfFailure.SINGLE_INSTANCE_GROUP,
          'ManagedAutoScalingTier with scaling.min 1 runs one instance whenever load is low: an instance or AZ failure stops the site ' +
          'until Beanstalk has replaced it. Use scaling.min 2 or more.');
      }
      set('aws:elasticbeanstalk:environment', 'EnvironmentType', 'LoadBalanced');
      set('aws:elasticbeanstalk:environment', 'LoadBalancerType', 'application');
      set('aws:ec2:vpc', 'Subnets', subnets(this.network.appSubnets));
      set('aws:ec2:vpc', 'ELBSubnets', subnets(this.network.publicSubnets));
      set('aws:ec2:vpc', 'ELBScheme', 'public');
      set('aws:ec2:vpc', 'AssociatePublicIpAddress', false);
      const process = 'aws:elasticbeanstalk:environment:process:default';
      set(process, 'Port', APP_PORT);
      set(process, 'Protocol', 'HTTP');
      set(process, 'HealthCheckPath', props.app.healthCheckPath);
      set(process, 'MatcherHTTPCode', '200');
      set(process, 'DeregistrationTimeout', 30);
      set(process, 'HealthCheckInterval', 15);
      if (lb.isShared) {
        set('aws:elasticbeanstalk:environment', 'LoadBalancerIsShared', true);
        set('aws:elbv2:loadbalancer', 'SharedLoadBalancer', lb.sharedLoadBalancer!.loadBalancerArn);
      } else {
        this.accessLogBucket = createAccessLogBucket(this, 'AccessLogs', 90, removalPolicy, 'alb');
        set('aws:elbv2:loadbalancer', 'AccessLogsS3Enabled', true);
        set('aws:elbv2:loadbalancer', 'AccessLogsS3Bucket', this.accessLogBucket.bucketName);
        set('aws:elbv2:loadbalancer', 'AccessLogsS3Prefix', 'alb');
        if (props.domain) {
          set('aws:elbv2:listener:443', 'ListenerEnabled', true);
          set('aws:elbv2:listener:443', 'Protocol', 'HTTPS');
          set('aws:elbv2:listener:443', 'SSLCertificateArns', domainCertificate(this, props.domain).certificateArn);
          set('aws:elbv2:listener:443', 'SSLPolicy', 'ELBSecurityPolicy-TLS13-1-2-2021-06');
          set('aws:elbv2:listener:default', 'ListenerEnabled', false);
        }
      }
    }

    // Scaling
    const trigger = props.scaling?.trigger ?? { metric: 'CPUUtilization', statistic: 'Average', unit: 'Percent', upperThreshold: 60, lowerThreshold: 25 };
    const breachMinutes = (trigger.breachDuration ?? Duration.minutes(5)).toMinutes();
    set('aws:autoscaling:trigger', 'MeasureName', trigger.metric);
    set('aws:autoscaling:trigger', 'Statistic', trigger.statistic);
    set('aws:autoscaling:trigger', 'Unit', trigger.unit);
    set('aws:autoscaling:trigger', 'UpperThreshold', trigger.upperThreshold);
    set('aws:autoscaling:trigger', 'LowerThreshold', trigger.lowerThreshold);
    set('aws:autoscaling:trigger', 'BreachDuration', breachMinutes);
    set('aws:autoscaling:trigger', 'Period', Math.min(5, breachMinutes));

    // Deployments: app versions by the policy, configuration changes by health-based rolling updates
    set('aws:elasticbeanstalk:command', 'DeploymentPolicy', deployment.policy);
    if (deployment.batchSize) {
      set('aws:elasticbeanstalk:command', 'BatchSizeType', deployment.batchSize.type);
      set('aws:elasticbeanstalk:command', 'BatchSize', deployment.batchSize.value);
    }
    if (deployment.isTrafficSplitting) {
      set('aws:elasticbeanstalk:trafficsplitting', 'NewVersionPercent', deployment.trafficPercent ?? 10);
      set('aws:elasticbeanstalk:trafficsplitting', 'EvaluationTime', (deployment.evaluationTime ?? Duration.minutes(5)).toMinutes());
    }
    if (commandTimeout !== undefined) set('aws:elasticbeanstalk:command', 'Timeout', commandTimeout);
    set('aws:autoscaling:updatepolicy:rollingupdate', 'RollingUpdateEnabled', !lb.isNone);
    if (!lb.isNone) set('aws:autoscaling:updatepolicy:rollingupdate', 'RollingUpdateType', 'Health');

    // Platform updates, health and logs
    set('aws:elasticbeanstalk:managedactions', 'ManagedActionsEnabled', Boolean(managedUpdates));
    if (managedUpdates) {
      set('aws:elasticbeanstalk:managedactions', 'PreferredStartTime', managedUpdates.window ?? 'Sun:03:00');
      set('aws:elasticbeanstalk:managedactions:platformupdate', 'UpdateLevel', managedUpdates.level ?? UpdateLevel.MINOR);
    } else {
      Validations.of(this).acknowledge({ id: 'AwsSolutions::AwsSolutions-EB3', reason: 'Managed platform updates are off by configuration (managedUpdates: false).' });
    }
    set('aws:elasticbeanstalk:healthreporting:system', 'SystemType', enhancedHealth ? 'enhanced' : 'basic');
    if (enhancedHealth) {
      set('aws:elasticbeanstalk:healthreporting:system', 'ConfigDocument', JSON.stringify({
        Version: 1,
        CloudWatchMetrics: { Environment: { EnvironmentHealth: 60, ApplicationRequests5xx: 60, ApplicationRequestsTotal: 60, ApplicationLatencyP99: 60 } },
      }));
    }
    set('aws:elasticbeanstalk:cloudwatch:logs', 'StreamLogs', true);
    set('aws:elasticbeanstalk:cloudwatch:logs', 'RetentionInDays', logDays);
    set('aws:elasticbeanstalk:cloudwatch:logs', 'DeleteOnTerminate', false);
    set('aws:elasticbeanstalk:cloudwatch:logs:health', 'HealthStreamingEnabled', enhancedHealth);
    if (enhancedHealth) set('aws:elasticbeanstalk:cloudwatch:logs:health', 'RetentionInDays', logDays);

    // The app's environment: the secret's ARN, never its value
    const env = 'aws:elasticbeanstalk:application:environment';
    for (const [name, value] of Object.entries(props.environment ?? {})) set(env, name, value);
    set(env, 'NODE_ENV', 'production');
    set(env, 'HEALTH_CHECK_PATH', props.app.healthCheckPath);
    set(env, 'DATABASE_SECRET_ARN', this.database.secret.secretArn);

    const raws = new Map<string, number>();
    for (const [i, raw] of (props.optionSettings ?? []).entries()) {
      const key = `${raw.namespace}|${raw.optionName}`;
      if (raws.has(key)) {
        throw new WebTiersValidationError(this, `optionSettings[${i}]`,
          `${raw.namespace} ${raw.optionName} repeats optionSettings[${raws.get(key)}]; accepted: each option once`);
      }
      if (raw.namespace === env && Object.prototype.hasOwnProperty.call(props.environment ?? {}, raw.optionName)) {
        throw new WebTiersValidationError(this, `optionSettings[${i}]`,
          `${raw.namespace} ${raw.optionName} is also in environment; accepted: each variable once (in environment)`);
      }
      if (settings.has(key)) {
        throw new WebTiersValidationError(this, `optionSettings[${i}]`,
          `${raw.namespace} ${raw.optionName} is set by a typed prop; accepted: options the typed props do not set`);
      }
      raws.set(key, i);
      settings.set(key, raw);
    }
    this.optionSettings = [...settings.values()];
    this.checkEnvironmentSize(this.optionSettings.filter((o) => o.namespace === env));

    // A pinned solution stack, or the platform version resolved at deploy time (never both).
    const solutionStackName = props.solutionStackName ?? undefined;
    const platformArn = solutionStackName === undefined ? new NodePlatform(this, 'Platform').platformArn : undefined;
    this.environment = new elasticbeanstalk.CfnEnvironment(this, 'Environment', {
      applicationName: this.application.ref,
      solutionStackName,
      platformArn,
      versionLabel: this.applicationVersion.ref,
      tier: { name: 'WebServer', type: 'Standard' },
      optionSettings: this.optionSettings,
      description: `${this.node.path}`.slice(0, 200),
    });
    if (props.domain) {
      // EndpointURL is the load balancer's DNS name. An alias would need that ALB's zone id, which the
      // environment does not return (aws-cdk-lib's ElasticBeanstalkEnvironmentEndpointTarget assumes
      // Beanstalk's own zone and needs a known region), so a CNAME; 5 minutes, as the name changes
      // when Beanstalk replaces the load balancer.
      new route53.CnameRecord(this, 'DnsRecord', {
        zone: props.domain.domainZone,
        recordName: `${props.domain.domainName}.`,
        domainName: this.environment.attrEndpointUrl,
        ttl: Duration.minutes(5),
      });
    }
    this.url = props.domain ? `https://${props.domain.domainName}` : `http://${this.environment.attrEndpointUrl}`;
    this.alarms = enhancedHealth ? this.createAlarms() : [];
    this.grantPrincipal = this.instanceRole.grantPrincipal;
    this.appLogGroups = [logs.LogGroup.fromLogGroupName(this, 'AppLogs', `/aws/elasticbeanstalk/${this.environment.ref}/var/log/web.stdout.log`)];
    this.outputs = {
      EnvironmentName: { value: this.environment.ref, description: 'The Beanstalk environment' },
      DatabaseSecretArn: { value: this.database.secret.secretArn, description: 'Connection JSON of the database' },
    };
    acknowledgeInherentFindings(this);
  }

  /** What the spec cannot say: how the props fit together. Types and ranges are checked by MANAGED_AUTO_SCALING_SPEC. */
  private validate(props: ManagedAutoScalingTierProps, lb: BeanstalkLoadBalancer, deployment: BeanstalkDeployment,
    enhancedHealth: boolean, managedUpdates: ManagedUpdates | undefined) {
    // A name given as a string (from JavaScript or a config file) is resolved to its type, architecture included.
    const instanceTypes = (props.instanceTypes ?? ['t4g.small']).map((t) => new ec2.InstanceType(String(t)));
    const arches = new Set(instanceTypes.map((t) => t.architecture));
    if (arches.size > 1) {
      throw new WebTiersValidationError(this, 'instanceTypes', `mixes architectures (${instanceTypes.join(', ')}); accepted: types of one architecture`);
    }
    const arm64 = instanceTypes[0].architecture === ec2.InstanceArchitecture.ARM_64;

    const s = props.scaling ?? {};
    const min = s.min ?? (lb.isNone ? 1 : 2);
    const max = s.max ?? (lb.isNone ? 1 : Math.max(4, min));
    if (min > max) throw new WebTiersValidationError(this, 'scaling', `min ${min} is above max ${max}; accepted: min ≤ max`);
    if (lb.isNone && max > 1) {
      throw new WebTiersValidationError(this, 'scaling.max', `is ${max} without a load balancer; accepted: 1 with BeanstalkLoadBalancer.none(), or a load balancer`);
    }
    const t = s.trigger;
    if (t && !Token.isUnresolved(t.lowerThreshold) && !Token.isUnresolved(t.upperThreshold) && !(t.upperThreshold > t.lowerThreshold)) {
      throw new WebTiersValidationError(this, 'scaling.trigger', `upperThreshold ${t.upperThreshold} and lowerThreshold ${t.lowerThreshold}; accepted: 0 ≤ lower < upper`);
    }

    if (deployment.needsLoadBalancer && lb.isNone) {
      throw new WebTiersValidationError(this, 'deployment', `${deployment.policy} needs a load-balanced environment; accepted on a single instance (BeanstalkLoadBalancer.none()): Deployment.allAtOnce(), BeanstalkDeployment.allAtOnce() or BeanstalkDeployment.immutable()`);
    }
    // BatchSize and BeanstalkDeployment check their own ranges; what depends on the group is checked here.
    const batch = deployment.batchSize;
    if (batch?.isFixed) checkIntegerRange(this, 'deployment.batchSize', batch.value, 1, max, `instances (scaling.max is ${max})`);
    checkWebTierDomain(this, props.domain);
    if (props.domain && (lb.isNone || lb.isShared)) {
      throw new WebTiersValidationError(this, 'domain',
        `needs the environment's own load balancer for HTTPS; got loadBalancer ${lb.isNone ? 'BeanstalkLoadBalancer.none()' : 'BeanstalkLoadBalancer.shared()'}; accepted: BeanstalkLoadBalancer.dedicated() (the default)`);
    }
    const zoneName = props.domain?.domainZone && zoneNameOf(props.domain.domainZone);
    if (props.domain && props.domain.domainName === zoneName) {
      throw new WebTiersValidationError(this, 'domain.domainName',
        `'${props.domain.domainName}' is the apex of its hosted zone, where a CNAME record cannot be; accepted: a subdomain such as 'app.${zoneName}'`);
    }

    if (managedUpdates && !enhancedHealth) {
      throw new WebTiersValidationError(this, 'managedUpdates', 'need enhanced health (monitoring.enhancedHealth: true); accepted: enhanced health, or managedUpdates: false');
    }
    // Null, as jsii languages pass an absent value, counts as not given.
    if (props.logRetention != null && props.monitoring?.logRetention != null) {
      throw new WebTiersValidationError(this, 'logRetention', 'and monitoring.logRetention are both given; accepted: one of them (logRetention, as on every tier)');
    }
    const logProp = props.logRetention != null ? 'logRetention' : 'monitoring.logRetention';
    const logDays = props.logRetention ?? props.monitoring?.logRetention ?? logs.RetentionDays.THREE_MONTHS;
    if (!BEANSTALK_LOG_DAYS.includes(logDays)) {
      throw new WebTiersValidationError(this, logProp, `${logDays} days; accepted by Beanstalk: ${BEANSTALK_LOG_DAYS.join(', ')}`);
    }

    const stack = props.solutionStackName ?? undefined;
    const match = stack === undefined || Token.isUnresolved(stack) ? undefined : SOLUTION_STACK_FORMAT.exec(stack);
    if (stack !== undefined && !Token.isUnresolved(stack) && (!match || Number(match[1]) < 20)) {
      throw new WebTiersValidationError(this, 'solutionStackName',
        `got '${stack}'; accepted: '64bit Amazon Linux 2023 vX.Y.Z running Node.js N' with N ≥ 20, such as '${SOLUTION_STACK}'`);
    }
    checkEnvironment(this, 'environment', props.environment, RESERVED_ENV);
    (props.optionSettings ?? []).forEach((o, i) => this.checkOptionName(`optionSettings[${i}].optionName`, o));
    return { min, max, instanceTypes, arm64, logDays };
  }

  /** An option name of the form its namespace takes, as AWS documents it. */
  private checkOptionName(prop: string, o: OptionSetting): void {
    const name = o.optionName;
    if (Token.isUnresolved(name)) return;
    const fail = (accepted: string) => {
      throw new WebTiersValidationError(this, prop, `got '${name}' in ${o.namespace}; accepted: ${accepted}`);
    };
    if (STATIC_FILES_NAMESPACE.test(o.namespace)) {
      if (!URL_PATH.test(name)) fail("the URL path the proxy serves the folder on, starting with '/', such as '/assets'");
    } else if (o.namespace === ENV_NAMESPACE) {
      if (!ENV_PROPERTY_NAME.test(name)) fail("an environment property name: letters, digits and _ . : / + \\ - @");
      if (RESERVED_ENV.includes(name)) fail(`a variable the tier does not set; reserved: ${RESERVED_ENV.join(', ')}`);
    } else if (o.namespace === CUSTOM_NAMESPACE) {
      // eslint-disable-next-line no-control-regex
      if (!/^[^\x00-\x1f]+$/.test(name)) fail('a name of your choice, without control characters');
    } else if (SPACED_OPTION_NAMESPACES.includes(o.namespace)) {
      if (!SPACED_OPTION_NAME.test(name)) fail("an option name such as 'Application Healthcheck URL'");
    } else if (!OPTION_NAME.test(name)) {
      fail(`an option name such as 'MinSize' (names with spaces only in ${SPACED_OPTION_NAMESPACES.join(', ')})`);
    }
  }

  /**
   * Imported resources in the stack's region, where ARNs or stacks tell (skipped when either region
   * is a deploy-time value): a load balancer serves only certificates of its own region, and an
   * environment reaches no VPC, load balancer or database of another region.
   */
  private checkRegions(props: ManagedAutoScalingTierProps, lb: BeanstalkLoadBalancer): void {
    const region = Stack.of(this).region;
    if (Token.isUnresolved(region)) return;
    const check = (prop: string, what: string, other: string | undefined, accepted: string) => {
      if (other !== undefined && !Token.isUnresolved(other) && other !== '' && other !== region) {
        throw new WebTiersValidationError(this, prop, `${what} is in ${other}, the stack in ${region}; accepted: ${accepted}`);
      }
    };
    const certificateArn = props.domain?.certificate?.certificateArn;
    check('domain.certificate', `the certificate '${certificateArn}'`, regionOfArn(certificateArn),
      `an ACM certificate in ${region}, the stack's region (a load balancer serves only certificates of its own region), or none for one created in the domain's zone`);
    if (props.network) {
      check('network', `its VPC ${describeVpc(props.network.vpc)}`, regionOfResource(props.network.vpc), `a Network in ${region}, the stack's region`);
    }
    if (props.database) {
      check('database', `its secret '${props.database.secret.secretArn}'`, regionOfArn(props.database.secret.secretArn), `a database in ${region}, the stack's region`);
    }
    const alb = lb.sharedLoadBalancer;
    if (alb) {
      const name = Token.isUnresolved(alb.loadBalancerArn) ? alb.node.path : `'${alb.loadBalancerArn}'`;
      check('loadBalancer', `the shared load balancer ${name}`, regionOfArn(alb.loadBalancerArn) ?? regionOfResource(alb),
        `an application load balancer in ${region}, the stack's region`);
    }
  }

  /**
   * A shared load balancer in the network's VPC, where that can be told at synth: both VPC ids
   * known, or both VPCs created in this app (different objects are different VPCs).
   */
  private checkSharedLoadBalancerVpc(lb: BeanstalkLoadBalancer): void {
    const alb = lb.sharedLoadBalancer;
    if (alb) {
      const vpc = this.network.vpc;
      const differs = alb.vpc !== undefined && alb.vpc !== vpc && (
        (!Token.isUnresolved(alb.vpc.vpcId) && !Token.isUnresolved(vpc.vpcId) && alb.vpc.vpcId !== vpc.vpcId) ||
        (alb.vpc instanceof ec2.Vpc && vpc instanceof ec2.Vpc));
      if (differs) {
        throw new WebTiersValidationError(this, 'loadBalancer',
          `the shared load balancer is in VPC ${describeVpc(alb.vpc!)}, the environment in ${describeVpc(vpc)}; accepted: a load balancer in the network's VPC`);
      }
    }
  }

  /**
   * Beanstalk's limit on environment properties: all of them, `key=value`, at most 4096 bytes. A
   * deploy-time value counts for its least (the secret's ARN for the shortest ARN, others for nothing),
   * so what fails here fails at deploy for sure.
   */
  private checkEnvironmentSize(properties: OptionSetting[]): void {
    let total = 0;
    let byTier = 0;
    let tokens = 0;
    for (const { optionName, value } of properties) {
      let bytes = Buffer.byteLength(`${optionName}=`);
      if (Token.isUnresolved(value)) {
        tokens++;
        if (optionName === 'DATABASE_SECRET_ARN') bytes += SECRET_ARN_MIN_LENGTH;
      } else {
        bytes += Buffer.byteLength(value);
      }
      total += bytes;
      if (TIER_ENV.includes(optionName)) byTier += bytes;
    }
    if (total > BEANSTALK_ENVIRONMENT_LIMIT) {
      throw new WebTiersValidationError(this, 'environment',
        `the environment properties come to ${total} bytes as key=value (${total - byTier} of yours, ${byTier} set by the tier: ${TIER_ENV.join(', ')}` +
        `${tokens ? `; ${tokens} deploy-time value${tokens > 1 ? 's' : ''} counted at ${tokens > 1 ? 'their' : 'its'} shortest` : ''}); ` +
        `accepted: at most ${BEANSTALK_ENVIRONMENT_LIMIT} bytes in all (Elastic Beanstalk's limit), so at most ${BEANSTALK_ENVIRONMENT_LIMIT - byTier} bytes ` +
        'of variables of your own (environment, and optionSettings in aws:elasticbeanstalk:application:environment); keep large values in a file or a secret');
    }
  }

  private createAlarms(): cloudwatch.Alarm[] {
    const metric = (metricName: string, statistic: string) => new cloudwatch.Metric({
      namespace: 'AWS/ElasticBeanstalk', metricName, statistic, period: Duration.minutes(1),
      dimensionsMap: { EnvironmentName: this.environment.ref },
    });
    return [
      new cloudwatch.Alarm(this, 'HealthAlarm', {
        alarmDescription: 'Environment health Degraded or Severe for 5 minutes.',
        metric: metric('EnvironmentHealth', 'Maximum'),
        threshold: 20, evaluationPeriods: 5,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        treatMissingData: cloudwatch.TreatMissingData.BREACHING,
      }),
      new cloudwatch.Alarm(this, 'ErrorRateAlarm', {
        alarmDescription: 'More than 5% of requests answered with a 5xx in 3 of the last 5 minutes.',
        metric: new cloudwatch.MathExpression({
          expression: 'IF(total > 0, 100 * FILL(errors, 0) / total, 0)',
          usingMetrics: { total: metric('ApplicationRequestsTotal', 'Sum'), errors: metric('ApplicationRequests5xx', 'Sum') },
          period: Duration.minutes(1),
          label: '5xx responses (%)',
        }),
        threshold: 5, evaluationPeriods: 5, datapointsToAlarm: 3,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      }),
      new cloudwatch.Alarm(this, 'LatencyAlarm', {
        alarmDescription: 'p99 latency above 2 seconds for 5 minutes.',
        metric: metric('ApplicationLatencyP99', 'Maximum'),
        threshold: 2, evaluationPeriods: 5,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      }),
    ].map((a) => notify(a, this.alarmTopic));
  }
}

/**
 * `deployment` on tier 4: a `BeanstalkDeployment` as it is, a `Deployment` mapped to the
 * Beanstalk policy that does the same, with the command timeout (seconds) a rolling one sets.
 */
function beanstalkDeploymentOf(scope: Construct, deployment: IDeployment | undefined, lb: BeanstalkLoadBalancer, scalingMin: number | undefined):
{ deployment: BeanstalkDeployment; commandTimeout?: number } {
  const tier = 'ManagedAutoScalingTier';
  // A single instance can only be replaced all at once (or immutably): Beanstalk rolls only load-balanced environments.
  if (deployment === undefined || deployment === null) return { deployment: lb.isNone ? BeanstalkDeployment.allAtOnce() : BeanstalkDeployment.rollingWithAdditionalBatch() };
  if (deployment instanceof BeanstalkDeployment) return { deployment };
  const accepted = lb.isNone
    ? 'Deployment.allAtOnce(), BeanstalkDeployment.allAtOnce() or BeanstalkDeployment.immutable() (BeanstalkLoadBalancer.none() runs one instance)'
    : 'Deployment.allAtOnce(), Deployment.rolling({ batchPercent, minHealthyPercent, timeout }), Deployment.canary({ percent, bake }) or a BeanstalkDeployment';
  if (!(deployment instanceof Deployment)) throw Deployment._unsupported(scope, tier, deployment, accepted);
  deployment._validate(scope, tier);
  switch (deployment.strategy) {
    case DeploymentStrategy.CANARY: {
      if (lb.isNone) {
        throw Deployment._unsupported(scope, tier, deployment, accepted,
          'traffic splitting starts new instances behind a load balancer, and BeanstalkLoadBalancer.none() has none');
      }
      // Beanstalk evaluates a traffic split for 3 to 600 minutes.
      const bake = deployment._minutes(scope, tier, 'bake', 3, 600) ?? 5;
      return { deployment: BeanstalkDeployment.trafficSplitting(deployment.percent, Duration.minutes(bake)) };
    }
    case DeploymentStrategy.ROLLING: {
      if (lb.isNone) {
        throw Deployment._unsupported(scope, tier, deployment, accepted, 'Beanstalk rolls only load-balanced environments; BeanstalkLoadBalancer.none() runs one instance');
      }
      const seconds = deployment.timeout?.toSeconds({ integral: false });
      if (seconds !== undefined && (!Number.isInteger(seconds) || seconds < 1 || seconds > 3600)) {
        throw new WebTiersValidationError(scope, 'deployment.timeout', `got ${seconds} seconds on ${tier}; accepted: whole seconds from 1 to 3600 (Beanstalk's command timeout)`);
      }
      const min = scalingMin ?? (lb.isNone ? 1 : 2);
      const batch = deployment.batchPercent === undefined ? BatchSize.fixed(1) : BatchSize.percent(deployment.batchPercent);
      // Rolling takes one batch out of service; with an additional batch, capacity never drops.
      const outOfService = deployment.batchPercent ?? 100 / min;
      const rolling = outOfService <= 100 - (deployment.minHealthyPercent ?? 100)
        ? BeanstalkDeployment.rolling(batch) : BeanstalkDeployment.rollingWithAdditionalBatch(batch);
      return { deployment: rolling, commandTimeout: seconds };
    }
    default:
      return { deployment: BeanstalkDeployment.allAtOnce() };
  }
}

