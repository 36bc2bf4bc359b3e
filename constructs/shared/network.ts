import type { RemovalPolicy } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as logs from 'aws-cdk-lib/aws-logs';
import type { Construct } from 'constructs';

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
