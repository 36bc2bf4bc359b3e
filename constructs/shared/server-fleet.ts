import { Duration, RemovalPolicy, Stack, Token } from 'aws-cdk-lib';
import type * as acm from 'aws-cdk-lib/aws-certificatemanager';
import type * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import type * as elbv2 from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import type * as iam from 'aws-cdk-lib/aws-iam';
import * as logs from 'aws-cdk-lib/aws-logs';
import type * as sns from 'aws-cdk-lib/aws-sns';
import { Construct, type IConstruct } from 'constructs';
import { alarmTopic } from './alarms';
import { appDatabase, checkSpec, instanceType as anInstanceType, integer, literal, machineImage, network, satisfies, shape, type Spec } from './checks';
import { acknowledgeInherentFindings } from './compliance';
import { Database, checkDatabaseNetwork, type IAppDatabase } from './database';
import { LOAD_BALANCER_SPEC, WebLoadBalancer, keepAliveFor, type LoadBalancerOptions } from './load-balancer';
import { Network } from './network';
import { checkSameRegion, regionOfArn, regionOfEnv } from './regions';
import { createServerRole, hostAssets, type ServerBootstrapOptions } from './server-bootstrap';
import { WebTiersValidationError, checkEnvironment, checkMovedProps, withoutSnapshot } from './validation';
import { WEB_TIER_SPEC, checkWebTierDomain, domainCertificate, type IWebTier, type WebTierOutput, type WebTierProps } from './web-tier';

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
   * The machine image; when its architecture is known (an SSM parameter naming arm64 or
   * x86_64), it must be the instance type's.
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
 * The runtime checks of the props every load-balanced server tier takes ({@link ServerFleetProps}),
 * spread into each tier's own spec. `deployment` is checked by each tier, which knows what it takes.
 */
export const SERVER_FLEET_SPEC: Spec = {
  ...WEB_TIER_SPEC,
  network,
  database: appDatabase,
  instanceType: anInstanceType,
  machineImage,
  loadBalancer: shape(LOAD_BALANCER_SPEC, 'an object { deregistrationDelay?, accessLogDays?, idleTimeout? }'),
};

/**
 * The fields of a {@link Deployment} the server tiers compute with (batch sizes from the
 * percentages, the signal timeout in whole minutes): known at synth, the timeout a Duration. Their
 * ranges are `Deployment`'s own checks, which name the tier.
 */
export const FLEET_DEPLOYMENT_SPEC: Spec = {
  batchPercent: literal(integer(1, 100, 'percent')),
  minHealthyPercent: literal(integer(0, 100, 'percent')),
  timeout: satisfies((v) => v instanceof Duration && !v.isUnresolved(),
    'a Duration of whole minutes from 1 to 60 (e.g. Duration.minutes(15)), known at synth'),
};

/**
 * Validates the shared props and builds what every load-balanced server tier has: the
 * network and database (created when not given), a security-group chain
 * ALB → instances → database, log groups, the bundle asset, the instance role, the load
 * balancer and the alarm topic.
 */
export function buildServerFleet(scope: Construct, props: ServerFleetProps, autoScaling: boolean): ServerFleet {
  checkSpec(scope, props as unknown as Record<string, unknown>, SERVER_FLEET_SPEC);
  // A name given as a string (from JavaScript or a config file) gets the image of its architecture too.
  const instanceType = new ec2.InstanceType(String(props.instanceType ?? 't4g.small'));
  checkEnvironment(scope, 'environment', props.environment, RESERVED_ENV);
  checkMovedProps(scope, props.loadBalancer, 'loadBalancer', {
    certificate: 'domain.certificate', domainName: 'domain.domainName', hostedZone: 'domain.domainZone',
  });
  checkWebTierDomain(scope, props.domain);
  checkCertificateRegion(scope, props.domain?.certificate);
  checkImageArchitecture(scope, props.machineImage, instanceType);
  if (props.network) {
    checkSameRegion(scope, 'network', `a Network (${props.network.node.path})`,
      [Stack.of(props.network).region, regionOfEnv(props.network.vpc)], 'a Network whose VPC is');
  }
  const removalPolicy = props.removalPolicy ?? RemovalPolicy.SNAPSHOT;
  const logRetention = props.logRetention ?? logs.RetentionDays.THREE_MONTHS;

  const network = props.network ?? new Network(scope, 'Network', { flowLogRetention: logRetention, removalPolicy });
  const zones = network.availabilityZoneCount;
  if (zones !== undefined && zones < 2) {
    throw new WebTiersValidationError(scope, 'network', `spans ${zones} availability zone; accepted: app subnets in at least 2 zones`);
  }
  if (props.database) checkDatabaseFits(scope, props.database, network);
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

/** The load balancer's certificate: an ALB takes certificates of its own region only. */
function checkCertificateRegion(scope: IConstruct, certificate: acm.ICertificate | undefined): void {
  if (!certificate) return;
  const arn = certificate.certificateArn;
  checkSameRegion(scope, 'domain.certificate', Token.isUnresolved(arn) ? 'a certificate' : `the certificate '${arn}'`,
    [regionOfArn(arn), Construct.isConstruct(certificate) ? Stack.of(certificate).region : undefined],
    'an ACM certificate of the load balancer\'s region (an ALB takes no certificate from another region)');
}

/** The database: in the tier's region and in the network's VPC, as far as synth can tell. */
function checkDatabaseFits(scope: IConstruct, database: IAppDatabase, network: Network): void {
  checkSameRegion(scope, 'database', 'a database',
    [Construct.isConstruct(database) ? Stack.of(database).region : undefined, regionOfEnv(database.vpc), regionOfArn(database.secret.secretArn)],
    'a database');
  checkDatabaseNetwork(scope as Construct, database, network);
}

/**
 * The architecture an image reveals, with the SSM parameter that tells it (`…-arm64`, `…-x86_64`).
 * Generic SSM images expose the name; aws-cdk-lib's Amazon Linux images keep it in their props,
 * read here defensively. Undefined when the image does not tell (an AMI id, a lookup).
 */
function imageArchitecture(image: ec2.IMachineImage): { architecture: ec2.InstanceArchitecture; parameterName: string } | undefined {
  const holder = image as { parameterName?: unknown; props?: { parameterName?: unknown } };
  const parameterName = holder.parameterName ?? (typeof holder.props === 'object' && holder.props !== null ? holder.props.parameterName : undefined);
  if (typeof parameterName !== 'string' || Token.isUnresolved(parameterName)) return undefined;
  if (/(^|[^a-z0-9])(arm64|aarch64)([^a-z0-9]|$)/i.test(parameterName)) return { architecture: ec2.InstanceArchitecture.ARM_64, parameterName };
  if (/(^|[^a-z0-9])(x86_64|amd64)([^a-z0-9]|$)/i.test(parameterName)) return { architecture: ec2.InstanceArchitecture.X86_64, parameterName };
  return undefined;
}

/** An image of the instance type's architecture: an x86_64 image does not boot on Graviton, nor arm64 on x86. */
export function checkImageArchitecture(scope: IConstruct, image: ec2.IMachineImage | undefined, instanceType: ec2.InstanceType): void {
  const found = image && imageArchitecture(image);
  const wanted = instanceType.architecture;
  if (!found || found.architecture === wanted) return;
  const cpuType = wanted === ec2.InstanceArchitecture.ARM_64 ? 'ARM_64' : 'X86_64';
  throw new WebTiersValidationError(scope, 'machineImage',
    `got an ${found.architecture} image ('${found.parameterName}'), but instanceType '${instanceType}' is ${wanted}; ` +
    `accepted: an ${wanted} image (e.g. ec2.MachineImage.latestAmazonLinux2023({ cpuType: ec2.AmazonLinuxCpuType.${cpuType} })), ` +
    "or no machineImage (Amazon Linux 2023 for the instance type's architecture)");
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
  /** The load balancer's listener that serves the app (HTTPS with a domain, else HTTP); its default action forwards to `targetGroup`. */
  public readonly listener: elbv2.ApplicationListener;
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
    this.listener = fleet.web.listener;
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
