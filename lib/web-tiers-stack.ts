import { Annotations, Aspects, CfnOutput, type CfnResource, type Duration, RemovalPolicy, Size, Stack, type StackProps, Tags } from 'aws-cdk-lib';
import { StackExpiry } from '../constructs/shared/stack-expiry';
import * as acm from 'aws-cdk-lib/aws-certificatemanager';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as route53 from 'aws-cdk-lib/aws-route53';
import type { Construct } from 'constructs';
import { AutoScalingTier } from '../constructs/auto-scaling';
import { BeanstalkDeployment, ManagedAutoScalingTier } from '../constructs/managed-auto-scaling';
import { ManagedServerlessTier } from '../constructs/managed-serverless';
import { ServerlessTier } from '../constructs/serverless';
import { AppFunction, ServerlessDeployment } from '../constructs/shared/app-function';
import { HybridRouter } from '../constructs/hybrid';
import type { ServerFleetTier } from '../constructs/shared/server-fleet';
import { LoadBalancedTier } from '../constructs/load-balanced';
import { Database, DatabaseEngine } from '../constructs/shared/database';
import { Network } from '../constructs/shared/network';
import { StatefulDataGuard, logicalIdAt } from '../constructs/shared/stateful';
import type { ServerFleetProps } from '../constructs/shared/server-fleet';
import type { WebApp } from '../constructs/shared/web-app';
import type { IWebTier, WebTierDomain } from '../constructs/shared/web-tier';
import { SingleInstanceTier } from '../constructs/single-instance';
import { CostBudget } from './cost/budget';
import { addOperatorOutputs } from './ops/outputs';
import { checkEnvironmentConfig, type DataRetention, type EnvironmentConfig, type TierName } from './config';

export interface WebTiersStackProps extends StackProps {
  /** Environment name, e.g. 'prod'. */
  readonly environmentName: string;
  readonly config: EnvironmentConfig;
  readonly app: WebApp;
  /** Static files served by the managed-serverless tier under /assets/. */
  readonly assets?: string;
  /** A preview of another environment: tagged as such, and deleted `maxAge` after its last deploy. */
  readonly preview?: PreviewStage;
}

/** What makes a stack a preview. */
export interface PreviewStage {
  /** The environment it copies. */
  readonly of: string;
  readonly maxAge: Duration;
  /** The time its age counts from. @default now, at synth */
  readonly now?: Date;
}

const REMOVAL: Record<DataRetention, RemovalPolicy> = {
  destroy: RemovalPolicy.DESTROY,
  snapshot: RemovalPolicy.SNAPSHOT,
  retain: RemovalPolicy.RETAIN,
};

/** One environment: the configured tier running the app, and its outputs. */
/**
 * What the tier builders share: the stack's settings, and the network, database and certificate,
 * each made on first use (only the tiers that run in a VPC make a network).
 */
interface TierContext {
  readonly stack: WebTiersStack;
  readonly props: WebTiersStackProps;
  readonly config: EnvironmentConfig;
  readonly removalPolicy: RemovalPolicy;
  readonly instanceType?: ec2.InstanceType;
  /** The environment's domain, the same prop on every tier. */
  readonly domain?: WebTierDomain;
  readonly alarms: { readonly email?: string };
  network(): Network;
  database(): Database;
}

/** Tier 2 and 3 props, from the environment. */
function fleetProps(c: TierContext): ServerFleetProps {
  return {
    app: c.props.app,
    domain: c.domain,
    network: c.network(),
    database: c.database(),
    instanceType: c.instanceType,
    removalPolicy: c.removalPolicy,
    logRetention: c.config.retention.logs,
    alarms: c.alarms,
  };
}

/** Tier 5 and 6 props, from the environment: on the environment's database unless its store is DynamoDB. */
function serverlessProps(c: TierContext) {
  return {
    app: c.props.app,
    database: c.config.store === 'dynamodb' ? undefined : c.database(),
    domain: c.domain,
    function: c.config.lambda,
    deployment: c.removalPolicy === RemovalPolicy.DESTROY ? ServerlessDeployment.allAtOnce() : ServerlessDeployment.canary(10, 5),
    removalPolicy: c.removalPolicy,
    logRetention: c.config.retention.logs,
    alarms: c.alarms,
  };
}

/**
 * How each tier is built from an environment's config. checkEnvironmentConfig has made sure every
 * tier gets each piece its domain needs; the tiers check again.
 */
const TIER_BUILDERS: Readonly<Record<TierName, (c: TierContext) => IWebTier>> = {
  'single-instance': (c) => new SingleInstanceTier(c.stack, 'Web', {
    app: c.props.app,
    instanceType: c.instanceType,
    dataVolumeSize: c.config.dataVolumeGiB !== undefined ? Size.gibibytes(c.config.dataVolumeGiB) : undefined,
    snapshotRetention: c.config.retention.backupDays,
    removalPolicy: c.removalPolicy,
    logRetention: c.config.retention.logs,
    domain: c.domain,
    alarms: c.alarms,
  }),
  'load-balanced': (c) => new LoadBalancedTier(c.stack, 'Web', { ...fleetProps(c), instanceCount: c.config.capacity?.min }),
  'auto-scaling': (c) => new AutoScalingTier(c.stack, 'Web', { ...fleetProps(c), capacity: c.config.capacity, scaleOn: c.config.scaleOn }),
  'managed-auto-scaling': (c) => new ManagedAutoScalingTier(c.stack, 'Web', {
    app: c.props.app,
    network: c.network(),
    database: c.database(),
    instanceTypes: c.instanceType ? [c.instanceType] : undefined,
    scaling: c.config.capacity && { min: c.config.capacity.min, max: c.config.capacity.max },
    deployment: c.removalPolicy === RemovalPolicy.DESTROY ? BeanstalkDeployment.allAtOnce() : BeanstalkDeployment.rollingWithAdditionalBatch(),
    domain: c.domain,
    logRetention: c.config.retention.logs,
    removalPolicy: c.removalPolicy,
    alarms: c.alarms,
  }),
  'serverless': (c) => new ServerlessTier(c.stack, 'Web', serverlessProps(c)),
  'managed-serverless': (c) => new ManagedServerlessTier(c.stack, 'Web', { ...serverlessProps(c), assets: c.props.assets }),
};

/** One environment: the configured tier running the app, and its outputs. */
export class WebTiersStack extends Stack {
  /** The tier running the app. */
  public readonly tier: IWebTier;
  private readonly zones?: string[];

  constructor(scope: Construct, id: string, props: WebTiersStackProps) {
    checkEnvironmentConfig(props.environmentName, props.config);
    const { config } = props;
    super(scope, id, {
      ...props,
      env: config.account ? { account: config.account, region: config.region } : props.env,
      terminationProtection: config.retention.data !== 'destroy',
      description: `cdk-web-tiers: the web app on the ${config.tier} tier (${props.environmentName})`,
    });
    this.zones = config.availabilityZones;
    // Outside development a deploy must never lose data: synth fails if anything would.
    if (config.retention.data !== 'destroy') Aspects.of(this).add(new StatefulDataGuard());
    // The single points of failure the environment accepts, with its reasons (checked above).
    for (const [id, reason] of Object.entries(config.acknowledge ?? {})) Annotations.of(this).acknowledgeWarning(id, reason);

    const removalPolicy = REMOVAL[config.retention.data];
    const once = <T>(make: () => T): (() => T) => {
      let made: T | undefined;
      return () => (made ??= make());
    };
    const network = once(() => new Network(this, 'Network', {
      egress: config.egress,
      maxAzs: config.availabilityZones ? Math.min(3, config.availabilityZones.length) : undefined,
      flowLogRetention: config.retention.logs,
      removalPolicy,
    }));
    const context: TierContext = {
      stack: this,
      props,
      config,
      removalPolicy,
      instanceType: config.instanceType ? new ec2.InstanceType(config.instanceType) : undefined,
      // checkEnvironmentConfig has made sure a domain has its zone.
      domain: config.domain && {
        domainName: config.domain.name,
        domainZone: route53.HostedZone.fromHostedZoneAttributes(this, 'Zone', {
          hostedZoneId: config.domain.hostedZoneId!,
          zoneName: config.domain.hostedZoneName ?? config.domain.name,
        }),
        certificate: config.domain.certificateArn ? acm.Certificate.fromCertificateArn(this, 'Certificate', config.domain.certificateArn) : undefined,
      },
      alarms: { email: config.alarmEmail },
      network,
      database: once(() => new Database(this, 'Database', {
        network: network(),
        engine: config.database?.serverless ? DatabaseEngine.auroraServerless(config.database.serverless) : undefined,
        instanceType: config.database?.instanceType ? new ec2.InstanceType(config.database.instanceType) : undefined,
        multiAz: config.database?.multiAz,
        rotation: config.database?.rotation,
        backupRetentionDays: Math.min(35, config.retention.backupDays),
        removalPolicy,
        logRetention: config.retention.logs,
      })),
    };
    this.tier = TIER_BUILDERS[config.tier](context);
    if (config.hybrid) this.addHybrid(context, this.tier as ServerFleetTier);

    // A load balancer's record was this stack's own before the tier made it: keeping its logical
    // id updates it in place, where a new id would collide with the existing record.
    const record = this.tier.node.tryFindChild('LoadBalancer')?.node.tryFindChild('DnsRecord')?.node.defaultChild as CfnResource | undefined;
    record?.overrideLogicalId(logicalIdAt(this.stackName, ['DnsRecord', 'Resource']));

    if (props.preview) {
      // Every resource says which preview it belongs to (and so what to clean up, or bill to).
      Tags.of(this).add('web-tiers:stage', props.environmentName);
      Tags.of(this).add('web-tiers:preview-of', props.preview.of);
      const expiry = new StackExpiry(this, 'Expiry', { after: props.preview.maxAge, now: props.preview.now });
      new CfnOutput(this, 'ExpiresAt', { value: expiry.expiresAt.toISOString(), description: 'When this preview deletes itself (UTC)' });
    }

    if (config.budget) {
      new CostBudget(this, 'Budget', { ...config.budget, topic: this.tier.alarmTopic, pricingRegion: config.region });
    }

    new CfnOutput(this, 'Url', { value: this.tier.url, description: 'Where the app answers' });
    for (const [name, output] of Object.entries(this.tier.outputs)) new CfnOutput(this, name, output);
    addOperatorOutputs(this, this.tier, props.app);
  }

  /**
   * The app's lambda bundle on the environment's database, taking `hybrid.weight` percent of the
   * requests matching `hybrid.paths` at the server tier's load balancer; its own alarms roll the
   * router back as well as the router's.
   */
  private addHybrid(c: TierContext, server: ServerFleetTier): void {
    const fn = new AppFunction(this, 'Hybrid', {
      ...serverlessProps(c).function,
      app: c.props.app,
      database: c.database(),
      deployment: serverlessProps(c).deployment,
      logRetention: c.config.retention.logs,
      removalPolicy: c.removalPolicy,
      alarmTopic: server.alarmTopic,
      propPath: 'hybrid',
      // Environments keep the load balancer's default idle timeout.
      callerTimeout: { seconds: 60, prop: "the load balancer's idle timeout (60 s)" },
    });
    new HybridRouter(this, 'Router', { server, function: fn.alias, paths: c.config.hybrid!.paths, weight: c.config.hybrid!.weight, rollbackAlarms: fn.alarms, logRetention: c.config.retention.logs });
  }

  /** The configured zones when the environment names them, so synthesis never looks them up. */
  public get availabilityZones(): string[] {
    return this.zones ?? super.availabilityZones;
  }
}
