import { COST_HINT, type CostHint } from '../../constructs/shared/cost-hints';
import { amount, defaultPriceTable, Meter, PriceBook, type PriceRow, type PriceTable } from './prices';
import {
  GB, HOURS_PER_MONTH, hourlyRates, resolveAssumptions, resolveTraffic,
  type CostAssumptions, type ResolvedAssumptions, type ResolvedTraffic, type TrafficProfile,
} from './profile';
import { arr, beanstalkOptions, isToken, num, refTarget, references, str, TemplateIndex, type CfnResourceJson, type CfnTemplate } from './template';

export interface EstimateOptions {
  /** The traffic the month brings. */
  readonly traffic: TrafficProfile;
  /**
   * The region whose prices apply: the stack's own when the template is for a fixed region.
   * @default 'us-east-1'
   */
  readonly region?: string;
  /** What the estimate assumes where neither the template nor the traffic says. */
  readonly assumptions?: CostAssumptions;
  /** Subtract AWS's free tiers (the always-free ones and, where a row says so, the first year's). @default false */
  readonly includeFreeTier?: boolean;
  /** @default - the table shipped with the library */
  readonly prices?: PriceTable;
}

/** One line of an estimate: a resource, what of it is charged, the arithmetic and the sum. */
export interface CostLine {
  /** The resource's logical id. */
  readonly resource: string;
  readonly type: string;
  /** What is charged, e.g. 'instance hours', 'storage'. */
  readonly item: string;
  /** A month's cost in USD; undefined when it is not priced (never silently zero). */
  readonly monthlyUsd?: number;
  /** How the sum comes about, or why there is none. */
  readonly formula: string;
  /** The ids of the price rows behind it. */
  readonly prices: string[];
}

/** How a server group is sized for the traffic. */
export interface ServerSizing {
  readonly resource: string;
  readonly instanceType: string;
  readonly min: number;
  readonly max: number;
  /** Instance-hours over the month. */
  readonly instanceHours: number;
  /** Instances the busiest hour needs, before `max` caps it. */
  readonly peakInstancesNeeded: number;
  /** Requests a month the group serves at most: beyond, the busiest hour needs more than `max` at 100 % CPU. */
  readonly capacityRequestsPerMonth: number;
  /** True when the traffic is over that capacity. */
  readonly saturated: boolean;
  /** How it scales: 'fixed', or the metric and warm-up of its scaling. */
  readonly scaling: ServerScaling;
}

/** How a server group scales: 'fixed', or 'metric' with the metrics and warm-up of its policies. */
export interface ServerScaling {
  readonly kind: string;
  readonly metrics: string[];
  readonly warmupSeconds: number;
  /** How quickly it reacts, in words: an instance warm-up, or how long a metric must breach. */
  readonly reaction: string;
}

/** A function that serves requests. */
export interface ServingFunction {
  readonly resource: string;
  readonly memoryMB: number;
  /** Environments kept warm by provisioned concurrency. */
  readonly provisioned: number;
}

export interface CostEstimate {
  readonly region: string;
  readonly traffic: ResolvedTraffic;
  readonly assumptions: ResolvedAssumptions;
  readonly includeFreeTier: boolean;
  readonly lines: CostLine[];
  /** The sum of the priced lines. */
  readonly totalUsd: number;
  /** Lines that are not priced. */
  readonly notPriced: CostLine[];
  readonly servers: ServerSizing[];
  /** Functions that serve requests, with their memory and whether provisioned concurrency keeps them warm. */
  readonly functions: ServingFunction[];
  /** Every price row used, for tracing a line to its source. */
  readonly rows: PriceRow[];
  readonly priceTableVersion: string;
}

/** Types with no charge of their own, each with the price row that says so and why. */
const NO_CHARGE: Record<string, [string, string]> = {};
function noCharge(row: string, why: string, ...types: string[]): void {
  for (const t of types) NO_CHARGE[t] = [row, why];
}
noCharge('vpc.base', 'no charge for the VPC, its subnets, routes, gateways and security groups',
  'AWS::EC2::VPC', 'AWS::EC2::Subnet', 'AWS::EC2::RouteTable', 'AWS::EC2::SubnetRouteTableAssociation', 'AWS::EC2::Route',
  'AWS::EC2::InternetGateway', 'AWS::EC2::VPCGatewayAttachment', 'AWS::EC2::SecurityGroup', 'AWS::EC2::SecurityGroupIngress',
  'AWS::EC2::SecurityGroupEgress', 'AWS::EC2::NetworkAcl', 'AWS::EC2::NetworkAclEntry', 'AWS::EC2::SubnetNetworkAclAssociation',
  'AWS::EC2::FlowLog', 'AWS::EC2::EgressOnlyInternetGateway', 'AWS::EC2::VPCCidrBlock');
noCharge('iam', 'no charge for IAM', 'AWS::IAM::Role', 'AWS::IAM::Policy', 'AWS::IAM::ManagedPolicy', 'AWS::IAM::InstanceProfile');
noCharge('cloudformation', 'configuration: no charge of its own; what it configures is priced on its own line',
  'AWS::EC2::LaunchTemplate', 'AWS::AutoScaling::ScalingPolicy', 'AWS::AutoScaling::LifecycleHook', 'AWS::AutoScaling::ScheduledAction',
  'AWS::ElasticLoadBalancingV2::Listener', 'AWS::ElasticLoadBalancingV2::ListenerRule', 'AWS::ElasticLoadBalancingV2::ListenerCertificate',
  'AWS::ElasticLoadBalancingV2::TargetGroup', 'AWS::Lambda::Permission', 'AWS::Lambda::Version', 'AWS::Lambda::Url',
  'AWS::Lambda::EventInvokeConfig', 'AWS::Lambda::LayerVersion', 'AWS::ApiGatewayV2::Integration', 'AWS::ApiGatewayV2::Route',
  'AWS::ApiGatewayV2::Stage', 'AWS::ApiGatewayV2::DomainName', 'AWS::ApiGatewayV2::ApiMapping', 'AWS::S3::BucketPolicy',
  'AWS::SNS::TopicPolicy', 'AWS::SNS::Subscription', 'AWS::SecretsManager::SecretTargetAttachment', 'AWS::SecretsManager::ResourcePolicy',
  'AWS::SecretsManager::RotationSchedule', 'AWS::RDS::DBSubnetGroup', 'AWS::RDS::DBParameterGroup', 'AWS::RDS::DBClusterParameterGroup',
  'AWS::RDS::OptionGroup', 'AWS::RDS::DBProxyTargetGroup', 'AWS::CloudFront::OriginAccessControl', 'AWS::CloudFront::CachePolicy', 'AWS::CloudFront::OriginRequestPolicy',
  'AWS::CloudFront::ResponseHeadersPolicy', 'AWS::CDK::Metadata', 'AWS::ElasticBeanstalk::Application',
  'AWS::ElasticBeanstalk::ApplicationVersion', 'AWS::ElasticBeanstalk::ConfigurationTemplate', 'AWS::KMS::Alias',
  'AWS::CloudFormation::WaitCondition', 'AWS::CloudFormation::WaitConditionHandle', 'AWS::SSM::Parameter', 'AWS::Logs::ResourcePolicy');
noCharge('codedeploy.lambda', 'no charge for CodeDeploy deployments to Lambda',
  'AWS::CodeDeploy::Application', 'AWS::CodeDeploy::DeploymentGroup', 'AWS::CodeDeploy::DeploymentConfig');
noCharge('dlm', 'no charge for Data Lifecycle Manager; the snapshots it keeps are priced on this line', 'AWS::DLM::LifecyclePolicy');
noCharge('acm.public-certificate', 'no charge for public ACM certificates', 'AWS::CertificateManager::Certificate');
noCharge('budgets.budget', 'no charge for a budget without actions', 'AWS::Budgets::Budget');
noCharge('elasticbeanstalk', 'no charge for Elastic Beanstalk itself; what the environment runs is priced on its lines', 'AWS::ElasticBeanstalk::Environment');
noCharge('eventbridge.aws-events', 'no charge for a rule on AWS service events (such as alarm state changes) on the default bus', 'AWS::Events::Rule');
noCharge('vpc.gateway-endpoint', 'no charge for gateway endpoints (S3, DynamoDB)', 'AWS::EC2::VPCEndpoint');

/**
 * How a scaling group is sized from the request rate: by its CPU target, by its requests-per-
 * instance target, or (a metric requests do not drive, such as memory) as if by CPU at 60 %.
 */
interface ScalingTarget {
  readonly cpuPercent?: number;
  readonly requestsPerMinute?: number;
  /** Set when the sizing is an assumption, naming the metric it stands in for. */
  readonly assumedFor?: string;
}

/** What the template and traffic say about one server group, before it is priced. */
interface ServerGroup {
  /** Where its lines go: one resource, or each instance of a fixed set. */
  readonly resources: string[];
  readonly type: string;
  readonly instanceType?: string;
  readonly min: number;
  readonly max: number;
  /** What each instance takes before another is added: a CPU share, or requests a minute. */
  readonly target?: ScalingTarget;
  readonly metrics: string[];
  readonly warmupSeconds: number;
  readonly reaction: string;
  readonly rootGiB: number;
  readonly rootAssumed: boolean;
  readonly rootType: string;
  readonly publicIp: boolean;
  readonly detailedMonitoring: boolean;
  readonly agent?: CostHint;
  readonly appLogGroups: string[];
  /** Answers the internet itself (no load balancer in front): data transfer out is on it. */
  readonly front: boolean;
  /** The load balancer target groups in the template that send it requests. */
  readonly targetGroups: string[];
}

/** A backend's share of the month's requests, and how it came about (for the formulas). */
interface Share {
  readonly fraction: number;
  /** Set when a weighted listener rule decided it: the rules, weights and path shares used. */
  readonly routed?: string;
}

/** Part of a listener's requests on its way to a target group: how much, and by which rule. */
interface Route {
  readonly fraction: number;
  /** False when the load balancer answers itself (a redirect, a fixed response) or the listener is not in the template. */
  readonly forwarded: boolean;
  /** The target group; undefined when the load balancer answers itself, or the group is not in the template. */
  readonly targetGroup?: string;
  readonly how: string;
}

/** RDS Proxy's minimum billed capacity: 2 vCPUs of a DB instance, 8 ACUs of an Aurora Serverless v2 cluster. */
const PROXY_MIN_VCPUS = 2;
const PROXY_MIN_ACUS = 8;
/** Processed bytes in one LCU-hour of an application load balancer: 1 GB to instances or IPs, 0.4 GB to Lambda targets. */
const LCU_GB_INSTANCE = 1;
const LCU_GB_LAMBDA = 0.4;

/** 0.25 → '25 %' */
function percent(fraction: number): string {
  return `${amount(fraction * 100)} %`;
}

function minutes(seconds: number): string {
  return String(Math.round(seconds / 60 * 10) / 10);
}

/**
 * Prices a synthesized template for a month of traffic: one line per resource and item, with the
 * formula and the price rows behind it. Server tiers are sized hour by hour from the traffic and
 * their scaling settings; serverless tiers are priced from requests × duration × memory. A type
 * the estimator cannot price gets a line saying so, never a silent zero.
 */
export function estimateCost(template: CfnTemplate, options: EstimateOptions): CostEstimate {
  return new Estimator(template, options).run();
}

class Estimator {
  private readonly t: TemplateIndex;
  private readonly book: PriceBook;
  private readonly meter: Meter;
  private readonly traffic: ResolvedTraffic;
  private readonly a: ResolvedAssumptions;
  private readonly rates: number[];
  private readonly lines: CostLine[] = [];
  private readonly used = new Map<string, PriceRow>();
  private readonly servers: ServerSizing[] = [];
  private readonly region: string;
  /** The share of requests each backend (a server group's first resource, or a serving function) takes. */
  private readonly shares: Map<string, Share>;
  /** True when weighted listener rules decided the shares (else: an even split between backends). */
  private readonly routed: boolean;
  private readonly serving: Map<string, { provisioned: number }>;
  private readonly groups: ServerGroup[];
  /** Instance-hours per app log group, for the system logs and agent lines. */
  private readonly logGroupLoad = new Map<string, { requests: number; instanceHours: number }>();
  private spareEipHours: number;

  constructor(template: CfnTemplate, private readonly options: EstimateOptions) {
    this.traffic = resolveTraffic(options.traffic);
    this.a = resolveAssumptions(options.assumptions);
    this.region = options.region ?? 'us-east-1';
    this.t = new TemplateIndex(template);
    this.book = new PriceBook(options.prices ?? defaultPriceTable(), this.region);
    this.meter = new Meter(options.includeFreeTier ?? false);
    this.rates = hourlyRates(this.traffic);
    this.serving = this.servingFunctions();
    this.groups = this.serverGroups();
    const routing = this.routeRequests();
    this.routed = routing !== undefined;
    this.shares = routing ?? this.evenShares();
    // An Elastic IP no NAT gateway holds belongs to an instance that associates it, in place of the
    // address the instance would be given at launch.
    const natEips = new Set(this.t.ofType('AWS::EC2::NatGateway').map(([, r]) => refTarget(r.Properties?.AllocationId)));
    this.natEips = natEips;
    const associated = new Set(this.t.ofType('AWS::EC2::EIPAssociation').map(([, r]) => refTarget(r.Properties?.AllocationId) ?? refTarget(r.Properties?.EIP)));
    this.spareEipHours = this.t.ofType('AWS::EC2::EIP')
      .filter(([id, r]) => !natEips.has(id) && !r.Properties?.InstanceId && !associated.has(id)).length * HOURS_PER_MONTH;
    // Origins of a distribution send their responses to CloudFront, not to the internet.
    this.behindCdn = new Set(this.t.ofType('AWS::CloudFront::Distribution').flatMap(([, r]) => [...references(r.Properties?.DistributionConfig?.Origins)]));
  }

  private readonly natEips: Set<string | undefined>;
  private readonly behindCdn: Set<string>;

  public run(): CostEstimate {
    for (const group of this.groups) this.priceServerGroup(group);
    const handled = new Set(this.groups.flatMap((g) => g.resources));
    for (const [id, r] of this.t.resources) {
      if (handled.has(id)) continue;
      this.priceResource(id, r);
    }
    const priced = this.lines.filter((l) => l.monthlyUsd !== undefined);
    return {
      region: this.region,
      traffic: this.traffic,
      assumptions: this.a,
      includeFreeTier: this.options.includeFreeTier ?? false,
      lines: this.lines,
      totalUsd: priced.reduce((sum, l) => sum + l.monthlyUsd!, 0),
      notPriced: this.lines.filter((l) => l.monthlyUsd === undefined),
      servers: this.servers,
      functions: [...this.serving].map(([resource, s]) => ({
        resource, memoryMB: num(this.t.get(resource)?.Properties?.MemorySize) ?? 128, provisioned: s.provisioned,
      })),
      rows: [...this.used.values()],
      priceTableVersion: (this.options.prices ?? defaultPriceTable()).version,
    };
  }

  // ---- lines ----

  /**
   * A priced line: `quantity` units of row `rowId`, with `how` explaining the quantity. `unit`
   * names the unit counted where the row prices two alike (RDS Proxy: vCPU-hours and ACU-hours).
   */
  private charge(resource: string, item: string, rowId: string, quantity: number, how?: string, freeTier = true, unit?: string): void {
    const type = this.t.get(resource)?.Type ?? '';
    const row = this.book.row(rowId);
    if (!row) {
      this.notPriced(resource, item, `the price table has no '${rowId}' for ${this.region}`);
      return;
    }
    this.used.set(row.id, row);
    const c = this.meter.charge(unit ? { ...row, unit } : row, quantity, freeTier);
    this.lines.push({ resource, type, item, monthlyUsd: c.usd, formula: how ? `${how}: ${c.formula}` : c.formula, prices: [row.id] });
  }

  /** A line that costs nothing, citing the row that says so. */
  private free(resource: string, item: string, rowId: string, why: string): void {
    const row = this.book.row(rowId);
    if (!row) {
      this.notPriced(resource, item, `the price table has no '${rowId}' for ${this.region}`);
      return;
    }
    this.used.set(row.id, row);
    this.lines.push({ resource, type: this.t.get(resource)?.Type ?? '', item, monthlyUsd: 0, formula: why, prices: [row.id] });
  }

  private notPriced(resource: string, item: string, reason: string): void {
    this.lines.push({ resource, type: this.t.get(resource)?.Type ?? '', item, formula: `not priced: ${reason}`, prices: [] });
  }

  // ---- what serves requests ----

  /** Functions that API Gateway, a function URL or a load balancer invokes per request. */
  private servingFunctions(): Map<string, { provisioned: number }> {
    const found = new Map<string, { provisioned: number }>();
    const add = (ref: string | undefined) => {
      const fn = this.t.functionOf(ref);
      if (fn && !found.has(fn)) found.set(fn, { provisioned: 0 });
    };
    for (const [, r] of this.t.ofType('AWS::ApiGatewayV2::Integration')) add(refTarget(r.Properties?.IntegrationUri));
    for (const [, r] of this.t.ofType('AWS::ApiGateway::Method')) for (const ref of references(r.Properties?.Integration?.Uri)) add(ref);
    for (const [, r] of this.t.ofType('AWS::Lambda::Url')) add(refTarget(r.Properties?.TargetFunctionArn));
    for (const [, r] of this.t.ofType('AWS::ElasticLoadBalancingV2::TargetGroup')) {
      if (r.Properties?.TargetType === 'lambda') for (const target of arr(r.Properties?.Targets) ?? []) add(refTarget(target?.Id));
    }
    for (const [id, r] of this.t.ofType('AWS::Lambda::Alias', 'AWS::Lambda::Version')) {
      const fn = this.t.functionOf(r.Type === 'AWS::Lambda::Alias' ? refTarget(r.Properties?.FunctionName) : id);
      const pc = num(r.Properties?.ProvisionedConcurrencyConfig?.ProvisionedConcurrentExecutions);
      if (fn && found.has(fn) && pc) found.get(fn)!.provisioned += pc;
    }
    return found;
  }

  /** Auto Scaling groups, instances behind a load balancer and Beanstalk environments. */
  private serverGroups(): ServerGroup[] {
    const groups: ServerGroup[] = [];
    for (const [id, r] of this.t.ofType('AWS::AutoScaling::AutoScalingGroup')) {
      const p = r.Properties ?? {};
      const lt = this.t.get(refTarget(p.LaunchTemplate?.LaunchTemplateId ?? p.MixedInstancesPolicy?.LaunchTemplate?.LaunchTemplateSpecification?.LaunchTemplateId));
      const policies = this.t.referrersOf(id, 'AWS::AutoScaling::ScalingPolicy').map((pid) => this.t.get(pid)!.Properties ?? {});
      const metrics: string[] = [];
      let target: ScalingTarget | undefined;
      let warmup = num(p.DefaultInstanceWarmup);
      for (const policy of policies) {
        const tt = policy.TargetTrackingConfiguration;
        const metric = String(tt?.PredefinedMetricSpecification?.PredefinedMetricType ?? tt?.CustomizedMetricSpecification?.MetricName ?? policy.PolicyType ?? 'a scaling policy');
        metrics.push(metric);
        if (metric === 'ASGAverageCPUUtilization' && num(tt.TargetValue)) target = { cpuPercent: num(tt.TargetValue) };
        else if (metric === 'ALBRequestCountPerTarget' && num(tt.TargetValue) && !target) target = { requestsPerMinute: num(tt.TargetValue) };
        warmup ??= num(policy.EstimatedInstanceWarmup);
      }
      if (metrics.length && !target) target = { cpuPercent: 60, assumedFor: metrics.join(', ') };
      const min = num(p.MinSize) ?? 1;
      const data = (lt?.Properties?.LaunchTemplateData ?? {}) as any;
      const interfaces = arr(data.NetworkInterfaces) ?? [];
      // Subnets that give instances a public address at launch do so without a network interface saying it.
      const publicSubnets = (arr(p.VPCZoneIdentifier) ?? []).some((subnet) => String(this.t.get(refTarget(subnet))?.Properties?.MapPublicIpOnLaunch) === 'true');
      const warmupSeconds = warmup ?? num(p.DefaultCooldown) ?? 300;
      groups.push({
        resources: [id], type: r.Type, instanceType: str(data.InstanceType), min, max: num(p.MaxSize) ?? min, target, metrics,
        warmupSeconds, reaction: `a new instance counts after ${minutes(warmupSeconds)} min warm-up`,
        ...this.rootVolume(data.BlockDeviceMappings),
        publicIp: interfaces.some((n: any) => String(n?.AssociatePublicIpAddress) === 'true') || (interfaces.length === 0 && publicSubnets),
        detailedMonitoring: String(data.Monitoring?.Enabled) === 'true',
        ...this.agentOf(data.UserData),
        front: p.TargetGroupARNs === undefined || arr(p.TargetGroupARNs)?.length === 0,
        targetGroups: [...references(p.TargetGroupARNs)].filter((x) => this.t.get(x)?.Type === 'AWS::ElasticLoadBalancingV2::TargetGroup'),
      });
    }
    // Instances registered in a target group: a fixed set each group.
    for (const [tgId, tg] of this.t.ofType('AWS::ElasticLoadBalancingV2::TargetGroup')) {
      const members = (arr(tg.Properties?.Targets) ?? []).map((x: any) => refTarget(x?.Id))
        .filter((x): x is string => this.t.get(x)?.Type === 'AWS::EC2::Instance');
      if (members.length === 0) continue;
      const first = this.t.get(members[0])!.Properties ?? {};
      groups.push({
        resources: members, type: 'AWS::EC2::Instance', instanceType: str(first.InstanceType), min: members.length, max: members.length,
        metrics: [], warmupSeconds: 0, reaction: '', ...this.rootVolume(first.BlockDeviceMappings), publicIp: false,
        detailedMonitoring: first.Monitoring === true, ...this.agentOf(first.UserData), front: false, targetGroups: [tgId],
      });
    }
    for (const [id, r] of this.t.ofType('AWS::ElasticBeanstalk::Environment')) {
      const o = beanstalkOptions(r);
      const single = o.get('aws:elasticbeanstalk:environment:EnvironmentType') === 'SingleInstance';
      const min = single ? 1 : num(o.get('aws:autoscaling:asg:MinSize')) ?? 1;
      const measure = str(o.get('aws:autoscaling:trigger:MeasureName')) ?? 'NetworkOut';
      const upper = num(o.get('aws:autoscaling:trigger:UpperThreshold'));
      const rootGiB = num(o.get('aws:autoscaling:launchconfiguration:RootVolumeSize'));
      const breach = (num(o.get('aws:autoscaling:trigger:BreachDuration')) ?? 5) * 60;
      groups.push({
        resources: [id], type: r.Type, instanceType: str(o.get('aws:ec2:instances:InstanceTypes'))?.split(',')[0]?.trim(),
        min, max: single ? 1 : num(o.get('aws:autoscaling:asg:MaxSize')) ?? 4,
        target: single ? undefined : measure === 'CPUUtilization' && upper ? { cpuPercent: upper } : { cpuPercent: 60, assumedFor: measure },
        metrics: single ? [] : [measure],
        warmupSeconds: breach, reaction: `it adds instances once the metric has breached for ${minutes(breach)} min`,
        rootGiB: rootGiB ?? 8, rootAssumed: rootGiB === undefined,
        rootType: str(o.get('aws:autoscaling:launchconfiguration:RootVolumeType')) ?? 'gp2',
        // A single-instance environment's address is its Elastic IP, priced with the environment's extras.
        publicIp: false,
        detailedMonitoring: str(o.get('aws:autoscaling:launchconfiguration:MonitoringInterval')) === '1 minute',
        appLogGroups: [],
        front: single,
        targetGroups: [],
      });
    }
    return groups;
  }

  private rootVolume(mappings: any): Pick<ServerGroup, 'rootGiB' | 'rootAssumed' | 'rootType'> {
    const root = (arr(mappings) ?? []).find((m: any) => m?.Ebs);
    const size = num(root?.Ebs?.VolumeSize);
    return { rootGiB: size ?? 8, rootAssumed: size === undefined, rootType: str(root?.Ebs?.VolumeType) ?? 'gp3' };
  }

  /** The CloudWatch agent's log groups and metrics, from the cost hint of a log group the user data names. */
  private agentOf(userData: unknown): Pick<ServerGroup, 'agent' | 'appLogGroups'> {
    const appLogGroups: string[] = [];
    let agent: CostHint | undefined;
    for (const ref of references(userData)) {
      const hint = this.hintOf(ref);
      if (hint?.logs === 'app') {
        appLogGroups.push(ref);
        agent = hint;
      }
    }
    return { agent, appLogGroups };
  }

  private hintOf(id: string): CostHint | undefined {
    return this.t.get(id)?.Metadata?.[COST_HINT];
  }

  // ---- how requests are split between backends ----

  /** Without weighted rules: each backend (server group or serving function) takes an even share. */
  private evenShares(): Map<string, Share> {
    const keys = [...this.groups.map((g) => g.resources[0]), ...this.serving.keys()];
    return new Map(keys.map((k) => [k, { fraction: 1 / keys.length }]));
  }

  private shareOf(key: string): number {
    return this.shares.get(key)?.fraction ?? 0;
  }

  /** How a backend's share came about, for its lines: the rules and weights when they decided it. */
  private shareText(key: string): string {
    const s = this.shares.get(key);
    if (!s) return '';
    if (s.routed !== undefined) return `${percent(s.fraction)} of requests: ${s.routed}`;
    return s.fraction < 1 ? `${percent(s.fraction)} of requests` : '';
  }

  /**
   * The split the load balancer's weights make, when a listener rule (or a listener's default
   * action) forwards to weighted target groups (`ForwardConfig.TargetGroups`); undefined when none
   * does, and the even split stands. Each such listener is one way in, and so is each backend no
   * such listener reaches (a function behind API Gateway, another group): the ways in take even
   * shares, as backends did before. Within a listener, rules take their requests in priority order
   * (`matchOf`), the default action the rest, and a forward splits its part by the weights, a
   * target group's part going evenly to the groups or functions registered in it.
   */
  private routeRequests(): Map<string, Share> | undefined {
    const rules = this.t.ofType('AWS::ElasticLoadBalancingV2::ListenerRule');
    const listenerOf = (r: CfnResourceJson) => refTarget(r.Properties?.ListenerArn) ?? JSON.stringify(r.Properties?.ListenerArn ?? null);
    const routers = new Set<string>();
    for (const [, r] of rules) if (this.forwardOf(r.Properties?.Actions)?.weighted) routers.add(listenerOf(r));
    for (const [id, l] of this.t.ofType('AWS::ElasticLoadBalancingV2::Listener')) if (this.forwardOf(l.Properties?.DefaultActions)?.weighted) routers.add(id);
    if (routers.size === 0) return undefined;

    const rulesOf = (l: string) => rules.filter(([, r]) => listenerOf(r) === l);
    const routes = new Map([...routers].map((l) => [l, this.routesOf(l, rulesOf(l))]));
    // Behind a weighted listener is whatever any of its actions names, whether or not requests get there.
    const named = [...routers].flatMap((l) => [this.t.get(l)?.Properties?.DefaultActions, ...rulesOf(l).map(([, r]) => r.Properties?.Actions)]);
    const reached = new Set(named.flatMap((actions) => this.forwardOf(actions)?.groups ?? []).flatMap((g) => this.backendsOf(g.targetGroup)));
    const others = [...this.groups.map((g) => g.resources[0]), ...this.serving.keys()].filter((k) => !reached.has(k));
    const ways = routers.size + others.length;
    const each = 1 / ways;
    const parts = new Map<string, Array<{ fraction: number; how: string }>>();
    for (const [listener, list] of routes) {
      const way = ways > 1 ? `, of the ${percent(each)} ${this.t.get(listener) ? listener : 'its listener'} takes as one of ${ways} ways in` : '';
      for (const route of list) {
        const backends = this.backendsOf(route.targetGroup);
        for (const b of backends) {
          parts.set(b, [...(parts.get(b) ?? []), { fraction: each * route.fraction / backends.length, how: `${route.how} to ${route.targetGroup}${backends.length > 1 ? ` (shared by ${backends.length})` : ''}${way}` }]);
        }
      }
    }
    const shares = new Map<string, Share>();
    for (const [b, list] of parts) {
      const fraction = list.reduce((sum, x) => sum + x.fraction, 0);
      shares.set(b, { fraction, routed: list.length > 1 ? list.map((x) => `${x.how} (${percent(x.fraction)})`).join('; ') : list[0].how });
    }
    for (const b of reached) if (!shares.has(b)) shares.set(b, { fraction: 0, routed: 'none reach it: the rules before its target group take them all' });
    for (const k of others) shares.set(k, { fraction: each, routed: `an even share of ${ways} ways in (no weighted rule reaches it)` });
    return shares;
  }

  /**
   * Where a listener's requests go: its rules in priority order, each taking the share of the
   * requests left that its conditions match, then its default action the rest.
   */
  private routesOf(listener: string, rules: Array<[string, CfnResourceJson]>): Route[] {
    const priority = (r: CfnResourceJson) => num(r.Properties?.Priority) ?? Number.MAX_SAFE_INTEGER;
    const ordered = [...rules].sort(([, a], [, b]) => priority(a) - priority(b));
    const routes: Route[] = [];
    let left = 1;
    for (const [id, r] of ordered) {
      if (left <= 1e-12) break;
      const match = this.matchOf(r.Properties?.Conditions);
      const taken = left * match.fraction;
      if (taken > 0) routes.push(...this.forwarded(r.Properties?.Actions, taken, `rule ${id} (${match.how})`));
      left -= taken;
    }
    if (left > 1e-12) {
      const l = this.t.get(listener);
      const rest = ordered.length ? ` (the ${percent(left)} no rule took)` : '';
      if (l?.Type === 'AWS::ElasticLoadBalancingV2::Listener') routes.push(...this.forwarded(l.Properties?.DefaultActions, left, `${listener}'s default action${rest}`));
      else routes.push({ fraction: left, forwarded: false, how: `the default action of a listener outside this template${rest}` });
    }
    return routes;
  }

  /**
   * The share of the requests reaching a rule that its conditions match: all of them for a path
   * pattern of '/*' (or no condition); `assumptions.routedShare` for a narrower pattern or any
   * other condition (host, header, method, query, source), whose share a template cannot tell.
   */
  private matchOf(conditions: unknown): { fraction: number; how: string } {
    const assumed = `assumptions.routedShare ${this.a.routedShare}`;
    const list = arr(conditions);
    if (conditions !== undefined && !list) return { fraction: this.a.routedShare, how: `conditions decided at deploy: ${assumed}` };
    if (!list || list.length === 0) return { fraction: 1, how: 'no conditions: every request' };
    const narrower: string[] = [];
    const paths: string[] = [];
    for (const c of list) {
      const field = str(c?.Field) ?? 'a deploy-time';
      if (field !== 'path-pattern') {
        narrower.push(`${field} condition`);
        continue;
      }
      const values = (arr(c.PathPatternConfig?.Values) ?? arr(c.Values) ?? []).map((v) => str(v) ?? 'a deploy-time value');
      paths.push(...values);
      if (!values.some((v) => v === '/*' || v === '*')) narrower.push(`path ${values.join(', ') || 'not given'}`);
    }
    if (narrower.length === 0) return { fraction: 1, how: `path ${paths.join(', ')}: every request` };
    return { fraction: this.a.routedShare, how: `${narrower.join(' and ')}: ${assumed}` };
  }

  /** A share of requests through a rule's or listener's actions: split by the forward's weights, or answered by the load balancer. */
  private forwarded(actions: unknown, fraction: number, how: string): Route[] {
    const f = this.forwardOf(actions);
    if (!f) return [{ fraction, forwarded: false, how: `${how}, answered by the load balancer (no forward action)` }];
    const total = f.groups.reduce((sum, g) => sum + g.weight, 0);
    if (total <= 0) return [{ fraction, forwarded: false, how: `${how}, every weight 0` }];
    return f.groups.map((g) => ({
      fraction: fraction * g.weight / total, forwarded: true, targetGroup: g.targetGroup,
      how: f.weighted ? `${how} × weight ${amount(g.weight)} of ${amount(total)}${f.assumed ? ' (the weights are deploy-time values: equal weights assumed)' : ''}` : how,
    }));
  }

  /**
   * The forward action of a rule's or listener's actions (authentication actions come before it):
   * its target groups and weights, `weighted` when it is a `ForwardConfig`; undefined when the
   * actions answer without forwarding (redirect, fixed response) or are a deploy-time value.
   */
  private forwardOf(actions: unknown): { groups: Array<{ targetGroup?: string; weight: number }>; weighted: boolean; assumed: boolean } | undefined {
    const forward = (arr(actions) ?? []).find((a: any) => str(a?.Type)?.toLowerCase() === 'forward');
    if (!forward) return undefined;
    const tg = (v: unknown) => {
      const id = refTarget(v);
      return this.t.get(id)?.Type === 'AWS::ElasticLoadBalancingV2::TargetGroup' ? id : undefined;
    };
    const config = arr(forward.ForwardConfig?.TargetGroups);
    if (config) {
      // A weight not given counts as 1; one decided at deploy leaves them all unknown: equal weights.
      const weights = config.map((g: any) => (g?.Weight === undefined ? 1 : num(g.Weight)));
      const assumed = weights.some((w) => w === undefined);
      return { weighted: true, assumed, groups: config.map((g: any, i) => ({ targetGroup: tg(g?.TargetGroupArn), weight: assumed ? 1 : weights[i]! })) };
    }
    return { weighted: false, assumed: false, groups: [{ targetGroup: tg(forward.TargetGroupArn), weight: 1 }] };
  }

  /** The backends a target group sends requests to: the functions it invokes, or the server groups registered in it. */
  private backendsOf(targetGroup: string | undefined): string[] {
    const tg = this.t.get(targetGroup);
    if (!targetGroup || !tg) return [];
    if (tg.Properties?.TargetType === 'lambda') {
      const fns = (arr(tg.Properties?.Targets) ?? []).map((x: any) => this.t.functionOf(refTarget(x?.Id))).filter((f): f is string => !!f && this.serving.has(f));
      return [...new Set(fns)];
    }
    return this.groups.filter((g) => g.targetGroups.includes(targetGroup)).map((g) => g.resources[0]);
  }

  /**
   * The share of a load balancer's requests its listeners forward to Lambda target groups (an LCU
   * holds 0.4 GB of processed bytes to Lambda, 1 GB to instances): averaged over the listeners that
   * forward at all (a listener that only redirects HTTP to HTTPS is left out).
   */
  private lambdaShareOf(loadBalancer: string): number {
    const rules = this.t.ofType('AWS::ElasticLoadBalancingV2::ListenerRule');
    const shares: number[] = [];
    for (const [id, l] of this.t.ofType('AWS::ElasticLoadBalancingV2::Listener')) {
      if (refTarget(l.Properties?.LoadBalancerArn) !== loadBalancer) continue;
      const routes = this.routesOf(id, rules.filter(([, r]) => refTarget(r.Properties?.ListenerArn) === id));
      if (!routes.some((r) => r.forwarded && r.fraction > 0)) continue;
      shares.push(routes.filter((r) => this.t.get(r.targetGroup)?.Properties?.TargetType === 'lambda').reduce((sum, r) => sum + r.fraction, 0));
    }
    return shares.length ? shares.reduce((a, b) => a + b, 0) / shares.length : 0;
  }

  // ---- server groups ----

  private priceServerGroup(g: ServerGroup): void {
    const resource = g.resources[0];
    const spec = g.instanceType ? this.book.instance(g.instanceType) : undefined;
    if (!g.instanceType || !spec) {
      for (const r of g.resources) {
        this.notPriced(r, 'instances', g.instanceType ? `no spec for instance type '${g.instanceType}' in the price table` : 'the instance type is not known at synth');
      }
      // What does not depend on the instances is still priced.
      if (g.front) this.dataOut(resource, 'data-transfer.out.internet');
      if (g.type === 'AWS::ElasticBeanstalk::Environment') this.priceBeanstalkExtras(resource, g.min * HOURS_PER_MONTH);
      return;
    }
    const share = this.shareOf(resource);
    const perVcpu = this.a.requestsPerVcpuSecond;
    const full = perVcpu * spec.vcpus;
    const scales = g.max > g.min && g.target !== undefined;
    const atTarget = g.target?.requestsPerMinute !== undefined ? g.target.requestsPerMinute / 60 : full * (g.target?.cpuPercent ?? 100) / 100;
    let instanceHours = 0;
    let busyVcpuHours = 0;
    let peakNeeded = 0;
    let saturatedHours = 0;
    for (const rate of this.rates) {
      const load = rate * share;
      const needed = Math.max(1, Math.ceil(load / atTarget - 1e-9));
      const n = scales ? Math.min(g.max, Math.max(g.min, needed)) : g.min;
      peakNeeded = Math.max(peakNeeded, scales ? needed : Math.ceil(load / full - 1e-9));
      instanceHours += n;
      // An instance is at most fully busy: beyond, requests queue or fail rather than burn credits.
      busyVcpuHours += Math.min(load / perVcpu, n * spec.vcpus);
      if (load > n * full) saturatedHours++;
    }
    const peakRate = this.rates[this.rates.length - 1];
    const capacity = share > 0 && peakRate > 0
      ? g.max * full * this.traffic.requestsPerMonth / (peakRate * share)
      : Infinity;
    this.servers.push({
      resource, instanceType: g.instanceType, min: g.min, max: g.max, instanceHours, peakInstancesNeeded: peakNeeded,
      capacityRequestsPerMonth: capacity, saturated: saturatedHours > 0,
      scaling: g.metrics.length && g.max > g.min
        ? { kind: 'metric', metrics: g.metrics, warmupSeconds: g.warmupSeconds, reaction: g.reaction }
        : { kind: 'fixed', metrics: [], warmupSeconds: 0, reaction: '' },
    });

    const each = g.resources.length > 1;
    const hoursEach = instanceHours / g.resources.length;
    const over = saturatedHours > 0
      ? `; over capacity: the busiest hour needs ${peakNeeded} at 100 % CPU, more than the ${g.max} it may run, above ${amount(capacity)} requests/month`
      : '';
    const by = g.target?.requestsPerMinute !== undefined
      ? `${amount(g.target.requestsPerMinute)} requests a minute per instance (its target)`
      : `${g.target?.cpuPercent} % CPU (${amount(perVcpu)} requests/s per vCPU × ${spec.vcpus} vCPU)${g.target?.assumedFor ? `, assumed: it scales on ${g.target.assumedFor}, which requests do not drive` : ''}`;
    const sized = scales
      ? `each hour's instances for its rate at ${by}, within ${g.min}–${g.max}, summed over ${HOURS_PER_MONTH} h = ${amount(instanceHours)} instance-hours${over}`
      : g.min === 1 || each ? (over ? over.slice(2) : undefined) : `${g.min} instances × ${HOURS_PER_MONTH} h${over}`;
    // Where weighted rules decided its share of the requests, the line says how.
    const sizing = this.routed ? [this.shareText(resource), sized].filter(Boolean).join('; ') : sized;
    for (const r of g.resources) this.charge(r, `instance hours (${g.instanceType})`, `ec2.instance.${g.instanceType}`, hoursEach, sizing);

    if (spec.baselinePercent !== undefined) {
      const baseline = spec.baselinePercent / 100 * spec.vcpus * instanceHours;
      const surplus = Math.max(0, busyVcpuHours - baseline);
      const family = g.instanceType.split('.')[0];
      const how = `busy ${amount(busyVcpuHours)} vCPU-h (requests ÷ ${amount(perVcpu)}/s) − baseline ${amount(baseline)} vCPU-h (${spec.baselinePercent} % of ${spec.vcpus} vCPU × ${amount(instanceHours)} h)`;
      if (surplus > 0) this.charge(resource, 'CPU credits above the burst baseline', `ec2.cpu-credits.${family}`, surplus, how);
      else this.free(resource, 'CPU credits above the burst baseline', `ec2.cpu-credits.${family}`, `${how} ≤ 0: within the baseline, no surplus credits`);
    }

    const rootRow = `ebs.${g.rootType}.storage`;
    const assumed = g.rootAssumed ? ' (size not set in the template: the image default of 8 GiB assumed)' : '';
    for (const r of g.resources) this.charge(r, 'root volume', rootRow, g.rootGiB * hoursEach / HOURS_PER_MONTH, `${g.rootGiB} GiB × ${amount(hoursEach)} h ÷ ${HOURS_PER_MONTH}${assumed}`);

    if (g.publicIp) {
      const held = Math.min(this.spareEipHours, instanceHours);
      this.spareEipHours -= held;
      const hours = instanceHours - held;
      if (hours > 0) this.charge(resource, 'public IPv4 addresses', 'vpc.public-ipv4', hours, `one per instance × ${amount(instanceHours)} h`);
      else this.free(resource, 'public IPv4 addresses', 'vpc.public-ipv4', "the instance's address is the template's Elastic IP, priced on its own line");
    }
    if (g.detailedMonitoring) {
      this.charge(resource, 'detailed monitoring', 'ec2.detailed-monitoring', 7 * instanceHours / HOURS_PER_MONTH, `7 metrics per instance × ${amount(instanceHours)} h ÷ ${HOURS_PER_MONTH}`);
    }
    if (g.agent && ((g.agent.metricsPerInstance ?? 0) + (g.agent.metricsPerGroup ?? 0)) > 0) {
      const perInstance = g.agent.metricsPerInstance ?? 0;
      const perGroup = g.agent.metricsPerGroup ?? 0;
      this.charge(resource, 'CloudWatch agent metrics', 'cloudwatch.metrics.custom', perInstance * instanceHours / HOURS_PER_MONTH + perGroup,
        `${perInstance} per instance × ${amount(instanceHours)} h ÷ ${HOURS_PER_MONTH}${perGroup ? ` + ${perGroup} per group` : ''}`);
    }
    for (const logGroup of g.appLogGroups) {
      const load = this.logGroupLoad.get(logGroup) ?? { requests: 0, instanceHours: 0 };
      this.logGroupLoad.set(logGroup, { requests: load.requests + this.traffic.requestsPerMonth * share, instanceHours: load.instanceHours + instanceHours });
    }
    const system = g.resources.length ? this.systemLogGroupsOf(g) : [];
    for (const logGroup of system) {
      const load = this.logGroupLoad.get(logGroup) ?? { requests: 0, instanceHours: 0 };
      this.logGroupLoad.set(logGroup, { requests: load.requests, instanceHours: load.instanceHours + instanceHours });
    }
    if (g.front) this.dataOut(resource, 'data-transfer.out.internet');
    if (g.type === 'AWS::ElasticBeanstalk::Environment') this.priceBeanstalkExtras(resource, instanceHours);
  }

  private systemLogGroupsOf(g: ServerGroup): string[] {
    const r = this.t.get(g.resources[0]);
    const lt = this.t.get(refTarget(r?.Properties?.LaunchTemplate?.LaunchTemplateId));
    const userData = lt?.Properties?.LaunchTemplateData?.UserData ?? r?.Properties?.UserData;
    return [...references(userData)].filter((id) => this.hintOf(id)?.logs === 'system');
  }

  /** What a Beanstalk environment creates outside the template: its load balancer and log groups. */
  private priceBeanstalkExtras(id: string, instanceHours: number): void {
    const o = beanstalkOptions(this.t.get(id)!);
    if (o.get('aws:elasticbeanstalk:environment:EnvironmentType') !== 'SingleInstance') {
      const lbType = str(o.get('aws:elasticbeanstalk:environment:LoadBalancerType')) ?? 'classic';
      if (String(o.get('aws:elasticbeanstalk:environment:LoadBalancerIsShared')) === 'true') {
        this.free(id, 'shared load balancer', 'elasticbeanstalk', 'the environment uses a shared load balancer, priced on its own line');
      } else if (lbType === 'application') {
        const subnets = str(o.get('aws:ec2:vpc:ELBSubnets'))?.split(',').length ?? (references(o.get('aws:ec2:vpc:ELBSubnets')).size || undefined);
        this.priceAlb(id, o.get('aws:ec2:vpc:ELBScheme') !== 'internal', subnets, ' (created by Beanstalk)');
      } else {
        this.notPriced(id, `${lbType} load balancer`, 'only application load balancers are in the price table');
      }
    } else {
      this.charge(id, 'Elastic IP of the single instance', 'vpc.public-ipv4', instanceHours, `one address × ${amount(instanceHours)} h`);
    }
    if (o.get('aws:elasticbeanstalk:cloudwatch:logs:StreamLogs') === 'true') {
      const days = num(o.get('aws:elasticbeanstalk:cloudwatch:logs:RetentionInDays')) ?? 7;
      const requests = this.traffic.requestsPerMonth * this.shareOf(id);
      this.logLines(id, 'streamed app logs', 'cloudwatch.logs.ingest', requests * this.a.logBytesPerRequest / GB,
        `${amount(requests)} requests × ${this.a.logBytesPerRequest} B`, days);
    }
    const config = str(o.get('aws:elasticbeanstalk:healthreporting:system:ConfigDocument'));
    if (config) {
      let metrics = 0;
      try {
        const doc = JSON.parse(config);
        for (const level of Object.values<any>(doc.CloudWatchMetrics ?? {})) metrics += Object.values(level ?? {}).filter((v) => v !== null).length;
      } catch {
        // an unreadable document publishes nothing we can count
      }
      if (metrics > 0) this.charge(id, 'enhanced health metrics', 'cloudwatch.metrics.custom', metrics, `${metrics} metrics in the health ConfigDocument`);
    }
  }

  // ---- other resources ----

  private priceResource(id: string, r: CfnResourceJson): void {
    const p = r.Properties ?? {};
    switch (r.Type) {
      case 'AWS::EC2::Instance': return this.priceStandaloneInstance(id, p);
      case 'AWS::EC2::Volume': return this.priceVolume(id, p);
      case 'AWS::DLM::LifecyclePolicy': return this.priceSnapshots(id, p);
      case 'AWS::EC2::EIP':
        // The free tier covers an address on an instance, not a NAT gateway's.
        return this.charge(id, 'public IPv4 address', 'vpc.public-ipv4', HOURS_PER_MONTH, undefined, !this.natEips.has(id));
      case 'AWS::EC2::NatGateway': return this.priceNatGateway(id);
      case 'AWS::EC2::VPCEndpoint': return this.priceEndpoint(id, p);
      case 'AWS::ElasticLoadBalancingV2::LoadBalancer': {
        if ((p.Type ?? 'application') !== 'application') return this.notPriced(id, `${p.Type} load balancer`, 'only application load balancers are in the price table');
        return this.priceAlb(id, p.Scheme !== 'internal', (arr(p.Subnets) ?? arr(p.SubnetMappings))?.length);
      }
      case 'AWS::RDS::DBInstance': return p.DBClusterIdentifier ? this.priceClusterMember(id, p) : this.priceDatabase(id, p);
      case 'AWS::RDS::DBCluster': return this.priceCluster(id, p);
      case 'AWS::RDS::DBProxy': return this.priceProxy(id);
      case 'AWS::Lambda::Function': return this.priceFunction(id, p);
      case 'AWS::Lambda::Alias':
      case 'AWS::Lambda::Version': {
        const pc = p.ProvisionedConcurrencyConfig?.ProvisionedConcurrentExecutions;
        if (pc !== undefined && num(pc) === undefined) return this.notPriced(id, 'provisioned concurrency', 'its amount is a deploy-time value');
        if (!num(pc)) return this.free(id, r.Type === 'AWS::Lambda::Alias' ? 'alias' : 'version', 'cloudformation', NO_CHARGE['AWS::Lambda::Version'][1]);
        return; // provisioned concurrency is priced on the function's lines
      }
      case 'AWS::Lambda::Url':
        if (this.behindCdn.has(id) || !this.serving.has(this.t.functionOf(refTarget(p.TargetFunctionArn)) ?? '')) {
          return this.free(id, 'function URL', 'cloudformation', 'no charge for the URL; responses to CloudFront are free, and the function is priced on its own line');
        }
        return this.dataOut(id, 'data-transfer.out.internet');
      case 'AWS::EC2::EIPAssociation':
        return this.free(id, 'configuration', 'vpc.base', 'no charge for the association; the address is priced on its own line');
      case 'AWS::ApiGatewayV2::Api': return this.priceApi(id, p.ProtocolType === 'HTTP' ? 'apigw.http.requests' : undefined, p.ProtocolType);
      case 'AWS::ApiGateway::RestApi': return this.priceApi(id, 'apigw.rest.requests', 'REST');
      case 'AWS::CloudFront::Distribution': return this.priceDistribution(id);
      case 'AWS::S3::Bucket': return this.priceBucket(id, p);
      case 'AWS::DynamoDB::Table':
      case 'AWS::DynamoDB::GlobalTable': return this.priceTable(id, r.Type, p);
      case 'AWS::SecretsManager::Secret':
        return this.charge(id, 'secret', 'secretsmanager.secret', 1, '1 secret (API calls at boot and rotation: a few a month, left out)');
      case 'AWS::KMS::Key':
        return this.charge(id, 'customer managed key', 'kms.key', 1, '1 key (requests: services cache data keys, left out)');
      case 'AWS::SNS::Topic':
        return this.free(id, 'topic', 'sns.email', 'no charge for the topic; notifications are charged per message, and alarm emails stay within the free 1,000 a month');
      case 'AWS::CloudWatch::Alarm': return this.priceAlarm(id, p);
      case 'AWS::Logs::LogGroup': return this.priceLogGroup(id, p);
      case 'AWS::Route53::RecordSet':
      case 'AWS::Route53::RecordSetGroup':
        if (p.AliasTarget || (arr(p.RecordSets) ?? [{}]).every((s: any) => s?.AliasTarget)) {
          return this.free(id, 'alias record', 'route53.alias-query', 'no charge for queries to an alias record of an AWS resource (the hosted zone is not in this template)');
        }
        return this.notPriced(id, 'DNS queries', 'queries to a non-alias record are charged per million, and resolver caching leaves their number unknown');
      case 'AWS::Serverless::Application':
        if (/SecretsManager\w*Rotation/.test(JSON.stringify(p.Location ?? '') + JSON.stringify(this.t.mappings[p.Location?.ApplicationId?.['Fn::FindInMap']?.[0]] ?? ''))) {
          return this.free(id, 'rotation function', 'lambda.requests', 'runs once per rotation, a few invocations a month: under $0.01 (its resources are in a nested stack)');
        }
        return this.notPriced(id, 'nested application', "its resources are in a nested stack, outside this template");
      default:
        if (r.Type.startsWith('Custom::') || r.Type === 'AWS::CloudFormation::CustomResource') {
          return this.free(id, 'custom resource', 'cloudformation', 'no charge of its own; its handler function is priced on its own line');
        }
        if (NO_CHARGE[r.Type]) {
          const [row, why] = NO_CHARGE[r.Type];
          if (r.Type === 'AWS::EC2::VPCEndpoint') return;
          return this.free(id, 'configuration', row, why);
        }
        return this.notPriced(id, 'resource', `no price for ${r.Type} in the estimator`);
    }
  }

  /** An instance outside any server group: a NAT instance, or one the template runs by itself. */
  private priceStandaloneInstance(id: string, p: any): void {
    const type = str(p.InstanceType) ?? str(this.t.get(refTarget(p.LaunchTemplate?.LaunchTemplateId))?.Properties?.LaunchTemplateData?.InstanceType);
    if (!type) return this.notPriced(id, 'instance hours', 'the instance type is not known at synth');
    const nat = p.SourceDestCheck === false || p.SourceDestCheck === 'false';
    this.charge(id, `instance hours (${type}${nat ? ', NAT' : ''})`, `ec2.instance.${type}`, HOURS_PER_MONTH);
    const root = this.rootVolume(p.BlockDeviceMappings ?? this.t.get(refTarget(p.LaunchTemplate?.LaunchTemplateId))?.Properties?.LaunchTemplateData?.BlockDeviceMappings);
    this.charge(id, 'root volume', `ebs.${root.rootType}.storage`, root.rootGiB, `${root.rootGiB} GiB${root.rootAssumed ? ' (the image default of 8 GiB assumed)' : ''}`);
    const publicIp = (arr(p.NetworkInterfaces) ?? []).some((n: any) => String(n?.AssociatePublicIpAddress) === 'true')
      || String(this.t.get(refTarget(p.SubnetId))?.Properties?.MapPublicIpOnLaunch) === 'true';
    // An Elastic IP associated with the instance replaces the address it was given at launch.
    const elasticIp = this.t.referrersOf(id, 'AWS::EC2::EIP', 'AWS::EC2::EIPAssociation').length > 0;
    if (publicIp && !elasticIp) this.charge(id, 'public IPv4 address', 'vpc.public-ipv4', HOURS_PER_MONTH);
  }

  private priceVolume(id: string, p: any): void {
    const size = num(p.Size);
    const type = str(p.VolumeType) ?? 'gp2';
    if (size === undefined) return this.notPriced(id, 'volume', 'its size is not known at synth');
    this.charge(id, `${type} storage`, `ebs.${type}.storage`, size, `${size} GiB`);
    const iops = num(p.Iops);
    if (type === 'gp3' && iops && iops > 3000) this.charge(id, 'provisioned IOPS', 'ebs.gp3.iops', iops - 3000, `${iops} − 3,000 included`);
    const throughput = num(p.Throughput);
    if (type === 'gp3' && throughput && throughput > 125) this.charge(id, 'provisioned throughput', 'ebs.gp3.throughput', throughput - 125, `${throughput} − 125 MB/s included`);
  }

  /** The snapshots a lifecycle policy keeps of the volumes its target tags select. */
  private priceSnapshots(id: string, p: any): void {
    const d = p.PolicyDetails ?? {};
    const tags: Array<{ Key: string; Value: unknown }> = arr(d.TargetTags) ?? [];
    const volumes = this.t.ofType('AWS::EC2::Volume').filter(([, v]) =>
      tags.length > 0 && tags.every((t) => (arr(v.Properties?.Tags) ?? []).some((vt: any) => vt?.Key === t?.Key && JSON.stringify(vt?.Value) === JSON.stringify(t?.Value))));
    if (volumes.length === 0) return this.free(id, 'snapshot policy', 'dlm', 'no charge for the policy; it selects no volume in this template');
    // Days of history each schedule keeps: a count of snapshots at its interval, or an age.
    const HOURS: Record<string, number> = { HOURS: 1, DAYS: 24, WEEKS: 168, MONTHS: 730, YEARS: 8760 };
    const days = (arr(d.Schedules) ?? []).map((schedule: any) => {
      const retain = schedule?.RetainRule ?? {};
      if (num(retain.Interval) !== undefined) return num(retain.Interval)! * (HOURS[retain.IntervalUnit] ?? NaN) / 24;
      const every = schedule?.CreateRule?.Interval !== undefined ? num(schedule.CreateRule.Interval)! * (HOURS[schedule.CreateRule.IntervalUnit ?? 'HOURS'] ?? NaN) : 24;
      return (num(retain.Count) ?? NaN) * every / 24;
    });
    const kept = Math.max(...days);
    if (!Number.isFinite(kept) || kept <= 0) return this.notPriced(id, 'snapshots', 'its schedules do not say how long snapshots are kept');
    const size = volumes.reduce((sum, [, v]) => sum + (num(v.Properties?.Size) ?? 0), 0);
    // Snapshots hold the blocks in use (the data, at most the volume) and, incrementally, each day's change.
    const used = Math.min(size, this.a.dataGB);
    const stored = used * (1 + this.a.dailyChange * Math.max(0, kept - 1));
    this.charge(id, `snapshots (${amount(kept)} days kept)`, 'ebs.snapshot.standard', stored,
      `${amount(used)} GB in use (assumptions.dataGB, at most the ${size} GiB volume) × (1 full + ${this.a.dailyChange} changed a day × ${amount(Math.max(0, kept - 1))} days)`);
  }

  private priceNatGateway(id: string): void {
    this.charge(id, 'NAT gateway hours', 'vpc.nat-gateway.hour', HOURS_PER_MONTH);
    const gateways = this.t.ofType('AWS::EC2::NatGateway').length;
    const logsGB = this.groups.length ? this.traffic.requestsPerMonth * this.a.logBytesPerRequest / GB : 0;
    const gb = (logsGB + this.a.outboundGBPerMonth) / gateways;
    this.charge(id, 'NAT data processed', 'vpc.nat-gateway.data', gb,
      `(instances' logs to CloudWatch ${amount(logsGB)} GB + outbound ${amount(this.a.outboundGBPerMonth)} GB) ÷ ${gateways} gateway${gateways > 1 ? 's' : ''}`);
  }

  private priceEndpoint(id: string, p: any): void {
    if ((p.VpcEndpointType ?? 'Gateway') === 'Gateway') return this.free(id, 'gateway endpoint', 'vpc.gateway-endpoint', NO_CHARGE['AWS::EC2::VPCEndpoint'][1]);
    const azs = (p.SubnetIds ?? []).length || 1;
    this.charge(id, 'interface endpoint hours', 'vpc.interface-endpoint.hour', azs * HOURS_PER_MONTH, `${azs} AZ × ${HOURS_PER_MONTH} h`);
  }

  private priceAlb(id: string, internetFacing: boolean, subnets: number | undefined, suffix = ''): void {
    this.charge(id, `load balancer hours${suffix}`, 'elb.alb.hour', HOURS_PER_MONTH);
    // An LCU holds 1 GB an hour of bytes processed to instances and IPs, 0.4 GB to Lambda functions.
    const lambda = this.t.get(id)?.Type === 'AWS::ElasticLoadBalancingV2::LoadBalancer' ? this.lambdaShareOf(id) : 0;
    const perGB = (1 - lambda) / LCU_GB_INSTANCE + lambda / LCU_GB_LAMBDA;
    let lcuHours = 0;
    for (const rate of this.rates) {
      const connections = rate / this.a.requestsPerConnection / 25;
      const processed = rate * 3600 * this.traffic.averageResponseBytes / GB * perGB;
      lcuHours += Math.max(connections, processed);
    }
    const bytes = lambda === 0 ? `GB processed ÷ ${LCU_GB_INSTANCE}`
      : lambda === 1 ? `GB processed ÷ ${LCU_GB_LAMBDA} (its targets are Lambda functions)`
        : `GB processed × (${amount((1 - lambda) * 100)} % to instances ÷ ${LCU_GB_INSTANCE} + ${amount(lambda * 100)} % to Lambda functions ÷ ${LCU_GB_LAMBDA})`;
    this.charge(id, `LCUs${suffix}`, 'elb.alb.lcu', lcuHours,
      `Σ each hour's max(new connections/s ÷ 25, ${bytes}) (active connections and rule evaluations stay below these) = ${amount(lcuHours)} LCU-h`);
    if (!internetFacing) return;
    const n = subnets ?? 2;
    this.charge(id, `public IPv4 addresses${suffix}`, 'vpc.public-ipv4', n * HOURS_PER_MONTH,
      `${n} (one per subnet${subnets === undefined ? '; the subnets are a deploy-time value, 2 assumed' : ''}) × ${HOURS_PER_MONTH} h`, false);
    this.dataOut(id, 'data-transfer.out.internet');
  }

  /** The responses' bytes, out to the internet. */
  private dataOut(id: string, row: string): void {
    if (row !== 'cloudfront.data-out' && this.behindCdn.has(id)) {
      return this.free(id, 'data transfer out', 'cloudfront.data-out', 'responses go to CloudFront, which bills the data out (transfer from AWS origins to CloudFront is free)');
    }
    const gb = this.traffic.requestsPerMonth * this.traffic.averageResponseBytes / GB;
    this.charge(id, 'data transfer out', row, gb, `${amount(this.traffic.requestsPerMonth)} responses × ${amount(this.traffic.averageResponseBytes)} B`);
  }

  private priceDatabase(id: string, p: any): void {
    const engine = str(p.Engine) ?? '';
    const cls = str(p.DBInstanceClass);
    if (!/^postgres/.test(engine) || !cls) return this.notPriced(id, 'database instance', `only PostgreSQL instances of a known class are priced (got engine '${engine || 'a token'}')`);
    if (isToken(p.MultiAZ)) return this.notPriced(id, 'database instance', 'MultiAZ is a deploy-time value, and the price depends on it');
    const multi = String(p.MultiAZ) === 'true';
    const az = multi ? 'multi-az' : 'single-az';
    this.databaseLogs(id, p);
    this.charge(id, `instance hours (${cls}, ${multi ? 'Multi-AZ' : 'Single-AZ'})`, `rds.postgres.${cls}.${az}`, HOURS_PER_MONTH);
    const storage = num(p.AllocatedStorage);
    const type = str(p.StorageType) ?? 'gp2';
    if (storage === undefined) this.notPriced(id, 'storage', 'the allocated storage is not known at synth');
    else this.charge(id, `${type} storage`, `rds.storage.${type}.${az}`, storage, `${storage} GB allocated`);
    if (storage !== undefined) this.backups(id, p, 'rds.backup', storage, 'the allocated storage');
  }

  /**
   * Automated backups: the data and each kept day's change, beyond the free allowance (storage
   * as large as the database's own).
   */
  private backups(id: string, p: any, row: string, freeGB: number, freeIs: string): void {
    const days = num(p.BackupRetentionPeriod) ?? 1;
    if (days <= 0) return;
    const backup = this.a.dataGB * (1 + this.a.dailyChange * (days - 1));
    const billed = Math.max(0, backup - freeGB);
    const how = `${amount(this.a.dataGB)} GB of data × (1 + ${this.a.dailyChange} changed a day × ${days - 1} days) = ${amount(backup)} GB, less the free ${amount(freeGB)} GB (${freeIs})`;
    if (billed > 0) this.charge(id, 'backup storage', row, billed, how);
    else this.free(id, 'backup storage', row, `${how}: within the free allowance`);
  }

  /** An RDS instance's or cluster's exported logs and enhanced monitoring: said, not priced (the table has no volume for them). */
  private databaseLogs(id: string, p: any): void {
    const exports = arr(p.EnableCloudwatchLogsExports) ?? [];
    if (exports.length) this.notPriced(id, `exported logs (${exports.join(', ')})`, 'their volume depends on the database\'s logging settings');
    if ((num(p.MonitoringInterval) ?? 0) > 0) this.notPriced(id, 'enhanced monitoring', 'billed as CloudWatch Logs ingestion of its samples, whose size the price table does not give');
  }

  /** An Aurora cluster: storage, I/O and backups (its members are priced on their own lines). */
  private priceCluster(id: string, p: any): void {
    if (!/^aurora-postgresql$/.test(str(p.Engine) ?? '')) return this.notPriced(id, 'cluster', `only Aurora PostgreSQL is priced (got engine '${str(p.Engine) ?? 'a token'}')`);
    this.charge(id, 'storage', 'aurora.storage', this.a.dataGB, `${amount(this.a.dataGB)} GB (assumptions.dataGB)`);
    const writes = this.traffic.requestsPerMonth * this.traffic.writeShare;
    this.charge(id, 'I/O requests', 'aurora.io', writes,
      `${amount(writes)} writing requests, one I/O each (reads are served from memory; assumed)`);
    this.backups(id, p, 'aurora.backup', this.a.dataGB, "the cluster's storage");
    this.databaseLogs(id, p);
  }

  /**
   * A member of an Aurora cluster. Serverless v2 capacity follows the load hour by hour within the
   * cluster's range (a reader that scales with the writer, too); at a minimum of 0 it pauses in
   * idle hours. A provisioned class is not in the price table.
   */
  private priceClusterMember(id: string, p: any): void {
    const cls = str(p.DBInstanceClass);
    if (cls !== 'db.serverless') return this.notPriced(id, 'cluster instance', `only Aurora Serverless v2 members are priced (got class '${cls ?? 'a token'}')`);
    const sizing = this.memberAcus(p);
    if (!sizing) return this.notPriced(id, 'capacity', "the cluster's capacity range is not known at synth");
    const { min, max, follows } = sizing;
    const acuHours = sizing.acus.reduce((a, b) => a + b, 0);
    const how = follows
      ? `each hour's ACUs for its rate (${amount(this.a.requestsPerAcuSecond)} requests/s an ACU, in steps of 0.5) within ${min}–${max}${min === 0 ? ', paused in idle hours (when nothing connects: a health check that queries the database keeps it awake)' : ''}, summed = ${amount(acuHours)} ACU-hours`
      : `a reader that does not follow the writer, at its minimum: ${amount(acuHours)} ACU-hours`;
    this.charge(id, 'capacity (Aurora Serverless v2)', 'aurora.serverless-v2', acuHours, how);
    this.databaseLogs(id, p);
  }

  /**
   * Each hour's capacity of an Aurora Serverless v2 member, quietest hour first; undefined when the
   * cluster's capacity range is not known at synth.
   */
  private memberAcus(p: any): { acus: number[]; min: number; max: number; follows: boolean } | undefined {
    const scaling = this.t.get(refTarget(p.DBClusterIdentifier))?.Properties?.ServerlessV2ScalingConfiguration ?? {};
    const min = num(scaling.MinCapacity);
    const max = num(scaling.MaxCapacity);
    if (min === undefined || max === undefined) return undefined;
    const follows = (num(p.PromotionTier) ?? 1) <= 1;
    const acus = this.rates.map((rate) => {
      const needed = rate / this.a.requestsPerAcuSecond;
      return follows ? (rate === 0 && min === 0 ? 0 : Math.min(max, Math.max(min, 0.5, Math.ceil(needed * 2) / 2))) : Math.max(min, min === 0 ? 0 : 0.5);
    });
    return { acus, min, max, follows };
  }

  /**
   * RDS Proxy, from the databases its target group names: per vCPU-hour of a DB instance, at
   * least 2 vCPUs an instance, the vCPUs from the price table's instance specs; per ACU-hour of an
   * Aurora Serverless v2 cluster's capacity (its members' hour-by-hour ACUs, as their own lines
   * size them), at least 8 ACUs an hour. A target it cannot resolve is not priced.
   *
   * The minimums: AWS's RDS Proxy pricing page (https://aws.amazon.com/rds/proxy/pricing/, the
   * rds.proxy row's source) is not among the stored copies; the rows' note states both, and so do
   * third-party pages: 2 vCPUs in boosterKRD/boosterKRD.github.io
   * _posts/2026-01-18-aws-rds-proxy-postgresql.md ("a minimum charge for 2 vCPUs": a 1-vCPU
   * t2.small billed as 2); 8 ACUs in blog.serverworks.co.jp/amazon-aurora-serverless-v2-and-amazon-rds-proxy-minimum-cost
   * (June 2024), github.com/bcgov/nr-forests-access-management/wiki/SPIKE:-Connection-Pooling-and-RDS-Proxy-Costs
   * (July 2023) and qiita.com/hirooka622/items/c6ce351d4e5cbd6feba3 (April 2024).
   */
  private priceProxy(id: string): void {
    const groups = this.t.referrersOf(id, 'AWS::RDS::DBProxyTargetGroup');
    if (groups.length === 0) return this.notPriced(id, 'proxy', 'no target group in this template names its database, whose vCPUs or ACUs it is billed on');
    const instances: string[] = [];
    for (const g of groups) {
      const p = this.t.get(g)!.Properties ?? {};
      for (const [key, type] of [['DBInstanceIdentifiers', 'AWS::RDS::DBInstance'], ['DBClusterIdentifiers', 'AWS::RDS::DBCluster']] as const) {
        if (p[key] === undefined) continue;
        const list = arr(p[key]);
        if (!list) return this.notPriced(id, 'proxy', `its target group ${g} names its ${key} with a deploy-time value`);
        for (const x of list) {
          const target = refTarget(x);
          if (!target || this.t.get(target)?.Type !== type) {
            return this.notPriced(id, 'proxy', `its target ${typeof x === 'string' ? `'${x}'` : '(a deploy-time value)'} is not a ${type} in this template`);
          }
          if (type === 'AWS::RDS::DBInstance') instances.push(target);
          else {
            const members = this.t.referrersOf(target, 'AWS::RDS::DBInstance').filter((m) => refTarget(this.t.get(m)!.Properties?.DBClusterIdentifier) === target);
            if (members.length === 0) return this.notPriced(id, 'proxy', `its cluster ${target} has no instance in this template`);
            instances.push(...members);
          }
        }
      }
    }
    if (instances.length === 0) return this.notPriced(id, 'proxy', 'its target group names no database instance or cluster');
    const vcpus: string[] = [];
    let billedVcpus = 0;
    const serverless: string[] = [];
    const acus = this.rates.map(() => 0);
    for (const inst of [...new Set(instances)]) {
      const p = this.t.get(inst)!.Properties ?? {};
      const cls = str(p.DBInstanceClass);
      if (!cls) return this.notPriced(id, 'proxy', `the class of its target ${inst} is not known at synth`);
      if (cls === 'db.serverless') {
        const sizing = this.memberAcus(p);
        if (!sizing) return this.notPriced(id, 'proxy', `the capacity range of its target ${inst}'s cluster is not known at synth`);
        sizing.acus.forEach((a, h) => acus[h] += a);
        serverless.push(inst);
        continue;
      }
      const spec = this.book.instance(cls.replace(/^db\./, ''));
      if (!spec) return this.notPriced(id, 'proxy', `the price table has no vCPU count for its target ${inst}'s class ${cls}`);
      const billed = Math.max(PROXY_MIN_VCPUS, spec.vcpus);
      billedVcpus += billed;
      vcpus.push(`${inst} (${cls}: ${spec.vcpus} vCPU${spec.vcpus === 1 ? '' : 's'}${billed > spec.vcpus ? `, billed as ${billed}` : ''})`);
    }
    if (vcpus.length) {
      this.charge(id, 'proxy (per vCPU of its target)', 'rds.proxy', billedVcpus * HOURS_PER_MONTH,
        `${vcpus.join(' + ')}: ${billedVcpus} vCPUs × ${HOURS_PER_MONTH} h (RDS Proxy bills at least ${PROXY_MIN_VCPUS} vCPUs an instance)`, true, 'vCPU-hour');
    }
    if (serverless.length) {
      const used = acus.reduce((a, b) => a + b, 0);
      const billed = acus.reduce((sum, a) => sum + Math.max(PROXY_MIN_ACUS, a), 0);
      this.charge(id, 'proxy (per ACU of Aurora Serverless v2)', 'rds.proxy', billed,
        `each hour's ACUs of ${serverless.join(' + ')} (${amount(used)} ACU-hours, as their capacity lines), at least ${PROXY_MIN_ACUS} billed an hour (RDS Proxy's minimum), summed = ${amount(billed)} ACU-hours`, true, 'ACU-hour');
    }
  }

  private priceFunction(id: string, p: any): void {
    const memoryMB = num(p.MemorySize) ?? 128;
    const arch = (arr(p.Architectures) ?? ['x86_64'])[0] === 'arm64' ? 'arm64' : 'x86_64';
    const serving = this.serving.get(id);
    if (!serving) {
      const deployTime = this.t.referrersOf(id).some((r) => {
        const x = this.t.get(r)!;
        return (x.Type.startsWith('Custom::') || x.Type === 'AWS::CloudFormation::CustomResource') && refTarget(x.Properties?.ServiceToken) === id;
      });
      if (deployTime) return this.free(id, 'deploy-time function', 'lambda.requests', 'a custom resource handler: runs during deployments only, under $0.01 a month');
      const onAlarm = this.t.referrersOf(id).some((r) => {
        const x = this.t.get(r)!;
        return x.Type === 'AWS::Events::Rule' && (arr(x.Properties?.Targets) ?? []).some((t: any) => refTarget(t?.Arn) === id) &&
          JSON.stringify(x.Properties?.EventPattern?.['detail-type'] ?? []).includes('CloudWatch Alarm State Change');
      });
      if (onAlarm) return this.free(id, 'alarm-driven function', 'lambda.requests', 'invoked by an EventBridge rule when an alarm changes state: a few invocations a month, under $0.01');
      return this.notPriced(id, 'function', 'nothing in the template invokes it per request, so its invocations are unknown');
    }
    const share = this.shareOf(id);
    const requests = this.traffic.requestsPerMonth * share;
    if (p.MemorySize !== undefined && num(p.MemorySize) === undefined) {
      this.charge(id, 'requests', 'lambda.requests', requests, `${amount(requests)} invocations`);
      return this.notPriced(id, 'duration', 'its memory size is a deploy-time value');
    }
    const gbSeconds = requests * this.traffic.averageDurationMs / 1000 * memoryMB / 1024;
    const shareText = this.shareText(id) ? ` (${this.shareText(id)})` : '';
    this.charge(id, 'requests', 'lambda.requests', requests, `${amount(requests)} invocations${shareText}`);
    if (serving.provisioned > 0) {
      const pc = serving.provisioned;
      const pcGbSeconds = pc * memoryMB / 1024 * HOURS_PER_MONTH * 3600;
      this.charge(id, 'provisioned concurrency', `lambda.provisioned.${arch}`, pcGbSeconds, `${pc} × ${memoryMB} MB ÷ 1024 × ${HOURS_PER_MONTH} h × 3600 s`);
      // Invocations up to the provisioned concurrency run at its lower duration price.
      let onPc = 0;
      const seconds = this.traffic.averageDurationMs / 1000;
      for (const rate of this.rates) onPc += Math.min(rate * share * seconds, pc) * 3600;
      const onPcGbSeconds = onPc * memoryMB / 1024;
      this.charge(id, 'duration on provisioned concurrency', `lambda.provisioned-duration.${arch}`, onPcGbSeconds,
        `Σ each hour's min(concurrency, ${pc}) × 3600 s × ${memoryMB} MB ÷ 1024`);
      this.charge(id, `duration (${arch})`, `lambda.duration.${arch}`, Math.max(0, gbSeconds - onPcGbSeconds),
        `${amount(gbSeconds)} GB-s in all − ${amount(onPcGbSeconds)} on provisioned concurrency`);
    } else {
      this.charge(id, `duration (${arch})`, `lambda.duration.${arch}`, gbSeconds,
        `${amount(requests)} × ${this.traffic.averageDurationMs} ms × ${memoryMB} MB ÷ 1024 (cold starts' init time left out)`);
    }
    if (typeof p.LoggingConfig?.LogGroup === 'string') {
      this.notPriced(id, 'logs', `its log group '${p.LoggingConfig.LogGroup}' is not in this template`);
    } else if (!p.LoggingConfig?.LogGroup) {
      this.logLines(id, 'logs (default log group)', 'cloudwatch.logs.ingest', requests * this.a.logBytesPerRequest / GB,
        `${amount(requests)} × ${this.a.logBytesPerRequest} B`, undefined);
    }
  }

  private priceApi(id: string, row: string | undefined, protocol: string): void {
    if (!row) return this.notPriced(id, `${protocol} API`, 'only HTTP and REST APIs are in the price table');
    // HTTP APIs meter each request in 512 KB increments.
    const increments = row === 'apigw.http.requests' ? Math.max(1, Math.ceil(this.traffic.averageResponseBytes / (512 * 1024))) : 1;
    const n = this.traffic.requestsPerMonth * increments;
    this.charge(id, 'requests', row, n, `${amount(this.traffic.requestsPerMonth)} requests${increments > 1 ? ` × ${increments} (512 KB increments)` : ''}`);
    this.dataOut(id, 'data-transfer.out.internet');
  }

  private priceDistribution(id: string): void {
    this.charge(id, 'HTTPS requests', 'cloudfront.requests.https', this.traffic.requestsPerMonth,
      `${amount(this.traffic.requestsPerMonth)} requests (the app's responses are not cached; static assets are left out)`);
    this.dataOut(id, 'cloudfront.data-out');
  }

  private priceBucket(id: string, p: any): void {
    const logTarget = this.t.referrersOf(id).some((r) => {
      const x = this.t.get(r)!;
      if (x.Type === 'AWS::ElasticLoadBalancingV2::LoadBalancer') return (arr(x.Properties?.LoadBalancerAttributes) ?? []).some((a: any) => a?.Key === 'access_logs.s3.bucket' && refTarget(a.Value) === id);
      if (x.Type === 'AWS::CloudFront::Distribution') return refTarget(x.Properties?.DistributionConfig?.Logging?.Bucket) === id;
      if (x.Type === 'AWS::ElasticBeanstalk::Environment') return refTarget(beanstalkOptions(x).get('aws:elbv2:loadbalancer:AccessLogsS3Bucket')) === id;
      if (x.Type === 'AWS::S3::Bucket') return refTarget(x.Properties?.LoggingConfiguration?.DestinationBucketName) === id;
      return false;
    });
    if (!logTarget) {
      return this.charge(id, 'storage', 's3.standard.storage', this.a.bucketGB, `${amount(this.a.bucketGB)} GB assumed (assumptions.bucketGB)`);
    }
    const expiry = Math.min(...(arr(p.LifecycleConfiguration?.Rules) ?? []).map((rule: any) => num(rule?.ExpirationInDays) ?? Infinity), Infinity);
    const days = Number.isFinite(expiry) ? expiry : 365;
    const gb = this.traffic.requestsPerMonth * this.a.accessLogBytesPerRequest / GB * days / 30.4;
    this.charge(id, 'access log storage', 's3.standard.storage', gb,
      `${amount(this.traffic.requestsPerMonth)} requests × ${this.a.accessLogBytesPerRequest} B × ${days} days kept ÷ 30.4${Number.isFinite(expiry) ? '' : ' (no expiry: a year shown)'}`);
  }

  private priceTable(id: string, type: string, p: any): void {
    const billing = str(p.BillingMode) ?? (type === 'AWS::DynamoDB::GlobalTable' ? 'PROVISIONED' : 'PROVISIONED');
    if (billing !== 'PAY_PER_REQUEST') return this.notPriced(id, 'table', 'provisioned capacity is not in the price table');
    const replicas = (arr(p.Replicas) ?? [{}]).length;
    if (replicas > 1) this.notPriced(id, 'replicated writes', `${replicas} replicas: replicated write units are not in the price table`);
    const requests = this.traffic.requestsPerMonth;
    this.charge(id, 'writes', 'dynamodb.on-demand.write', requests * this.traffic.writeShare,
      `${amount(requests)} requests × ${this.traffic.writeShare} writing, 1 write unit each (items up to 1 KB)`);
    this.charge(id, 'reads', 'dynamodb.on-demand.read', requests * (1 - this.traffic.writeShare),
      `${amount(requests)} requests × ${Number((1 - this.traffic.writeShare).toFixed(4))} reading, 1 read unit each (strongly consistent, up to 4 KB)`);
    this.charge(id, 'storage', 'dynamodb.storage', this.a.dataGB, `${amount(this.a.dataGB)} GB (assumptions.dataGB)`);
    const pitr = (arr(p.Replicas)?.[0]?.PointInTimeRecoverySpecification ?? p.PointInTimeRecoverySpecification)?.PointInTimeRecoveryEnabled;
    if (pitr === true || pitr === 'true') this.charge(id, 'point-in-time recovery', 'dynamodb.pitr', this.a.dataGB, `${amount(this.a.dataGB)} GB`);
  }

  private priceAlarm(id: string, p: any): void {
    if (p.Metrics !== undefined && !arr(p.Metrics)) return this.notPriced(id, 'alarm', 'its metrics are a deploy-time value');
    const metrics = arr(p.Metrics) ? p.Metrics.filter((m: any) => m?.MetricStat).length : 1;
    const period = num(p.Period) ?? Math.min(...(arr(p.Metrics) ?? []).map((m: any) => num(m?.MetricStat?.Period) ?? 60), 60);
    const high = period < 60;
    this.charge(id, high ? 'high-resolution alarm' : 'alarm', high ? 'cloudwatch.alarms.high-resolution' : 'cloudwatch.alarms.standard', metrics,
      `${metrics} metric${metrics > 1 ? 's' : ''}`);
  }

  private priceLogGroup(id: string, p: any): void {
    const days = p.RetentionInDays !== undefined && num(p.RetentionInDays) === undefined ? -1 : num(p.RetentionInDays);
    const hint = this.hintOf(id);
    const flow = this.t.referrersOf(id, 'AWS::EC2::FlowLog').length > 0;
    // A function's log group: named in its LoggingConfig, or naming it (/aws/lambda/<function>).
    const functions = [...this.t.referrersOf(id, 'AWS::Lambda::Function'), ...[...references(p)].filter((x) => this.t.get(x)?.Type === 'AWS::Lambda::Function')];
    const fnReferrers = functions.filter((f) => this.serving.has(f));
    const access = this.t.referrersOf(id, 'AWS::ApiGatewayV2::Stage', 'AWS::ApiGateway::Stage').length > 0;
    const requests = this.traffic.requestsPerMonth;
    if (flow) {
      return this.logLines(id, 'VPC flow logs', 'cloudwatch.logs.vended', requests * this.a.flowLogBytesPerRequest / GB,
        `${amount(requests)} requests × ${this.a.flowLogBytesPerRequest} B`, days);
    }
    if (fnReferrers.length) {
      const n = requests * fnReferrers.reduce((sum, f) => sum + this.shareOf(f), 0);
      return this.logLines(id, 'function logs', 'cloudwatch.logs.ingest', n * this.a.logBytesPerRequest / GB, `${amount(n)} invocations × ${this.a.logBytesPerRequest} B`, days);
    }
    if (access) {
      return this.logLines(id, 'access logs', 'cloudwatch.logs.ingest', requests * this.a.logBytesPerRequest / GB, `${amount(requests)} requests × ${this.a.logBytesPerRequest} B`, days);
    }
    const load = this.logGroupLoad.get(id);
    if (hint?.logs === 'app' && load) {
      return this.logLines(id, 'app logs', 'cloudwatch.logs.ingest', load.requests * this.a.logBytesPerRequest / GB,
        `${amount(load.requests)} requests × ${this.a.logBytesPerRequest} B`, days);
    }
    if (hint?.logs === 'system' && load) {
      const mb = load.instanceHours / 24 * this.a.systemLogMBPerInstanceDay;
      return this.logLines(id, 'system logs', 'cloudwatch.logs.ingest', mb / 1024,
        `${amount(load.instanceHours)} instance-hours ÷ 24 × ${this.a.systemLogMBPerInstanceDay} MB a day`, days);
    }
    if (functions.length) {
      return this.free(id, 'logs of a deploy-time function', 'cloudwatch.logs.ingest', 'a few lines per deployment: under $0.01');
    }
    this.notPriced(id, 'logs', 'nothing in the template says what writes to it');
  }

  /** Ingest and the steady-state storage of a month's logs kept `days`. */
  private logLines(id: string, item: string, ingestRow: string, gb: number, how: string, days: number | undefined): void {
    this.charge(id, `${item}: ingestion`, ingestRow, gb, how);
    const kept = days === undefined || days < 0 ? 365 : days;
    const why = days === undefined ? ' (never expire: a year shown)' : days < 0 ? ' (the retention is a deploy-time value: a year assumed)' : '';
    this.charge(id, `${item}: storage`, 'cloudwatch.logs.storage', gb * kept / 30.4,
      `${amount(gb)} GB a month × ${kept} days kept ÷ 30.4${why}, at the ingested size (an upper bound)`);
  }
}
