import { Annotations, Duration, Validations } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as targets from 'aws-cdk-lib/aws-elasticloadbalancingv2-targets';
import type { Construct } from 'constructs';
import { amazonLinux2023, serverUserData } from '../shared/server-bootstrap';
import { APP_PORT, ServerFleetTier, type ServerFleetProps } from '../shared/server-fleet';
import { checkIntegerRange } from '../shared/validation';

/** Props of {@link LoadBalancedTier}. */
export interface LoadBalancedTierProps extends ServerFleetProps {
  /**
   * How many instances, 1–20, spread round-robin over the app subnets' zones.
   * @default 2
   */
  readonly instanceCount?: number;
}

/** Id of the warning that one instance behind a load balancer is a single point of failure. */
export const SINGLE_INSTANCE_FLEET_WARNING = 'cdk-web-tiers:singleInstanceFleet';

/**
 * Tier 2: a fixed number of instances in several AZs behind an ALB, sharing an RDS
 * PostgreSQL database.
 *
 * Each instance runs the same bootstrap as tier 1, with `DATABASE_URL` rendered from the
 * database secret. An instance is replaced when its user data changes (a new bundle, new
 * environment); replacements go one at a time and each must report healthy to
 * CloudFormation before the next starts, so the others keep serving.
 */
export class LoadBalancedTier extends ServerFleetTier {
  /** The instances, one per `instanceCount`. */
  public readonly instances: ec2.Instance[];

  constructor(scope: Construct, id: string, props: LoadBalancedTierProps) {
    super(scope, id, props, false, (self) => checkIntegerRange(self, 'instanceCount', props.instanceCount, 1, 20));
    const count = props.instanceCount ?? 2;
    const fleet = this.fleet;

    const subnets = fleet.network.vpc.selectSubnets(fleet.network.appSubnets).subnets;
    const userData = serverUserData(this, fleet.bootstrap);
    this.instances = [];
    for (let i = 0; i < count; i++) {
      const instance = new ec2.Instance(this, `Instance${i + 1}`, {
        vpc: fleet.network.vpc,
        vpcSubnets: { subnets: [subnets[i % subnets.length]] },
        instanceType: fleet.instanceType,
        machineImage: props.machineImage ?? amazonLinux2023(fleet.arm64),
        securityGroup: fleet.securityGroup,
        role: fleet.role,
        userData,
        userDataCausesReplacement: true,
        resourceSignalTimeout: Duration.minutes(15),
        requireImdsv2: true,
        detailedMonitoring: true,
        blockDevices: [{
          deviceName: '/dev/xvda',
          volume: ec2.BlockDeviceVolume.ebs(16, { encrypted: true, volumeType: ec2.EbsDeviceVolumeType.GP3 }),
        }],
      });
      // One at a time: the next instance is created or replaced only after this one is healthy.
      const previous = this.instances[i - 1];
      if (previous) instance.node.addDependency(previous);
      fleet.web.targetGroup.addTarget(new targets.InstanceTarget(instance, APP_PORT));
      Validations.of(instance).acknowledge({
        id: 'AwsSolutions::AwsSolutions-EC29',
        reason: 'Instances are stateless (data is in RDS) and replaced by CloudFormation on every app change; termination protection would block that.',
      });
      this.instances.push(instance);
    }

    if (count === 1) {
      Annotations.of(this).addWarningV2(SINGLE_INSTANCE_FLEET_WARNING,
        'LoadBalancedTier with instanceCount 1 has a single point of failure: an instance or AZ failure stops the site. Use 2 or more instances.');
    }
  }
}
