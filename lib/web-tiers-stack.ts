import { Aspects, CfnOutput, type CfnResource, RemovalPolicy, Size, Stack, type StackProps } from 'aws-cdk-lib';
import * as acm from 'aws-cdk-lib/aws-certificatemanager';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as route53 from 'aws-cdk-lib/aws-route53';
import type { Construct } from 'constructs';
import { AutoScalingTier } from '../constructs/auto-scaling';
import { BeanstalkDeployment, BeanstalkLoadBalancer, ManagedAutoScalingTier } from '../constructs/managed-auto-scaling';
import { ManagedServerlessTier } from '../constructs/managed-serverless';
import { ServerlessTier } from '../constructs/serverless';
import { ServerlessDeployment } from '../constructs/shared/app-function';
import { LoadBalancedTier } from '../constructs/load-balanced';
import { Database } from '../constructs/shared/database';
import { Network } from '../constructs/shared/network';
import { StatefulDataGuard, logicalIdAt } from '../constructs/shared/stateful';
import type { ServerFleetProps } from '../constructs/shared/server-fleet';
import type { WebApp } from '../constructs/shared/web-app';
import { SingleInstanceTier } from '../constructs/single-instance';
import { checkEnvironmentConfig, type DataRetention, type EnvironmentConfig } from './config';

export interface WebTiersStackProps extends StackProps {
  /** Environment name, e.g. 'prod'. */
  readonly environmentName: string;
  readonly config: EnvironmentConfig;
  readonly app: WebApp;
  /** Static files served by the managed-serverless tier under /assets/. */
  readonly assets?: string;
}

const REMOVAL: Record<DataRetention, RemovalPolicy> = {
  destroy: RemovalPolicy.DESTROY,
  snapshot: RemovalPolicy.SNAPSHOT,
  retain: RemovalPolicy.RETAIN,
};

/** One environment: the configured tier running the app, and its outputs. */
export class WebTiersStack extends Stack {
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

    const removalPolicy = REMOVAL[config.retention.data];
    const instanceType = config.instanceType ? new ec2.InstanceType(config.instanceType) : undefined;
    // checkEnvironmentConfig has made sure the tier gets every piece its domain needs.
    const hostedZone = config.domain?.hostedZoneId
      ? route53.HostedZone.fromHostedZoneAttributes(this, 'Zone', {
        hostedZoneId: config.domain.hostedZoneId,
        zoneName: config.domain.hostedZoneName ?? config.domain.name,
      })
      : undefined;

    if (config.tier === 'single-instance') {
      const tier = new SingleInstanceTier(this, 'Web', {
        app: props.app,
        instanceType,
        dataVolumeSize: config.dataVolumeGiB !== undefined ? Size.gibibytes(config.dataVolumeGiB) : undefined,
        snapshotRetention: config.retention.backupDays,
        removalPolicy,
        logRetention: config.retention.logs,
        // checkEnvironmentConfig requires the zone with a domain; the tier checks it again.
        https: config.domain && { domainName: config.domain.name, hostedZone: hostedZone! },
        alarms: { email: config.alarmEmail },
      });
      new CfnOutput(this, 'Url', { value: tier.url, description: 'Where the app answers' });
      new CfnOutput(this, 'ElasticIp', { value: tier.elasticIp.ref, description: 'The address the app answers on' });
      new CfnOutput(this, 'AutoScalingGroupName', {
        value: tier.autoScalingGroup.autoScalingGroupName,
        description: 'The group of one that runs the instance (its instance id: aws autoscaling describe-auto-scaling-groups)',
      });
      return;
    }

    if (config.tier === 'serverless' || config.tier === 'managed-serverless') {
      const certificate = config.domain?.certificateArn ? acm.Certificate.fromCertificateArn(this, 'Certificate', config.domain.certificateArn) : undefined;
      const common = {
        app: props.app,
        function: config.lambda,
        deployment: removalPolicy === RemovalPolicy.DESTROY ? ServerlessDeployment.allAtOnce() : ServerlessDeployment.canary(10, 5),
        removalPolicy,
        logRetention: config.retention.logs,
        alarms: { email: config.alarmEmail },
      };
      const tier = config.tier === 'serverless'
        ? new ServerlessTier(this, 'Web', {
          ...common,
          domain: config.domain && { domainName: config.domain.name, certificate: certificate!, hostedZone: hostedZone! },
        })
        : new ManagedServerlessTier(this, 'Web', {
          ...common,
          assets: props.assets,
          domain: config.domain && { domainName: config.domain.name, hostedZone: hostedZone!, certificate },
        });
      new CfnOutput(this, 'Url', { value: tier.url, description: 'Where the app answers' });
      new CfnOutput(this, 'TableName', { value: tier.table.tableName, description: 'The app data' });
      return;
    }

    // The load-balanced tiers share the network, the database and every other setting.
    const network = new Network(this, 'Network', {
      egress: config.egress,
      maxAzs: config.availabilityZones ? Math.min(3, config.availabilityZones.length) : undefined,
      flowLogRetention: config.retention.logs,
      removalPolicy,
    });
    const database = new Database(this, 'Database', {
      network,
      instanceType: config.database?.instanceType ? new ec2.InstanceType(config.database.instanceType) : undefined,
      multiAz: config.database?.multiAz,
      rotation: config.database?.rotation,
      backupRetentionDays: Math.min(35, config.retention.backupDays),
      removalPolicy,
      logRetention: config.retention.logs,
    });
    const certificate = config.domain?.certificateArn ? acm.Certificate.fromCertificateArn(this, 'Certificate', config.domain.certificateArn) : undefined;
    if (config.tier === 'managed-auto-scaling') {
      const tier = new ManagedAutoScalingTier(this, 'Web', {
        app: props.app,
        network,
        database,
        instanceTypes: instanceType ? [instanceType] : undefined,
        scaling: config.capacity && { min: config.capacity.min, max: config.capacity.max },
        deployment: removalPolicy === RemovalPolicy.DESTROY ? BeanstalkDeployment.allAtOnce() : BeanstalkDeployment.rollingWithAdditionalBatch(),
        loadBalancer: BeanstalkLoadBalancer.dedicated({ certificate, domainName: config.domain?.name, hostedZone }),
        monitoring: { logRetention: config.retention.logs },
        removalPolicy,
        alarms: { email: config.alarmEmail },
      });
      new CfnOutput(this, 'Url', { value: tier.url, description: 'Where the app answers' });
      new CfnOutput(this, 'EnvironmentName', { value: tier.environment.ref, description: 'The Beanstalk environment' });
      new CfnOutput(this, 'DatabaseSecretArn', { value: database.secret.secretArn, description: 'Connection JSON of the database' });
      return;
    }
    const fleet: ServerFleetProps = {
      app: props.app,
      network,
      database,
      instanceType,
      loadBalancer: { certificate, domainName: config.domain?.name, hostedZone },
      removalPolicy,
      logRetention: config.retention.logs,
      alarms: { email: config.alarmEmail },
    };
    const tier = config.tier === 'load-balanced'
      ? new LoadBalancedTier(this, 'Web', { ...fleet, instanceCount: config.capacity?.min })
      : new AutoScalingTier(this, 'Web', { ...fleet, capacity: config.capacity, scaleOn: config.scaleOn });
    // The record was this stack's own before the tier made it: keeping its logical id updates it
    // in place, where a new id would collide with the existing record.
    const record = tier.node.findChild('LoadBalancer').node.tryFindChild('DnsRecord')?.node.defaultChild as CfnResource | undefined;
    record?.overrideLogicalId(logicalIdAt(this.stackName, ['DnsRecord', 'Resource']));
    new CfnOutput(this, 'Url', { value: tier.url, description: 'Where the app answers' });
    new CfnOutput(this, 'LoadBalancerDns', { value: tier.loadBalancer.loadBalancerDnsName, description: 'Point DNS here (alias)' });
    new CfnOutput(this, 'DatabaseSecretArn', { value: database.secret.secretArn, description: 'Connection JSON of the database' });
  }

  /** The configured zones when the environment names them, so synthesis never looks them up. */
  public get availabilityZones(): string[] {
    return this.zones ?? super.availabilityZones;
  }
}
