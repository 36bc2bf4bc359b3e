import { Duration, Validations } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as targets from 'aws-cdk-lib/aws-elasticloadbalancingv2-targets';
import type { Construct } from 'constructs';
import { checkSpec, checkedWhereUsed, integer, literal, type Spec, withoutNulls } from '../shared/checks';
import { Deployment, DeploymentStrategy, type IDeployment } from '../shared/deployment';
import { amazonLinux2023, serverUserData } from '../shared/server-bootstrap';
import { APP_PORT, FLEET_DEPLOYMENT_SPEC, SERVER_FLEET_SPEC, ServerFleetTier, type ServerFleetProps } from '../shared/server-fleet';
import { SinglePointOfFailure, warnSinglePointOfFailure } from '../shared/warnings';

/** Props of {@link LoadBalancedTier}. */
export interface LoadBalancedTierProps extends ServerFleetProps {
  /**
   * How many instances, 1–20, spread round-robin over the app subnets' zones.
   * @default 2
   */
  readonly instanceCount?: number;
}

/**
 * Id of the warning that one instance behind a load balancer is a single point of failure.
 * @deprecated use {@link SinglePointOfFailure.SINGLE_INSTANCE_FLEET}
 */
export const SINGLE_INSTANCE_FLEET_WARNING = SinglePointOfFailure.SINGLE_INSTANCE_FLEET;

/**
 * The runtime checks of {@link LoadBalancedTierProps}, run first. The instance count is computed
 * with (one instance each, batches of them), so it must be known at synth: a deploy-time token
 * would build no instance at all.
 */
export const LOAD_BALANCED_SPEC: Spec = {
  ...SERVER_FLEET_SPEC,
  instanceCount: literal(integer(1, 20)),
  deployment: checkedWhereUsed('Deployment.allAtOnce() or Deployment.rolling({ batchPercent, timeout })'),
};

/**
 * Tier 2: a fixed number of instances in several AZs behind an ALB, sharing an RDS
 * PostgreSQL database.
 *
 * Each instance runs the same bootstrap as tier 1, with `DATABASE_URL` rendered from the
 * database secret. An instance is replaced when its user data changes (a new bundle, new
 * environment); replacements go one at a time (or as `deployment` says) and each must report
 * healthy to CloudFormation before the next starts, so the others keep serving.
 */
export class LoadBalancedTier extends ServerFleetTier {
  /** The instances, one per `instanceCount`. */
  public readonly instances: ec2.Instance[];

  constructor(scope: Construct, id: string, props: LoadBalancedTierProps) {
    // null, as jsii languages and JavaScript pass it for an omitted prop, counts as not given.
    props = withoutNulls(props);
    let rollout!: ReturnType<typeof loadBalancedRollout>;
    super(scope, id, props, false, {
      checkProps: (self) => {
        checkSpec(self, props as unknown as Record<string, unknown>, LOAD_BALANCED_SPEC);
        rollout = loadBalancedRollout(self, props.deployment, props.instanceCount ?? 2);
      },
    });
    const count = props.instanceCount ?? 2;
    const fleet = this._fleet;

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
        resourceSignalTimeout: rollout.signalTimeout,
        requireImdsv2: true,
        detailedMonitoring: true,
        blockDevices: [{
          deviceName: '/dev/xvda',
          volume: ec2.BlockDeviceVolume.ebs(16, { encrypted: true, volumeType: ec2.EbsDeviceVolumeType.GP3 }),
        }],
      });
      // In batches (one at a time by default): an instance is created or replaced only after
      // every instance of the previous batch is healthy.
      const batch = Math.floor(i / rollout.batchSize);
      for (const previous of this.instances.slice((batch - 1) * rollout.batchSize, batch * rollout.batchSize)) instance.node.addDependency(previous);
      fleet.web.targetGroup.addTarget(new targets.InstanceTarget(instance, APP_PORT));
      Validations.of(instance).acknowledge({
        id: 'AwsSolutions::AwsSolutions-EC29',
        reason: 'Instances are stateless (data is in RDS) and replaced by CloudFormation on every app change; termination protection would block that.',
      });
      this.instances.push(instance);
    }

    if (count === 1) {
      warnSinglePointOfFailure(this, SinglePointOfFailure.SINGLE_INSTANCE_FLEET,
        'LoadBalancedTier with instanceCount 1 has a single point of failure: an instance or AZ failure stops the site. Use 2 or more instances.');
    }
  }
}

/**
 * `deployment` on tier 2: CloudFormation creates each new instance (a new logical id), waits
 * for its signal, then moves the target group to it and removes the old one. The knob sets how
 * many are created at once — a dependency chain of batches — and how long each may take.
 */
function loadBalancedRollout(scope: Construct, deployment: IDeployment | undefined, count: number): { batchSize: number; signalTimeout: Duration } {
  const accepted = 'Deployment.allAtOnce(), or Deployment.rolling({ batchPercent, minHealthyPercent, timeout }) (the default: one instance at a time)';
  if (deployment !== undefined && !(deployment instanceof Deployment)) {
    throw Deployment._unsupported(scope, 'LoadBalancedTier', deployment, accepted);
  }
  const d = deployment ?? Deployment.rolling();
  d._validate(scope, 'LoadBalancedTier');
  checkSpec(scope, d as unknown as Record<string, unknown>, FLEET_DEPLOYMENT_SPEC, 'deployment');
  if (d.strategy === DeploymentStrategy.CANARY) {
    throw Deployment._unsupported(scope, 'LoadBalancedTier', d, accepted,
      'its fixed instances all sit in one target group, which cannot send a share of traffic to a new version');
  }
  // null counts as not given, as jsii languages pass it.
  const signalTimeout = Duration.minutes((d.timeout == null ? undefined : d._minutes(scope, 'LoadBalancedTier', 'timeout', 1, 60)) ?? 15);
  // minHealthyPercent always holds: the old instances serve until their replacements are healthy.
  let batchSize = 1;
  if (d.strategy === DeploymentStrategy.ALL_AT_ONCE) batchSize = count;
  else if (d.batchPercent !== undefined) batchSize = Math.ceil(count * d.batchPercent / 100);
  return { batchSize, signalTimeout };
}
