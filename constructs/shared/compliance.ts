import { Aspects, CfnResource, Stack, Validations, type IAspect } from 'aws-cdk-lib';
import type { IConstruct } from 'constructs';

/**
 * Acknowledgements of findings that the HIPAA Security and NIST 800-53 rev 5 cdk-nag packs and
 * the AWS Control Tower Guard rules report on what the tiers make, where the finding is
 * inherent to the design. Each rule applies to one resource type, only when the resource's
 * synthesized properties show the condition, and carries its reason. What could be fixed was
 * fixed in the constructs instead.
 */
interface InherentFinding {
  readonly type: string;
  /** Finding ids as the validation report names them. */
  readonly ids: string[];
  readonly reason: string;
  /** The condition on the resource's properties; always when omitted. */
  readonly when?: (props: Record<string, any>) => boolean;
}

const hipaaNist = (rule: string) => [`HIPAA.Security::HIPAA.Security-${rule}`, `NIST.800.53.R5::NIST.800.53.R5-${rule}`];
const guard = (rule: string) => `cdk-validator-cfnguard::${rule}`;

const FINDINGS: InherentFinding[] = [
  {
    type: 'AWS::IAM::Policy', ids: hipaaNist('IAMNoInlinePolicy'),
    reason: 'The role\'s permissions are a policy resource attached to exactly this role (aws-cdk-lib grants); a customer-managed policy would hold the same statements and could be attached elsewhere.',
  },
  {
    type: 'AWS::IAM::Role', ids: hipaaNist('IAMNoInlinePolicy'), when: (p) => Array.isArray(p.Policies),
    reason: 'The inline policy of an aws-cdk-lib provider role is scoped to what that one function does.',
  },
  {
    type: 'AWS::Logs::LogGroup', ids: [...hipaaNist('CloudWatchLogGroupEncrypted'), guard('cloudwatch_log_group_encrypted_check')], when: (p) => !p.KmsKeyId,
    reason: 'CloudWatch Logs encrypts every log group at rest; these operational logs hold no user data, so a customer key per log group would add cost and key-policy coupling for no protection.',
  },
  {
    type: 'AWS::Logs::LogGroup', ids: [guard('cloudwatch_log_group_retention_period_check')], when: (p) => typeof p.RetentionInDays === 'number' && p.RetentionInDays < 365,
    reason: 'Retention is an explicit per-environment choice (logRetention); the one-year Control Tower default is not imposed on every environment.',
  },
  {
    type: 'AWS::Lambda::Function', ids: [...hipaaNist('LambdaInsideVPC'), guard('lambda_inside_vpc_check')],
    reason: 'The function calls only AWS APIs (DynamoDB, Secrets Manager, EC2, S3, Elastic Beanstalk) over TLS; a VPC would add NAT cost and cold-start latency and protect nothing.',
  },
  {
    type: 'AWS::Lambda::Function', ids: hipaaNist('LambdaDLQ'),
    reason: 'Invoked synchronously (API Gateway, CloudFront or CloudFormation); a dead-letter queue only applies to asynchronous invocations.',
  },
  {
    type: 'AWS::Lambda::Function', ids: hipaaNist('LambdaConcurrency'), when: (p) => p.ReservedConcurrentExecutions === undefined,
    reason: 'Draws on the account\'s unreserved concurrency by default; reserve it with function.reservedConcurrency where a cap is wanted.',
  },
  {
    type: 'AWS::Lambda::Permission', ids: [guard('lambda_function_public_access_prohibited_check')],
    when: (p) => typeof p.Principal === 'string' && p.Principal.endsWith('.amazonaws.com') && Boolean(p.SourceArn),
    reason: 'A service principal (API Gateway, CloudFront) scoped by SourceArn, which is built with intrinsic functions the rule cannot read; nothing public can invoke the function.',
  },
  {
    type: 'AWS::S3::Bucket', ids: [...hipaaNist('S3DefaultEncryptionKMS'), guard('s3_bucket_default_encryption_kms_check')],
    when: (p) => p.BucketEncryption?.ServerSideEncryptionConfiguration?.[0]?.ServerSideEncryptionByDefault?.SSEAlgorithm === 'AES256',
    reason: 'SSE-S3 encrypts at rest; ALB and CloudFront log delivery support only SSE-S3, and static web assets are public by purpose.',
  },
  {
    type: 'AWS::S3::Bucket', ids: [...hipaaNist('S3BucketReplicationEnabled'), guard('s3_bucket_object_lock_enabled_check'), guard('s3_event_notifications_enabled_check')],
    reason: 'Holds logs or build output (versioned, with expiry), not records that need write-once retention, a copy in a second region or event processing.',
  },
  {
    type: 'AWS::S3::Bucket', ids: [...hipaaNist('S3BucketLoggingEnabled'), guard('s3_bucket_logging_enabled_check')], when: (p) => !p.LoggingConfiguration,
    reason: 'It is a log bucket; logging access to it would only log the log delivery.',
  },
  {
    type: 'AWS::EC2::Subnet', ids: [...hipaaNist('VPCSubnetAutoAssignPublicIpDisabled'), guard('subnet_auto_assign_public_ip_disabled_check')], when: (p) => p.MapPublicIpOnLaunch === true,
    reason: 'A public subnet of the single-instance tier: the instance reaches package repositories at first boot, before its Elastic IP is associated.',
  },
  {
    type: 'AWS::EC2::Route', ids: hipaaNist('VPCNoUnrestrictedRouteToIGW'), when: (p) => Boolean(p.GatewayId),
    reason: 'The public subnets\' route to the internet gateway, which internet-facing load balancers, NAT and the single-instance tier need.',
  },
  {
    type: 'AWS::EC2::Instance', ids: [guard('ec2_instance_nitro_encryption_in_transit_check')],
    reason: 'Traffic between instances is not relied on; the app\'s database connections are TLS (RDS forces it) whatever the instance type.',
  },
  {
    type: 'AWS::EC2::Instance', ids: [guard('ec2_instance_no_public_ip_check')],
    reason: 'Tier-2 instances sit in app subnets that assign no public address; the single instance is public through its Elastic IP by design. The rule only accepts NetworkInterfaces declarations.',
  },
  {
    type: 'AWS::EC2::LaunchTemplate', ids: [guard('ec2_launch_template_monitoring_enabled_check')], when: (p) => !p.LaunchTemplateData?.Monitoring,
    reason: 'This launch template only carries the IMDSv2 setting of an instance; detailed monitoring is set on the instance itself.',
  },
  {
    type: 'AWS::EC2::SecurityGroupIngress', ids: [...hipaaNist('EC2RestrictedCommonPorts'), ...hipaaNist('EC2RestrictedSSH')],
    when: (p) => typeof p.FromPort === 'object' && Boolean(p.SourceSecurityGroupId),
    reason: 'From another security group only, on the database port, which aws-cdk-lib writes as the endpoint\'s port attribute (5432) that the rule cannot read.',
  },
];

/** Visits CloudFormation resources and acknowledges the inherent findings that apply. */
class InherentFindings implements IAspect {
  public visit(node: IConstruct): void {
    if (!(node instanceof CfnResource)) return;
    const rules = FINDINGS.filter((f) => f.type === node.cfnResourceType);
    if (rules.length === 0) return;
    const template = Stack.of(node).resolve((node as unknown as { _toCloudFormation(): any })._toCloudFormation());
    const resource = Object.values(template.Resources ?? {})[0] as { Properties?: Record<string, any> } | undefined;
    const props = resource?.Properties ?? {};
    for (const rule of rules) {
      if (rule.when && !rule.when(props)) continue;
      Validations.of(node).acknowledge(...rule.ids.map((id) => ({ id, reason: rule.reason })));
    }
  }
}

const ASPECT = new InherentFindings();
const covered = new WeakSet<IConstruct>();
/** Stack-level constructs aws-cdk-lib adds on behalf of a construct (custom-resource providers). */
const PROVIDER = /^(Custom::|LogRetention[0-9a-f]{32}$|AWSCDK|BucketNotificationsHandler)/;

/**
 * Acknowledges, on `scope` and on the aws-cdk-lib providers in its stack, the inherent findings
 * of the HIPAA Security, NIST 800-53 rev 5 and Control Tower Guard rules. Call it last in a
 * construct's constructor.
 */
export function acknowledgeInherentFindings(scope: IConstruct): void {
  const targets = [scope, ...Stack.of(scope).node.children.filter((c) => PROVIDER.test(c.node.id))];
  for (const target of targets) {
    if (covered.has(target)) continue;
    covered.add(target);
    Aspects.of(target).add(ASPECT);
  }
}

/** The same acknowledgement for each id, on one construct. */
export function acknowledgeAll(scope: IConstruct, ids: string[], reason: string): void {
  Validations.of(scope).acknowledge(...ids.map((id) => ({ id, reason })));
}

export { hipaaNist, guard };
