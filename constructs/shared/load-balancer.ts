import { Aws, CfnCondition, CfnMapping, Duration, Fn, RemovalPolicy, Stack, Token, Validations } from 'aws-cdk-lib';
import type * as acm from 'aws-cdk-lib/aws-certificatemanager';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as elbv2 from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as route53 from 'aws-cdk-lib/aws-route53';
import * as route53Targets from 'aws-cdk-lib/aws-route53-targets';
import * as s3 from 'aws-cdk-lib/aws-s3';
import type * as sns from 'aws-cdk-lib/aws-sns';
import { RegionInfo } from 'aws-cdk-lib/region-info';
import { Construct } from 'constructs';
import { notify } from './alarms';
import { acknowledgeAll, guard, hipaaNist } from './compliance';
import { type Check, describe, duration, integer, type Spec } from './checks';
import type { Network } from './network';
import { WebTiersValidationError } from './validation';

/** Load balancer settings shared by the load-balanced tiers (the domain and its certificate are the tier's `domain`). */
export interface LoadBalancerOptions {
  /**
   * How long a deregistering instance keeps its in-flight requests, 0–3600 s. Short keeps
   * deploys fast; the app's own drain on SIGTERM bounds what is needed.
   * @default Duration.seconds(30)
   */
  readonly deregistrationDelay?: Duration;
  /**
   * Days the access logs are kept, 1–3650.
   * @default 90
   */
  readonly accessLogDays?: number;
  /**
   * How long an idle client connection stays open, 1–4000 s. The app keeps its own keep-alive
   * 5 s longer, so the load balancer always closes first and never hits a closed connection (502).
   * @default Duration.seconds(60)
   */
  readonly idleTimeout?: Duration;
}

/** The app's keep-alive for a load balancer idle timeout: a little longer, so the balancer closes first. */
export function keepAliveFor(idleTimeout: Duration | undefined): Duration {
  return Duration.seconds((idleTimeout ?? Duration.seconds(60)).toSeconds() + 5);
}

/** Inputs of {@link WebLoadBalancer}. */
export interface WebLoadBalancerProps extends LoadBalancerOptions {
  /** HTTPS on this domain, with its alias record. */
  readonly domain?: { readonly domainName: string; readonly certificate: acm.ICertificate; readonly hostedZone: route53.IHostedZone };
  readonly network: Network;
  /** Port the app listens on. */
  readonly targetPort: number;
  readonly healthCheckPath: string;
  readonly alarmTopic: sns.ITopic;
  /** Removal of the access-log bucket (`SNAPSHOT` counts as `RETAIN`). */
  readonly removalPolicy: RemovalPolicy;
}


/**
 * A Duration in whole seconds that goes straight to CloudFormation: a deploy-time token passes when
 * it is written in seconds (`Duration.seconds(param.valueAsNumber)`), the only unit aws-cdk-lib can
 * pass through without computing.
 */
function passedThroughSeconds(min: number, max: number): Check {
  const inner = duration(min, max, 'seconds', 'pass');
  const accepted = `${inner.accepted}; a deploy-time token as Duration.seconds(token)`;
  return {
    accepted,
    validate(value, at) {
      inner.validate(value, at);
      const d = value as Duration;
      if (d.isUnresolved() && d.unitLabel() !== 'seconds') {
        throw new WebTiersValidationError(at.scope, at.prop,
          `got ${describe(value)} (a deploy-time token in ${d.unitLabel()}, which cannot be converted to seconds at synth); accepted: ${accepted}`);
      }
    },
  };
}

/**
 * The runtime checks of {@link LoadBalancerOptions}. The idle timeout is computed with (the app's
 * keep-alive is 5 s longer), so it must be known at synth; the deregistration delay and the
 * access-log retention go straight to CloudFormation and may be deploy-time tokens.
 */
export const LOAD_BALANCER_SPEC: Spec = {
  deregistrationDelay: passedThroughSeconds(0, 3600),
  accessLogDays: integer(1, 3650, 'days'),
  idleTimeout: duration(1, 4000, 'seconds'),
};

/**
 * An internet-facing ALB for the server tiers: HTTPS with a certificate on a domain whose alias
 * record it creates (HTTP redirects), invalid header fields dropped, access logs to an encrypted
 * bucket, a target group whose health check calls the app's health route, and alarms on 5xx
 * rate, p99 latency and unhealthy hosts.
 */
export class WebLoadBalancer extends Construct {
  public readonly loadBalancer: elbv2.ApplicationLoadBalancer;
  public readonly targetGroup: elbv2.ApplicationTargetGroup;
  /** The listener that serves the app: HTTPS on 443 with a domain, else HTTP on 80. */
  public readonly listener: elbv2.ApplicationListener;
  public readonly accessLogBucket: s3.Bucket;
  public readonly alarms: cloudwatch.Alarm[];
  /** The alias record of `domainName`, when one is given. */
  public readonly dnsRecord?: route53.ARecord;
  /** `https://<domainName>` with a domain, else `http://<the load balancer's DNS name>`. */
  public readonly url: string;

  /** The tier checks the options first (`loadBalancer`, by {@link LOAD_BALANCER_SPEC}). */
  constructor(scope: Construct, id: string, props: WebLoadBalancerProps) {
    super(scope, id);
    const { network } = props;

    this.accessLogBucket = createAccessLogBucket(this, 'AccessLogs', props.accessLogDays ?? 90, props.removalPolicy);

    this.loadBalancer = new elbv2.ApplicationLoadBalancer(this, 'LB', {
      vpc: network.vpc,
      vpcSubnets: network.publicSubnets,
      internetFacing: true,
      dropInvalidHeaderFields: true,
      idleTimeout: props.idleTimeout ?? Duration.seconds(60),
      deletionProtection: props.removalPolicy !== RemovalPolicy.DESTROY,
    });
    this.logAccessLogs();

    this.targetGroup = new elbv2.ApplicationTargetGroup(this, 'Targets', {
      vpc: network.vpc,
      port: props.targetPort,
      protocol: elbv2.ApplicationProtocol.HTTP,
      targetType: elbv2.TargetType.INSTANCE,
      deregistrationDelay: props.deregistrationDelay ?? Duration.seconds(30),
      healthCheck: {
        path: props.healthCheckPath,
        healthyHttpCodes: '200',
        interval: Duration.seconds(15),
        timeout: Duration.seconds(5),
        healthyThresholdCount: 2,
        unhealthyThresholdCount: 3,
      },
    });

    if (props.domain) {
      this.listener = this.loadBalancer.addListener('Https', {
        port: 443,
        protocol: elbv2.ApplicationProtocol.HTTPS,
        certificates: [props.domain.certificate],
        sslPolicy: elbv2.SslPolicy.RECOMMENDED_TLS,
        defaultTargetGroups: [this.targetGroup],
      });
      this.loadBalancer.addRedirect({ sourcePort: 80, targetPort: 443 });
    } else {
      this.listener = this.loadBalancer.addListener('Http', { port: 80, protocol: elbv2.ApplicationProtocol.HTTP, defaultTargetGroups: [this.targetGroup] });
    }
    if (props.domain) {
      this.dnsRecord = new route53.ARecord(this, 'DnsRecord', {
        zone: props.domain.hostedZone,
        recordName: `${props.domain.domainName}.`,
        target: route53.RecordTarget.fromAlias(new route53Targets.LoadBalancerTarget(this.loadBalancer)),
      });
    }
    this.url = props.domain ? `https://${props.domain.domainName}` : `http://${this.loadBalancer.loadBalancerDnsName}`;
    for (const sg of this.loadBalancer.connections.securityGroups) {
      Validations.of(sg).acknowledge({
        id: 'AwsSolutions::AwsSolutions-EC23',
        reason: 'An internet-facing load balancer: only its listener ports (80, and 443 with a certificate) are open to the world.',
      });
    }
    this.alarms = this.createAlarms(props.alarmTopic);
    if (!props.domain) {
      acknowledgeAll(this, [...hipaaNist('ALBHttpToHttpsRedirection'), ...hipaaNist('ELBv2ACMCertificateRequired'), guard('alb_http_to_https_redirection_check')],
        'HTTP only because no domain is configured (domain); with one, HTTPS on 443 and HTTP redirects to it.');
    }
    acknowledgeAll(this, ['NIST.800.53.R5::NIST.800.53.R5-ALBWAFEnabled'],
      'WAF is opt-in: associate a web ACL with tier.loadBalancer (billed per rule and request); the app sits behind the ALB only.');
  }

  private logAccessLogs(): void {
    this.loadBalancer.setAttribute('access_logs.s3.enabled', 'true');
    this.loadBalancer.setAttribute('access_logs.s3.bucket', this.accessLogBucket.bucketName);
    this.loadBalancer.node.addDependency(this.accessLogBucket);
  }

  private createAlarms(topic: sns.ITopic): cloudwatch.Alarm[] {
    const period = Duration.minutes(1);
    const m = this.loadBalancer.metrics;
    const errorRate = new cloudwatch.MathExpression({
      expression: 'IF(requests > 0, 100 * (FILL(target5xx, 0) + FILL(lb5xx, 0)) / requests, 0)',
      usingMetrics: {
        requests: m.requestCount({ period, statistic: 'Sum' }),
        target5xx: m.httpCodeTarget(elbv2.HttpCodeTarget.TARGET_5XX_COUNT, { period, statistic: 'Sum' }),
        lb5xx: m.httpCodeElb(elbv2.HttpCodeElb.ELB_5XX_COUNT, { period, statistic: 'Sum' }),
      },
      label: '5xx responses (%)',
      period,
    });
    const alarms = [
      new cloudwatch.Alarm(this, 'ErrorRateAlarm', {
        alarmDescription: 'More than 5% of requests answered with a 5xx in 3 of the last 5 minutes.',
        metric: errorRate, threshold: 5, evaluationPeriods: 5, datapointsToAlarm: 3,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      }),
      new cloudwatch.Alarm(this, 'LatencyAlarm', {
        alarmDescription: 'p99 target response time above 2 seconds for 5 minutes.',
        metric: this.targetGroup.metrics.targetResponseTime({ period, statistic: 'p99' }),
        threshold: 2, evaluationPeriods: 5,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      }),
      new cloudwatch.Alarm(this, 'UnhealthyHostsAlarm', {
        alarmDescription: 'At least one target failed its health checks for 3 minutes.',
        metric: this.targetGroup.metrics.unhealthyHostCount({ period, statistic: 'Maximum' }),
        threshold: 1, evaluationPeriods: 3,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      }),
    ];
    return alarms.map((a) => notify(a, topic));
  }
}

/**
 * A bucket for ALB access logs: SSE-S3 (the only encryption ALB log delivery supports),
 * TLS-only, private, expiring after `days`, with a policy that admits the log delivery of the
 * stack's region — also when the region is unknown at synth time (aws-cdk-lib's
 * `logAccessLogs` needs it): regions older than August 2022 deliver as a regional ELB
 * account, newer ones as the log-delivery service principal.
 */
export function createAccessLogBucket(scope: Construct, id: string, days: number, removalPolicy: RemovalPolicy, prefix = ''): s3.Bucket {
  const bucket = new s3.Bucket(scope, id, {
    encryption: s3.BucketEncryption.S3_MANAGED,
    enforceSSL: true,
    blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
    objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
    versioned: true,
    lifecycleRules: [{ expiration: Duration.days(days), noncurrentVersionExpiration: Duration.days(7) }],
    removalPolicy: removalPolicy === RemovalPolicy.DESTROY ? RemovalPolicy.DESTROY : RemovalPolicy.RETAIN,
  });
  bucket.addToResourcePolicy(new iam.PolicyStatement({
    actions: ['s3:PutObject'],
    principals: [logDeliveryPrincipal(scope)],
    resources: [bucket.arnForObjects(`${prefix ? `${prefix}/` : ''}AWSLogs/${Aws.ACCOUNT_ID}/*`)],
  }));
  Validations.of(bucket).acknowledge({
    id: 'AwsSolutions::AwsSolutions-S1',
    reason: 'This bucket holds load balancer access logs; logging access to the log bucket itself would only log the log delivery.',
  });
  return bucket;
}

const LOG_DELIVERY_SERVICE = 'logdelivery.elasticloadbalancing.amazonaws.com';

class LogDeliveryPrincipal extends iam.PrincipalBase {
  constructor(private readonly json: { [key: string]: string[] }) {
    super();
  }
  public get policyFragment(): iam.PrincipalPolicyFragment {
    return new iam.PrincipalPolicyFragment(this.json);
  }
  public dedupeString(): string | undefined {
    return undefined;
  }
  public toString(): string {
    return 'LogDeliveryPrincipal';
  }
}

/** Who delivers ALB access logs in the stack's region, resolved at deploy time when the region is unknown. */
function logDeliveryPrincipal(scope: Construct): iam.IPrincipal {
  const stack = Stack.of(scope);
  if (!Token.isUnresolved(stack.region)) {
    const account = RegionInfo.get(stack.region).elbv2Account;
    return account ? new iam.AccountPrincipal(account) : new iam.ServicePrincipal(LOG_DELIVERY_SERVICE);
  }
  const mapId = 'WebTiersElbLogDelivery';
  const mapping = (stack.node.tryFindChild(mapId) as CfnMapping | undefined) ?? new CfnMapping(stack, mapId, {
    mapping: Object.fromEntries(RegionInfo.regions.map((r) => [r.name, { account: r.elbv2Account ?? 'none' }])),
  });
  const account = mapping.findInMap(Aws.REGION, 'account');
  const conditionId = 'WebTiersElbLogDeliveryByAccount';
  const byAccount = (stack.node.tryFindChild(conditionId) as CfnCondition | undefined) ?? new CfnCondition(stack, conditionId, {
    expression: Fn.conditionNot(Fn.conditionEquals(account, 'none')),
  });
  return new LogDeliveryPrincipal({
    // Outside the regions with an ELB account, the own account root stands in (it already has access).
    AWS: [Fn.conditionIf(byAccount.logicalId, `arn:${Aws.PARTITION}:iam::${account}:root`, `arn:${Aws.PARTITION}:iam::${Aws.ACCOUNT_ID}:root`).toString()],
    Service: [LOG_DELIVERY_SERVICE],
  });
}
