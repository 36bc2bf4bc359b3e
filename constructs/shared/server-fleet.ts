import { RemovalPolicy } from 'aws-cdk-lib';
import type * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import type * as elbv2 from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import type * as iam from 'aws-cdk-lib/aws-iam';
import * as logs from 'aws-cdk-lib/aws-logs';
import type * as sns from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';
import { alarmTopic } from './alarms';
import { acknowledgeInherentFindings } from './compliance';
import { Database, checkDatabaseNetwork, type IAppDatabase } from './database';
import { WebLoadBalancer, checkLoadBalancerOptions, keepAliveFor, type LoadBalancerOptions } from './load-balancer';
import { Network } from './network';
import { createServerRole, hostAssets, type ServerBootstrapOptions } from './server-bootstrap';
import { WebTiersValidationError, checkEnvironment, checkInstanceType, checkMovedProps, withoutSnapshot } from './validation';
import { checkWebTierDomain, domainCertificate, type IWebTier, type WebTierOutput, type WebTierProps } from './web-tier';

/** Props every load-balanced server tier shares. */
export interface ServerFleetProps extends WebTierProps {
  /**
   * The network; instances go in its app subnets, the load balancer in its public ones.
   * @default - a new Network: 2 AZs, one NAT gateway
   */
  readonly network?: Network;
  /**
   * The database the app uses; it must be in `network`'s VPC.
   * @default - a new Database (RDS PostgreSQL, Multi-AZ t4g.micro) in the network
   */
  readonly database?: IAppDatabase;
  /**
   * Instance type. Graviton (`*g.*`) types get an arm64 image, others x86_64.
   * @default t4g.small
   */
  readonly instanceType?: ec2.InstanceType;
  /**
   * The machine image.
   * @default - latest Amazon Linux 2023 for the instance type's architecture
   */
  readonly machineImage?: ec2.IMachineImage;
  /**
   * Deregistration delay, access-log retention and idle timeout of the load balancer.
   * @default - 30 s deregistration delay, 90 days of access logs, 60 s idle timeout
   */
  readonly loadBalancer?: LoadBalancerOptions;
}

/** What {@link buildServerFleet} made. */
export interface ServerFleet {
  readonly network: Network;
  readonly database: IAppDatabase;
  readonly securityGroup: ec2.SecurityGroup;
  readonly role: iam.Role;
  readonly web: WebLoadBalancer;
  readonly alarmTopic: sns.ITopic;
  readonly appLogGroup: logs.LogGroup;
  readonly instanceType: ec2.InstanceType;
  readonly arm64: boolean;
  /** Bootstrap inputs (the hosts signal CloudFormation once healthy). */
  readonly bootstrap: ServerBootstrapOptions;
}

/** The port the app listens on behind a load balancer. */
export const APP_PORT = 8080;
const RESERVED_ENV = ['PORT', 'HOST', 'HEALTH_CHECK_PATH', 'DATABASE_URL', 'NODE_ENV', 'NODE_EXTRA_CA_CERTS', 'KEEP_ALIVE_TIMEOUT_MS'];

/**
 * Validates the shared props and builds what every load-balanced server tier has: the
 * network and database (created when not given), a security-group chain
 * ALB → instances → database, log groups, the bundle asset, the instance role, the load
 * balancer and the alarm topic.
 */
export function buildServerFleet(scope: Construct, props: ServerFleetProps, autoScaling: boolean): ServerFleet {
  const instanceType = props.instanceType ?? new ec2.InstanceType('t4g.small');
  checkInstanceType(scope, 'instanceType', instanceType);
  checkEnvironment(scope, 'environment', props.environment, RESERVED_ENV);
  checkLoadBalancerOptions(scope, props.loadBalancer);
  checkMovedProps(scope, props.loadBalancer, 'loadBalancer', {
    certificate: 'domain.certificate', domainName: 'domain.domainName', hostedZone: 'domain.domainZone',
  });
  checkWebTierDomain(scope, props.domain);
  const removalPolicy = props.removalPolicy ?? RemovalPolicy.SNAPSHOT;
  const logRetention = props.logRetention ?? logs.RetentionDays.THREE_MONTHS;

  const network = props.network ?? new Network(scope, 'Network', { flowLogRetention: logRetention, removalPolicy });
  const zones = network.availabilityZoneCount;
  if (zones !== undefined && zones < 2) {
    throw new WebTiersValidationError(scope, 'network', `spans ${zones} availability zone; accepted: app subnets in at least 2 zones`);
  }
  checkDatabaseNetwork(scope, props.database, network);
  const database = props.database ?? new Database(scope, 'Database', { network, removalPolicy, logRetention });

  const securityGroup = new ec2.SecurityGroup(scope, 'InstanceSecurityGroup', {
    vpc: network.vpc,
    description: `${scope.node.path}: app port from the load balancer only`,
    allowAllOutbound: false,
  });
  // HTTPS out for AWS APIs and package repositories (S3 stays inside through its gateway endpoint).
  securityGroup.addEgressRule(ec2.Peer.anyIpv4(), ec2.Port.tcp(443), 'HTTPS to AWS APIs and package repositories');

  const logRemoval = withoutSnapshot(removalPolicy);
  const appLogGroup = new logs.LogGroup(scope, 'AppLogs', { retention: logRetention, removalPolicy: logRemoval });
  const systemLogGroup = new logs.LogGroup(scope, 'SystemLogs', { retention: logRetention, removalPolicy: logRemoval });
  const arm64 = instanceType.architecture === ec2.InstanceArchitecture.ARM_64;
  const bootstrap: ServerBootstrapOptions = {
    ...hostAssets(scope, props.app, true),
    port: APP_PORT,
    host: '0.0.0.0',
    healthCheckPath: props.app.healthCheckPath,
    environment: { ...props.environment, KEEP_ALIVE_TIMEOUT_MS: String(keepAliveFor(props.loadBalancer?.idleTimeout).toMilliseconds()) },
    appLogGroup,
    systemLogGroup,
    arm64,
    databaseSecret: database.secret,
    autoScaling,
    // Instances signal the resource their logical-id tag names; a group sets its own id.
    signal: 'tag',
  };
  const role = createServerRole(scope, 'InstanceRole', bootstrap);
  database.allowFrom(securityGroup, role);

  const topic = alarmTopic(scope, props.alarms);
  const web = new WebLoadBalancer(scope, 'LoadBalancer', {
    ...props.loadBalancer,
    domain: props.domain && { domainName: props.domain.domainName, hostedZone: props.domain.domainZone, certificate: domainCertificate(scope, props.domain) },
    network,
    targetPort: APP_PORT,
    healthCheckPath: props.app.healthCheckPath,
    alarmTopic: topic,
    removalPolicy,
  });
  web.loadBalancer.connections.allowTo(securityGroup, ec2.Port.tcp(APP_PORT), 'Load balancer to the app');

  return { network, database, securityGroup, role, web, alarmTopic: topic, appLogGroup, instanceType, arm64, bootstrap };
}

/** A tier's own prop checks, run before the fleet is built (errors name the tier's path). */
export interface IFleetPropsCheck {
  /** Throws a WebTiersValidationError for the first invalid tier-specific prop. */
  checkProps(tier: Construct): void;
}

/**
 * What the load-balanced server tiers expose in common. Holds fields only: each tier builds
 * its instances itself.
 */
export abstract class ServerFleetTier extends Construct implements IWebTier, ec2.IConnectable {
  /** The network the tier runs in. */
  public readonly network: Network;
  /** The database the app uses. */
  public readonly database: IAppDatabase;
  public readonly loadBalancer: elbv2.ApplicationLoadBalancer;
  public readonly targetGroup: elbv2.ApplicationTargetGroup;
  /** The instances' security group: the app port from the load balancer only. */
  public readonly securityGroup: ec2.SecurityGroup;
  public readonly connections: ec2.Connections;
  public readonly role: iam.IRole;
  public readonly alarmTopic: sns.ITopic;
  /** 5xx rate, p99 latency and unhealthy hosts (plus what the tier adds). */
  public readonly alarms: cloudwatch.Alarm[];
  /** The app's log group (its stdout and stderr). */
  public readonly appLogGroup: logs.LogGroup;
  /** The URL users reach the app on: `https://<loadBalancer.domainName>`, else the load balancer's DNS name over HTTP. */
  public readonly url: string;
  /** The instance role: what the app runs as. */
  public readonly grantPrincipal: iam.IPrincipal;
  public readonly appLogGroups: logs.ILogGroup[];
  public readonly outputs: { [name: string]: WebTierOutput };
  /**
   * What the tier's instances are built from.
   * @internal
   */
  protected readonly _fleet: ServerFleet;

  protected constructor(scope: Construct, id: string, props: ServerFleetProps, autoScaling: boolean, check: IFleetPropsCheck) {
    super(scope, id);
    check.checkProps(this);
    const fleet = buildServerFleet(this, props, autoScaling);
    this._fleet = fleet;
    this.network = fleet.network;
    this.database = fleet.database;
    this.securityGroup = fleet.securityGroup;
    this.connections = fleet.securityGroup.connections;
    this.role = fleet.role;
    this.alarmTopic = fleet.alarmTopic;
    this.appLogGroup = fleet.appLogGroup;
    this.loadBalancer = fleet.web.loadBalancer;
    this.targetGroup = fleet.web.targetGroup;
    this.alarms = [...fleet.web.alarms];
    this.url = fleet.web.url;
    this.grantPrincipal = fleet.role.grantPrincipal;
    this.appLogGroups = [fleet.appLogGroup];
    this.outputs = {
      LoadBalancerDns: { value: this.loadBalancer.loadBalancerDnsName, description: 'Point DNS here (alias)' },
      DatabaseSecretArn: { value: this.database.secret.secretArn, description: 'Connection JSON of the database' },
    };
    acknowledgeInherentFindings(this);
  }
}
