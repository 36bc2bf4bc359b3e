import { CfnOutput, RemovalPolicy, Size, Stack, type StackProps } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as route53 from 'aws-cdk-lib/aws-route53';
import type { Construct } from 'constructs';
import { SingleInstanceTier } from '../constructs/single-instance';
import type { WebApp } from '../constructs/shared/web-app';
import { checkEnvironmentConfig, type DataRetention, type EnvironmentConfig } from './config';

export interface WebTiersStackProps extends StackProps {
  /** Environment name, e.g. 'prod'. */
  readonly environmentName: string;
  readonly config: EnvironmentConfig;
  readonly app: WebApp;
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

    const removalPolicy = REMOVAL[config.retention.data];
    const hostedZone = config.domain?.hostedZoneId
      ? route53.HostedZone.fromHostedZoneAttributes(this, 'Zone', {
        hostedZoneId: config.domain.hostedZoneId,
        zoneName: config.domain.hostedZoneName ?? config.domain.name,
      })
      : undefined;

    switch (config.tier) {
      case 'single-instance': {
        const tier = new SingleInstanceTier(this, 'Web', {
          app: props.app,
          instanceType: config.instanceType ? new ec2.InstanceType(config.instanceType) : undefined,
          dataVolumeSize: config.dataVolumeGiB !== undefined ? Size.gibibytes(config.dataVolumeGiB) : undefined,
          snapshotRetention: config.retention.backupDays,
          removalPolicy,
          logRetention: config.retention.logs,
          https: config.domain && { domainName: config.domain.name, hostedZone },
          alarms: { email: config.alarmEmail },
        });
        new CfnOutput(this, 'Url', { value: tier.url, description: 'Where the app answers' });
        new CfnOutput(this, 'ElasticIp', { value: tier.elasticIp.ref, description: 'Point DNS here' });
        new CfnOutput(this, 'InstanceId', { value: tier.instance.instanceId, description: 'aws ssm start-session --target <this>' });
        break;
      }
    }
  }

  /** The configured zones when the environment names them, so synthesis never looks them up. */
  public get availabilityZones(): string[] {
    return this.zones ?? super.availabilityZones;
  }
}
