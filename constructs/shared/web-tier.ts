import type * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import type * as ec2 from 'aws-cdk-lib/aws-ec2';
import type * as iam from 'aws-cdk-lib/aws-iam';
import type * as logs from 'aws-cdk-lib/aws-logs';
import type * as sns from 'aws-cdk-lib/aws-sns';
import type { IConstruct } from 'constructs';

/** A value an operator needs from a deployed tier, written by a stack as a CloudFormation output. */
export interface WebTierOutput {
  /** The value (usually a token). */
  readonly value: string;
  /** What it is for. */
  readonly description: string;
}

/**
 * What every tier exposes, whatever runs the app: code written against `IWebTier` works on every
 * rung of the ladder. `grantPrincipal` is what the app runs as, so `bucket.grantRead(tier)` gives
 * the app access on any tier.
 */
export interface IWebTier extends IConstruct, iam.IGrantable {
  /** The URL users reach the app on. */
  readonly url: string;
  /** The topic the tier's alarms notify. */
  readonly alarmTopic: sns.ITopic;
  /** The tier's alarms. */
  readonly alarms: cloudwatch.IAlarm[];
  /** The log groups holding the app's own output (stdout and stderr). */
  readonly appLogGroups: logs.ILogGroup[];
  /** Network access to what runs the app; absent where the app does not run in a VPC. */
  readonly connections?: ec2.Connections;
  /**
   * What an operator needs besides the URL (an address, a load balancer's DNS name, a table
   * name), by output name; a stack writes each as a CloudFormation output.
   */
  readonly outputs: { [name: string]: WebTierOutput };
}
