import { Aws, Duration, Stack, Token, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as scheduler from 'aws-cdk-lib/aws-scheduler';
import { Construct } from 'constructs';
import { checkSpec, duration, required, satisfies, withoutNulls } from './checks';
import { WebTiersValidationError } from './validation';

/** Props of {@link StackExpiry}. */
export interface StackExpiryProps {
  /** How long after this deploy the stack deletes itself, 1 hour to 1 year. */
  readonly after: Duration;
  /**
   * The time the age counts from: the deploy. Synth takes the clock; pass a fixed time for a
   * template that does not change from one synth to the next (tests, reviews).
   * @default - now, at synth
   */
  readonly now?: Date;
}

/** The runtime checks of {@link StackExpiryProps}: the time is computed at synth, so both are known then. */
export const STACK_EXPIRY_SPEC = {
  after: required(duration(3600, 366 * 24 * 3600, 'seconds')),
  now: satisfies((v) => v instanceof Date && !Number.isNaN(v.getTime()), 'a valid Date'),
};

/** Scheduler's universal target for CloudFormation's DeleteStack. */
const DELETE_STACK = 'arn:aws:scheduler:::aws-sdk:cloudformation:deleteStack';

/**
 * Deletes the stack it is in `after` its last deploy, with no one at the keyboard: an EventBridge
 * Scheduler one-time schedule (`at(…)`, UTC) whose universal target calls CloudFormation's
 * DeleteStack on this stack, as a role that may delete this one stack and nothing else. Each
 * deploy moves the time forward. CloudFormation deletes the resources with the stack's own
 * service role (the one `cdk deploy` passes: the bootstrap's execution role), as a deploy does.
 * For disposable stacks (previews): their data must be `destroy`, and termination protection off.
 */
export class StackExpiry extends Construct {
  /** When the stack deletes itself (UTC). */
  public readonly expiresAt: Date;
  public readonly schedule: scheduler.CfnSchedule;
  public readonly role: iam.Role;

  constructor(scope: Construct, id: string, props: StackExpiryProps) {
    props = withoutNulls(props);
    super(scope, id);
    checkSpec(this, props as unknown as Record<string, unknown>, STACK_EXPIRY_SPEC);
    const stack = Stack.of(this);
    if (stack.terminationProtection) {
      throw new WebTiersValidationError(this, 'after',
        `applies to a stack without termination protection (${stack.stackName} has it, so DeleteStack would fail); accepted: a disposable stack`);
    }
    const now = props.now ?? new Date();
    this.expiresAt = new Date(Math.ceil((now.getTime() + props.after.toMilliseconds()) / 1000) * 1000);

    const stackArn = stack.formatArn({ service: 'cloudformation', resource: 'stack', resourceName: `${stack.stackName}/*` });
    this.role = new iam.Role(this, 'Role', {
      description: `Deletes ${stack.stackName} when it expires (EventBridge Scheduler)`,
      assumedBy: new iam.ServicePrincipal('scheduler.amazonaws.com', { conditions: { StringEquals: { 'aws:SourceAccount': Aws.ACCOUNT_ID } } }),
      inlinePolicies: {
        DeleteThisStack: new iam.PolicyDocument({ statements: [new iam.PolicyStatement({ actions: ['cloudformation:DeleteStack'], resources: [stackArn] })] }),
      },
    });
    Validations.of(this.role).acknowledge({
      id: `AwsSolutions::AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:cloudformation:<AWS::Region>:<AWS::AccountId>:stack/${Token.isUnresolved(stack.stackName) ? '<AWS::StackName>' : stack.stackName}/*]`,
      reason: "The one stack by name: a stack's ARN ends in an id CloudFormation assigns at creation, which the template cannot know.",
    });

    this.schedule = new scheduler.CfnSchedule(this, 'Schedule', {
      description: `Deletes ${stack.stackName} ${props.after.toHumanString()} after its last deploy`,
      scheduleExpression: `at(${this.expiresAt.toISOString().slice(0, 19)})`,
      scheduleExpressionTimezone: 'UTC',
      flexibleTimeWindow: { mode: 'OFF' },
      target: {
        arn: DELETE_STACK,
        roleArn: this.role.roleArn,
        input: stack.toJsonString({ StackName: stack.stackName }),
        retryPolicy: { maximumRetryAttempts: 10, maximumEventAgeInSeconds: 24 * 3600 },
      },
    });
  }
}
