import { RemovalPolicy, Token, Validations } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { acknowledgeAll, acknowledgeInherentFindings, guard, hipaaNist } from './compliance';
import { checkSpec, integer, literal, oneOf, removalPolicy, retentionDays, vpc, type Spec, withoutNulls } from './checks';
import { WebTiersValidationError, withoutSnapshot } from './validation';
import { SinglePointOfFailure, warnSinglePointOfFailure } from './warnings';

/** How instances in the app subnets reach the internet, cheapest first. */
export enum Egress {
  /** No route to the internet: VPC endpoints for S3 (gateway) and the AWS APIs the hosts call (interface). */
  NONE = 'none',
  /**
   * One small NAT instance (t4g.nano, IMDSv2 only): a few dollars a month, a single point of failure
   * for egress (warning `SinglePointOfFailure.NAT`).
   */
  NAT_INSTANCE = 'nat-instance',
  /** One NAT gateway: managed, but one AZ's outage cuts egress for all (warning `SinglePointOfFailure.NAT`). */
  NAT_GATEWAY = 'nat-gateway',
  /** One NAT gateway per AZ: highly available egress. */
  NAT_GATEWAY_PER_AZ = 'nat-gateway-per-az',
}

/** Props of {@link Network}. */
export interface NetworkProps {
  /**
   * Use this VPC instead of creating one. Its private subnets (or isolated ones, when it has
   * no private ones) hold the app; its isolated subnets (or private ones) hold the database.
   * `maxAzs` and `egress` do not apply.
   * @default - a new VPC
   */
  readonly vpc?: ec2.IVpc;

  /**
   * Availability zones of a new VPC, 2 or 3.
   * @default 2
   */
  readonly maxAzs?: number;

  /**
   * Egress of the app subnets. Switching presets on a deployed stack keeps every subnet:
   * only routes, NAT resources and endpoints change.
   * @default Egress.NAT_GATEWAY
   */
  readonly egress?: Egress;

  /**
   * Retention of the VPC flow logs.
   * @default logs.RetentionDays.THREE_MONTHS
   */
  readonly flowLogRetention?: logs.RetentionDays;

  /**
   * Removal policy of the flow-log group (`SNAPSHOT` counts as `RETAIN`).
   * @default RemovalPolicy.RETAIN
   */
  readonly removalPolicy?: RemovalPolicy;
}

/** Subnet group names; fixed, because renaming them would replace the subnets. */
const PUBLIC = 'Public';
/** The address range of a new VPC. */
export const VPC_CIDR = '10.0.0.0/16';
const APP = 'App';
const DATA = 'Data';

/** Interface endpoints the hosts need when there is no NAT. */
const NO_EGRESS_ENDPOINTS: Array<[string, ec2.InterfaceVpcEndpointAwsService]> = [
  ['Ssm', ec2.InterfaceVpcEndpointAwsService.SSM],
  ['SsmMessages', ec2.InterfaceVpcEndpointAwsService.SSM_MESSAGES],
  ['Ec2Messages', ec2.InterfaceVpcEndpointAwsService.EC2_MESSAGES],
  ['Logs', ec2.InterfaceVpcEndpointAwsService.CLOUDWATCH_LOGS],
  ['Monitoring', ec2.InterfaceVpcEndpointAwsService.CLOUDWATCH_MONITORING],
  ['SecretsManager', ec2.InterfaceVpcEndpointAwsService.SECRETS_MANAGER],
  ['CloudFormation', ec2.InterfaceVpcEndpointAwsService.CLOUDFORMATION],
  ['Ec2', ec2.InterfaceVpcEndpointAwsService.EC2],
];

/** The runtime checks of Network's props. The AZ count sizes the subnets: known at synth. */
export const NETWORK_SPEC: Spec = {
  vpc,
  maxAzs: literal(integer(2, 3)),
  egress: oneOf(Object.values(Egress), `an Egress member: ${Object.keys(Egress).map((k) => `Egress.${k}`).join(', ')}`),
  flowLogRetention: retentionDays,
  removalPolicy,
};

/**
 * The network of the server tiers: public subnets for load balancers (and NAT),
 * app subnets for instances, isolated data subnets for the database, across 2–3 AZs;
 * an S3 gateway endpoint (free: packages, assets and logs stay off the NAT); flow logs.
 */
export class Network extends Construct {
  /** The VPC. */
  public readonly vpc: ec2.IVpc;
  /** Where load balancers go. */
  public readonly publicSubnets: ec2.SubnetSelection;
  /** Where app instances go. */
  public readonly appSubnets: ec2.SubnetSelection;
  /** Where the database goes. */
  public readonly dataSubnets: ec2.SubnetSelection;
  /** The egress preset (undefined for an existing VPC). */
  public readonly egress?: Egress;

  constructor(scope: Construct, id: string, props: NetworkProps = {}) {
    // null, as jsii languages and JavaScript pass it for an omitted prop, counts as not given.
    props = withoutNulls(props);
    super(scope, id);
    checkSpec(this, props as unknown as Record<string, unknown>, NETWORK_SPEC);
    if (props.vpc) {
      if (props.maxAzs !== undefined || props.egress !== undefined) {
        throw new WebTiersValidationError(this, props.maxAzs !== undefined ? 'maxAzs' : 'egress',
          'does not apply to an existing vpc; accepted: either vpc, or maxAzs/egress for a new VPC');
      }
      this.vpc = props.vpc;
      const vpc = props.vpc;
      const has = (type: ec2.SubnetType) => ({
        [ec2.SubnetType.PUBLIC]: vpc.publicSubnets,
        [ec2.SubnetType.PRIVATE_WITH_EGRESS]: vpc.privateSubnets,
        [ec2.SubnetType.PRIVATE_ISOLATED]: vpc.isolatedSubnets,
      } as Partial<Record<ec2.SubnetType, ec2.ISubnet[]>>)[type]!.length > 0;
      const privateType = has(ec2.SubnetType.PRIVATE_WITH_EGRESS) ? ec2.SubnetType.PRIVATE_WITH_EGRESS : ec2.SubnetType.PRIVATE_ISOLATED;
      const dataType = has(ec2.SubnetType.PRIVATE_ISOLATED) ? ec2.SubnetType.PRIVATE_ISOLATED : privateType;
      if (!has(ec2.SubnetType.PUBLIC) || !has(privateType)) {
        throw new WebTiersValidationError(this, 'vpc', 'accepted: a VPC with public subnets and private or isolated subnets');
      }
      this.publicSubnets = { subnetType: ec2.SubnetType.PUBLIC };
      this.appSubnets = { subnetType: privateType };
      this.dataSubnets = { subnetType: dataType };
      return;
    }

    const egress = props.egress ?? Egress.NAT_GATEWAY;
    this.egress = egress;
    const maxAzs = props.maxAzs ?? 2;

    let natGateways: number;
    let natGatewayProvider: ec2.NatProvider | undefined;
    switch (egress) {
      case Egress.NONE: natGateways = 0; break;
      case Egress.NAT_INSTANCE:
        natGateways = 1;
        natGatewayProvider = ec2.NatProvider.instanceV2({
          instanceType: new ec2.InstanceType('t4g.nano'),
          associatePublicIpAddress: true,
          defaultAllowedTraffic: ec2.NatTrafficDirection.OUTBOUND_ONLY,
        });
        break;
      case Egress.NAT_GATEWAY: natGateways = 1; break;
      case Egress.NAT_GATEWAY_PER_AZ: natGateways = maxAzs; break;
    }

    const vpc = new ec2.Vpc(this, 'Vpc', {
      ipAddresses: ec2.IpAddresses.cidr(VPC_CIDR),
      maxAzs,
      natGateways,
      natGatewayProvider,
      // The same names and CIDR masks for every preset: only the App subnets' type (and so
      // their routes) changes, which CloudFormation applies in place.
      subnetConfiguration: [
        // Only load balancers and NAT live here, and they bring their own addresses.
        { name: PUBLIC, subnetType: ec2.SubnetType.PUBLIC, cidrMask: 24, mapPublicIpOnLaunch: false },
        { name: APP, subnetType: egress === Egress.NONE ? ec2.SubnetType.PRIVATE_ISOLATED : ec2.SubnetType.PRIVATE_WITH_EGRESS, cidrMask: 22 },
        { name: DATA, subnetType: ec2.SubnetType.PRIVATE_ISOLATED, cidrMask: 24 },
      ],
      gatewayEndpoints: { S3: { service: ec2.GatewayVpcEndpointAwsService.S3 } },
    });
    this.vpc = vpc;
    this.publicSubnets = { subnetGroupName: PUBLIC };
    this.appSubnets = { subnetGroupName: APP };
    this.dataSubnets = { subnetGroupName: DATA };

    const flowLogs = new logs.LogGroup(this, 'FlowLogs', {
      retention: props.flowLogRetention ?? logs.RetentionDays.THREE_MONTHS,
      removalPolicy: withoutSnapshot(props.removalPolicy ?? RemovalPolicy.RETAIN),
    });
    vpc.addFlowLog('FlowLog', {
      destination: ec2.FlowLogDestination.toCloudWatchLogs(flowLogs),
      trafficType: ec2.FlowLogTrafficType.REJECT,
    });

    if (egress === Egress.NONE) {
      for (const [name, service] of NO_EGRESS_ENDPOINTS) {
        const endpoint = vpc.addInterfaceEndpoint(name, { service, subnets: this.appSubnets, privateDnsEnabled: true, open: false });
        endpoint.connections.allowDefaultPortFrom(ec2.Peer.ipv4(VPC_CIDR), 'HTTPS from inside the VPC');
      }
    }
    if (natGatewayProvider instanceof ec2.NatInstanceProviderV2) {
      // OUTBOUND_ONLY leaves the NAT's security group without ingress: without this rule no
      // packet from the app subnets would reach it. Only the VPC's own range, never the internet.
      natGatewayProvider.connections.allowFrom(ec2.Peer.ipv4(VPC_CIDR), ec2.Port.allTraffic(), 'Traffic to forward, from inside the VPC');
      acknowledgeAll(natGatewayProvider.securityGroup, hipaaNist('EC2RestrictedCommonPorts'),
        `All protocols from the VPC's own range (${VPC_CIDR}) only, never from the internet (the rule flags any all-protocol rule, whatever its source): ` +
        'a NAT forwards whatever the app subnets send out, as the NAT gateway it stands in for does.');
      for (const nat of natGatewayProvider.gatewayInstances) {
        // The provider offers no IMDS option: do now what `requireImdsv2: true` does on an Instance
        // (a launch template with HttpTokens required), so that the launch template is in the tree
        // before the compliance aspects visit it.
        new ec2.InstanceRequireImdsv2Aspect().visit(nat);
        // Without the @aws-cdk/aws-ec2:uniqueImdsv2TemplateName flag in the consumer's cdk.json the
        // aspect names the template after the construct id, the same in every stack: leave the name
        // to CloudFormation and refer to the template by id, so two stacks never collide.
        const launchTemplate = nat.node.tryFindChild('LaunchTemplate') as ec2.CfnLaunchTemplate | undefined;
        if (launchTemplate) {
          launchTemplate.addPropertyDeletionOverride('LaunchTemplateName');
          // Replaces the aspect's reference by name: CloudFormation accepts an id or a name, never both.
          (nat.node.defaultChild as ec2.CfnInstance).launchTemplate = {
            launchTemplateId: launchTemplate.ref, version: launchTemplate.attrLatestVersionNumber,
          };
        }
        // The provider offers no block-device option; encrypt the root volume anyway.
        (nat.node.defaultChild as ec2.CfnInstance).addPropertyOverride('BlockDeviceMappings', [
          { DeviceName: '/dev/xvda', Ebs: { Encrypted: true, VolumeType: 'gp3', DeleteOnTermination: true } },
        ]);
        Validations.of(nat).acknowledge(
          { id: 'AwsSolutions::AwsSolutions-EC26', reason: 'The root volume is encrypted through a property override (the NAT provider has no option for it), which cdk-nag cannot see.' },
          { id: 'AwsSolutions::AwsSolutions-EC28', reason: 'A NAT instance only forwards packets; detailed monitoring would cost more than the instance, the cheapest-egress trade-off of Egress.NAT_INSTANCE.' },
          { id: 'AwsSolutions::AwsSolutions-EC29', reason: 'A NAT instance holds no data; CloudFormation replaces it on image updates, which termination protection would block.' },
        );
        acknowledgeAll(nat, [...hipaaNist('EC2InstanceDetailedMonitoringEnabled'), guard('ec2_instance_detailed_monitoring_enabled_check')],
          'A NAT instance only forwards packets; detailed monitoring would cost more than the instance, the cheapest-egress trade-off of Egress.NAT_INSTANCE.');
        acknowledgeAll(nat, hipaaNist('EC2InstanceNoPublicIp'),
          'Forwarding the app subnets\' traffic to the internet is what a NAT instance is for, and that needs a public address; its security group admits only traffic from inside the VPC.');
        acknowledgeAll(nat, hipaaNist('EC2InstancesInVPC'),
          'It is in a public subnet of this VPC, declared in NetworkInterfaces (with the public address), where the rule does not look: it reads only SubnetId.');
      }
    }
    if (egress === Egress.NAT_INSTANCE || egress === Egress.NAT_GATEWAY) {
      warnSinglePointOfFailure(this, SinglePointOfFailure.NAT,
        `Network egress ${egress} sends the app subnets of every AZ through one NAT ${egress === Egress.NAT_INSTANCE ? 'instance' : 'gateway'}: ` +
        "when it or its AZ fails, instances lose egress (boots, secret refreshes, logs and metrics through it fail). Use Egress.NAT_GATEWAY_PER_AZ, or Egress.NONE with VPC endpoints.");
    }
    acknowledgeInherentFindings(this);
  }

  /** The number of AZs the app subnets span (undefined when unknown at synth time). */
  public get availabilityZoneCount(): number | undefined {
    const subnets = this.vpc.selectSubnets(this.appSubnets).subnets;
    const zones = new Set(subnets.map((s) => s.availabilityZone));
    return [...zones].some((z) => Token.isUnresolved(z)) ? subnets.length : zones.size;
  }
}

/**
 * A VPC with public subnets only, across 2 AZs, with no NAT cost, and flow logs
 * (rejected traffic) to a log group with retention: enough for hosts that sit in
 * a public subnet behind their own Elastic IP.
 */
export function publicOnlyVpc(scope: Construct, id: string, logRetention: logs.RetentionDays, removalPolicy: RemovalPolicy): ec2.Vpc {
  const vpc = new ec2.Vpc(scope, id, {
    maxAzs: 2,
    natGateways: 0,
    subnetConfiguration: [{ name: 'Public', subnetType: ec2.SubnetType.PUBLIC, cidrMask: 24 }],
  });
  const logGroup = new logs.LogGroup(vpc, 'FlowLogs', { retention: logRetention, removalPolicy });
  vpc.addFlowLog('FlowLog', {
    destination: ec2.FlowLogDestination.toCloudWatchLogs(logGroup),
    trafficType: ec2.FlowLogTrafficType.REJECT,
  });
  return vpc;
}
