import { Duration } from 'aws-cdk-lib';
import { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { ScaleOn } from '../constructs/auto-scaling/scale-on';
import type { AuroraServerlessOptions } from '../constructs/shared/database';
import { Egress } from '../constructs/shared/network';
import { WebTiersValidationError } from '../constructs/shared/validation';
import { SinglePointOfFailure } from '../constructs/shared/warnings';
import { shape } from '../constructs/shared/checks';
import { HYBRID_ROUTER_SPEC } from '../constructs/hybrid/hybrid-router';
import { COST_BUDGET_SPEC } from './cost/budget';
import type { CostAssumptions, TrafficProfile } from './cost/profile';

/** The hosting tiers an environment can run on. */
export type TierName = 'single-instance' | 'load-balanced' | 'auto-scaling' | 'managed-auto-scaling' | 'serverless' | 'managed-serverless';

export const TIERS: readonly TierName[] = ['single-instance', 'load-balanced', 'auto-scaling', 'managed-auto-scaling', 'serverless', 'managed-serverless'];
/** The tiers that run the app on Lambda. */
export const SERVERLESS_TIERS: readonly TierName[] = ['serverless', 'managed-serverless'];

/** What happens to stateful data (volumes, databases, buckets) when the stack lets go of it. */
export type DataRetention = 'destroy' | 'snapshot' | 'retain';

/** Instances of the server tiers. */
export interface CapacityConfig {
  readonly min: number;
  readonly max: number;
  readonly desired?: number;
}

/** The function of the serverless tiers. */
export interface LambdaConfig {
  readonly memorySize?: number;
  readonly provisionedConcurrency?: number;
}

/**
 * Part of a server tier's traffic on Lambda, behind the tier's own load balancer (a
 * `HybridRouter`): the climb from tier 2 or 3 to the serverless tier in steps, each one config
 * change, with an alarm that shifts traffic back.
 */
export interface HybridConfig {
  /** ALB path patterns split between the instances and the function (default `['/*']`, every request). */
  readonly paths?: string[];
  /** Percent of the matching requests the function answers, 0-100 (10, then 50, then 100). */
  readonly weight: number;
}

/** Where the app keeps its data on the serverless tiers. */
export type DataStore = 'postgresql' | 'dynamodb';

/** The database of every tier but single-instance (which runs PostgreSQL on its instance). */
export interface DatabaseConfig {
  /**
   * Aurora PostgreSQL Serverless v2 instead of an RDS instance: capacity in ACUs from
   * `minCapacity` (default 0: it pauses when idle, after `pauseAfter`) to `maxCapacity`
   * (default 4). Leave `instanceType` out with it.
   */
  readonly serverless?: AuroraServerlessOptions;
  readonly instanceType?: string;
  /** A standby in a second AZ (default true); false is cheaper and warns of the single point of failure. */
  readonly multiAz?: boolean;
  readonly rotation?: boolean;
}

/** Retention of stateful data, logs and backups. */
export interface RetentionConfig {
  readonly data: DataRetention;
  readonly logs: RetentionDays;
  /** Daily snapshots / automated backups kept, in days. */
  readonly backupDays: number;
}

/**
 * The domain users reach the app on: every tier creates its DNS record and answers on
 * `https://<name>`; a piece the tier needs that is missing fails the synth.
 */
export interface DomainConfig {
  readonly name: string;
  /**
   * ACM certificate covering `name`: in the stack's region on load-balanced, auto-scaling,
   * managed-auto-scaling and serverless (without one, the tier creates a DNS-validated one in
   * the zone); in us-east-1 on managed-serverless, required outside us-east-1. Not accepted on
   * single-instance, which gets its certificate from Let's Encrypt.
   */
  readonly certificateArn?: string;
  /** Route 53 zone in which to create the record. Required. */
  readonly hostedZoneId?: string;
  /**
   * The zone's name, e.g. 'example.com'. Required on managed-auto-scaling, whose record is a
   * CNAME (never at the zone apex).
   * @default - `name`
   */
  readonly hostedZoneName?: string;
}

/**
 * A monthly cost budget: synth fails when the estimate of the environment's template at `traffic`
 * is above `monthlyUsd`, and an AWS Budgets budget alerts the alarm topic on real spend.
 */
export interface BudgetConfig {
  /** USD a month. */
  readonly monthlyUsd: number;
  /** The traffic the amount is meant for. */
  readonly traffic: TrafficProfile;
  /** What the estimate assumes where neither the template nor the traffic says. */
  readonly assumptions?: CostAssumptions;
}

/** One deployment environment. */
export interface EnvironmentConfig {
  /** The hosting tier. Moving up the ladder is a change of this line. */
  readonly tier: TierName;
  /**
   * AWS account, region and availability zones. Give all three or none: without them
   * the stack is environment-agnostic and synthesizes offline.
   */
  readonly account?: string;
  readonly region?: string;
  readonly availabilityZones?: string[];
  /** EC2 instance type for the server tiers, e.g. 't4g.small'. */
  readonly instanceType?: string;
  /**
   * Instances: load-balanced runs `min` of them, auto-scaling scales from `min` to `max`
   * (`desired` sets the current size); single-instance runs one.
   */
  readonly capacity?: CapacityConfig;
  /** Auto-scaling policies. */
  readonly scaleOn?: ScaleOn[];
  /** Egress of the app subnets on the load-balanced tiers. */
  readonly egress?: Egress;
  /** The function of the serverless tiers. */
  readonly lambda?: LambdaConfig;
  /** The RDS or Aurora database of tiers 2-6 (tiers 5-6 reach it through RDS Proxy). */
  readonly database?: DatabaseConfig;
  /**
   * Where the serverless tiers keep the app's data: 'postgresql' (the default), the same
   * database as tiers 2-4, so climbing from a server tier keeps the data where it is; or
   * 'dynamodb', a table of their own (no VPC, no database), for apps written for it.
   */
  readonly store?: DataStore;
  /**
   * On load-balanced and auto-scaling: the app's lambda bundle, on the same database, takes
   * `weight` percent of the requests matching `paths` at the tier's load balancer.
   */
  readonly hybrid?: HybridConfig;
  /** Size of the single-instance data volume in GiB. */
  readonly dataVolumeGiB?: number;
  /** Retention of stateful data, logs and backups. */
  readonly retention: RetentionConfig;
  /** The domain users reach the app on. */
  readonly domain?: DomainConfig;
  /** Email subscribed to the alarm topic. */
  readonly alarmEmail?: string;
  /** A monthly cost budget, checked at synth and watched after deploy. */
  readonly budget?: BudgetConfig;
  /**
   * Single points of failure this environment accepts: a `SinglePointOfFailure` id, and why.
   * Each is acknowledged on the stack, so synth no longer warns of it; every other warning stays.
   */
  readonly acknowledge?: { readonly [id: string]: string };
}

/** The environments this repo deploys. */
export const ENVIRONMENTS: Readonly<Record<string, EnvironmentConfig>> = {
  dev: {
    tier: 'single-instance',
    instanceType: 't4g.small',
    dataVolumeGiB: 10,
    capacity: { min: 1, max: 2 },
    egress: Egress.NAT_INSTANCE,
    // Ignored on single-instance; keeps dev cheap when it moves to a tier with RDS.
    database: { multiAz: false },
    retention: { data: 'destroy', logs: RetentionDays.ONE_WEEK, backupDays: 3 },
    // `npm run cost -- --env dev --requests 1M` estimates about $25 a month.
    budget: { monthlyUsd: 40, traffic: { requestsPerMonth: 1_000_000 } },
    acknowledge: {
      [SinglePointOfFailure.SINGLE_INSTANCE]: 'dev runs on one instance to stay cheap; downtime while it is replaced or redeployed is accepted',
      [SinglePointOfFailure.SINGLE_AZ_DATABASE]: 'dev chooses a database without a standby (multiAz: false) to stay cheap; its downtime is accepted',
      [SinglePointOfFailure.NAT]: 'dev chooses one NAT instance (egress: NAT_INSTANCE) to stay cheap; losing egress for a while is accepted',
    },
  },
  staging: {
    tier: 'load-balanced',
    instanceType: 't4g.small',
    dataVolumeGiB: 20,
    capacity: { min: 2, max: 4 },
    egress: Egress.NAT_GATEWAY,
    database: { instanceType: 't4g.micro' },
    retention: { data: 'snapshot', logs: RetentionDays.ONE_MONTH, backupDays: 7 },
    budget: { monthlyUsd: 175, traffic: { requestsPerMonth: 5_000_000 } },
    acknowledge: {
      [SinglePointOfFailure.NAT]: 'staging runs one NAT gateway, half the cost of one per AZ; losing egress during an AZ outage is accepted there',
    },
  },
  prod: {
    tier: 'auto-scaling',
    instanceType: 't4g.medium',
    dataVolumeGiB: 50,
    capacity: { min: 2, max: 6 },
    scaleOn: [ScaleOn.cpu(60), ScaleOn.memory(85)],
    egress: Egress.NAT_GATEWAY_PER_AZ,
    database: { instanceType: 't4g.medium', multiAz: true, rotation: true },
    retention: { data: 'retain', logs: RetentionDays.SIX_MONTHS, backupDays: 30 },
    budget: { monthlyUsd: 400, traffic: { requestsPerMonth: 20_000_000 } },
  },
};

/**
 * The environments to synthesize: all of them, or the one named by `-c env=NAME`.
 */
export function selectEnvironments(only: string | undefined, envs: Readonly<Record<string, EnvironmentConfig>> = ENVIRONMENTS,
  previews: PreviewsConfig | undefined = undefined): string[] {
  const known = Object.keys(envs);
  if (only === undefined || only === '') return known;
  if (!known.includes(only) && !(previews && isPreviewName(only, previews))) {
    const patterns = previews ? `; previews: ${previewPatterns(previews)}` : '';
    throw new WebTiersValidationError(undefined, 'env', `unknown environment '${only}'; known environments: ${known.join(', ')}${patterns}`);
  }
  return [only];
}

/**
 * Stages made on demand from an environment: `-c env=pr-42` (a pull request) or `-c env=dev-alice`
 * (a person's own copy of `from`) builds a stack of its own, `WebTiers-<name>`, from `from`'s
 * settings, on the cheapest tier, with its data destroyed with it, a cost ceiling, and a
 * schedule that deletes it `maxAge` after its last deploy.
 */
export interface PreviewsConfig {
  /** The environment a preview copies, e.g. 'dev'. */
  readonly from: string;
  /** How long a preview lives after its last deploy, 1 hour to 30 days. */
  readonly maxAge: Duration;
  /** The most a preview may cost a month, in USD, at `traffic`: synth fails above it, and an AWS budget alerts. */
  readonly budget: number;
  /** The traffic the budget is checked at. @default 100,000 requests a month */
  readonly traffic?: TrafficProfile;
  /**
   * The tier. @default the cheapest that keeps `from`'s store: single-instance (PostgreSQL on
   * one instance, no managed database or NAT), or serverless with store 'dynamodb'
   */
  readonly tier?: TierName;
  /** Instance type of the server tiers. @default `from`'s */
  readonly instanceType?: string;
}

/** This repo's previews: copies of dev, for three days, at most $20 a month. */
export const PREVIEWS: PreviewsConfig = {
  from: 'dev',
  maxAge: Duration.days(3),
  // Synth prices dev's settings on one t4g.micro at about $18 a month at 100k requests.
  budget: 20,
  instanceType: 't4g.micro',
};

/** The names a preview may have: `pr-<number>`, or `<from>-<name>`. */
export function previewPatterns(p: PreviewsConfig): string {
  return `pr-<number> (a pull request) or ${p.from}-<name> (lowercase letters and digits, up to 20)`;
}

export function isPreviewName(name: string, p: PreviewsConfig): boolean {
  return /^pr-[1-9]\d{0,8}$/.test(name) || new RegExp(`^${p.from}-[a-z][a-z0-9]{0,19}$`).test(name);
}

/**
 * A preview's settings: `from`'s, on the cheapest tier, without its domain (the preview answers on
 * its own URL), its hybrid routing or its alarm email, its data destroyed with the stack, a
 * budget of `budget` at `traffic`, and its single points of failure accepted (it is disposable).
 */
export function previewConfig(name: string, p: PreviewsConfig, envs: Readonly<Record<string, EnvironmentConfig>>): EnvironmentConfig {
  const base = envs[p.from];
  if (!base) {
    throw new WebTiersValidationError(undefined, 'previews.from', `got '${p.from}'; accepted: a known environment (${Object.keys(envs).join(', ')})`);
  }
  const hours = p.maxAge.toHours({ integral: false });
  if (!(hours >= 1 && hours <= 30 * 24)) throw new WebTiersValidationError(undefined, 'previews.maxAge', `got ${p.maxAge.toHumanString()}; accepted: 1 hour to 30 days`);
  if (!(typeof p.budget === 'number' && p.budget > 0)) throw new WebTiersValidationError(undefined, 'previews.budget', `got ${JSON.stringify(p.budget)}; accepted: a positive number of USD a month`);
  const dynamo = base.store === 'dynamodb';
  const tier = p.tier ?? (dynamo ? 'serverless' : 'single-instance');
  return {
    ...base,
    tier,
    instanceType: p.instanceType ?? base.instanceType,
    domain: undefined,
    hybrid: undefined,
    alarmEmail: undefined,
    retention: { ...base.retention, data: 'destroy' },
    budget: { monthlyUsd: p.budget, traffic: p.traffic ?? { requestsPerMonth: 100_000 } },
    acknowledge: Object.fromEntries(SinglePointOfFailure.ALL.map((id) => [id, `${name} is a preview of ${p.from}: disposable, deleted after ${p.maxAge.toHumanString()}`])),
  };
}

/** Checks a config before any construct sees it. */
export function checkEnvironmentConfig(name: string, c: EnvironmentConfig): void {
  const prop = (p: string) => `environments.${name}.${p}`;
  if (!TIERS.includes(c.tier)) {
    throw new WebTiersValidationError(undefined, prop('tier'), `got '${c.tier}'; accepted: ${TIERS.join(', ')}`);
  }
  const placed = [c.account, c.region, c.availabilityZones].filter((v) => v !== undefined).length;
  if (placed !== 0 && placed !== 3) {
    throw new WebTiersValidationError(undefined, prop('account'),
      'give account, region and availabilityZones together (synthesis never looks them up), or none of them');
  }
  if (c.account !== undefined && !/^\d{12}$/.test(c.account)) {
    throw new WebTiersValidationError(undefined, prop('account'), `got '${c.account}'; accepted: a 12-digit AWS account id`);
  }
  if (c.region !== undefined && !/^[a-z]{2}(-gov|-iso[a-z]*)?-[a-z]+-\d$/.test(c.region)) {
    throw new WebTiersValidationError(undefined, prop('region'), `got '${c.region}'; accepted: a region such as 'eu-west-1'`);
  }
  for (const az of c.availabilityZones ?? []) {
    if (!az.startsWith(c.region ?? '') || !/^[a-z0-9-]+[a-z]$/.test(az)) {
      throw new WebTiersValidationError(undefined, prop('availabilityZones'), `got '${az}'; accepted: zones of region '${c.region}', such as '${c.region}a'`);
    }
  }
  if (!['destroy', 'snapshot', 'retain'].includes(c.retention.data)) {
    throw new WebTiersValidationError(undefined, prop('retention.data'), `got '${c.retention.data}'; accepted: destroy, snapshot, retain`);
  }
  if (c.retention.data === 'destroy' && name !== 'dev' && !name.startsWith('dev-') && !/^pr-\d+$/.test(name)) {
    throw new WebTiersValidationError(undefined, prop('retention.data'), "'destroy' loses data on stack deletion; accepted outside dev: snapshot, retain");
  }
  if (c.domain) checkDomainConfig(prop, c.tier, c.domain, c.region);
  if (c.store !== undefined && !['postgresql', 'dynamodb'].includes(c.store)) {
    throw new WebTiersValidationError(undefined, prop('store'), `got ${JSON.stringify(c.store)}; accepted: 'postgresql' or 'dynamodb'`);
  }
  if (c.store === 'dynamodb' && !SERVERLESS_TIERS.includes(c.tier)) {
    throw new WebTiersValidationError(undefined, prop('store'),
      `'dynamodb' is for the serverless tiers, and ${c.tier} keeps its data in PostgreSQL; accepted: 'postgresql' (or no store) on ${c.tier}`);
  }
  if (c.hybrid !== undefined && c.hybrid !== null) {
    if (c.tier !== 'load-balanced' && c.tier !== 'auto-scaling') {
      throw new WebTiersValidationError(undefined, prop('hybrid'),
        `applies to the load-balanced and auto-scaling tiers, whose load balancer routes between instances and a function; accepted on ${c.tier}: no hybrid`);
    }
    const { paths, weight } = HYBRID_ROUTER_SPEC;
    shape({ paths, weight }, "an object { paths?: ['/api/*'], weight: 10 }").validate(c.hybrid, { scope: undefined, prop: prop('hybrid') });
  }
  if (c.budget !== undefined && c.budget !== null) {
    const { monthlyUsd, traffic, assumptions } = COST_BUDGET_SPEC;
    shape({ monthlyUsd, traffic, assumptions }, 'a budget such as { monthlyUsd: 150, traffic: { requestsPerMonth: 5_000_000 } }')
      .validate(c.budget, { scope: undefined, prop: prop('budget') });
  }
  for (const [id, reason] of Object.entries(c.acknowledge ?? {})) {
    if (!SinglePointOfFailure.ALL.includes(id)) {
      throw new WebTiersValidationError(undefined, prop('acknowledge'), `got '${id}'; accepted: the ids of SinglePointOfFailure (${SinglePointOfFailure.ALL.join(', ')})`);
    }
    if (typeof reason !== 'string' || reason.trim() === '') {
      throw new WebTiersValidationError(undefined, prop('acknowledge'), `'${id}' has no reason; accepted: a sentence saying why the environment accepts it`);
    }
  }
}

/** A domain gets its record and HTTPS on every tier, or the piece the tier needs is named. */
function checkDomainConfig(prop: (p: string) => string, tier: TierName, d: DomainConfig, region: string | undefined): void {
  if (!d.hostedZoneId) {
    throw new WebTiersValidationError(undefined, prop('domain.hostedZoneId'),
      `is required: the ${tier} tier creates the record of '${d.name}' in it; accepted: a Route 53 hosted zone id such as 'Z0123456789ABCDEFGHIJ'`);
  }
  if (tier === 'single-instance' && d.certificateArn) {
    throw new WebTiersValidationError(undefined, prop('domain.certificateArn'),
      "is not used by single-instance, which gets its certificate from Let's Encrypt on the instance; accepted: no certificateArn on this tier");
  }
  if (tier === 'managed-serverless' && !d.certificateArn && region !== 'us-east-1') {
    throw new WebTiersValidationError(undefined, prop('domain.certificateArn'),
      `is required on managed-serverless outside us-east-1 (CloudFront reads certificates from us-east-1 only); accepted: the ARN of a us-east-1 certificate covering '${d.name}', or region 'us-east-1', where the tier creates one`);
  }
  const zone = d.hostedZoneName?.replace(/\.$/, '');
  if (zone !== undefined && d.name !== zone && !d.name.endsWith(`.${zone}`)) {
    throw new WebTiersValidationError(undefined, prop('domain.name'), `'${d.name}' is not in hosted zone '${zone}'; accepted: '${zone}' or a name ending in '.${zone}'`);
  }
  if (tier === 'managed-auto-scaling' && zone === undefined) {
    throw new WebTiersValidationError(undefined, prop('domain.hostedZoneName'),
      "is required on managed-auto-scaling: its record is a CNAME, which cannot be at the zone apex; accepted: the zone's name, such as 'example.com'");
  }
  if (tier === 'managed-auto-scaling' && d.name === zone) {
    throw new WebTiersValidationError(undefined, prop('domain.name'),
      `'${d.name}' is the apex of its hosted zone, where managed-auto-scaling's CNAME record cannot be; accepted: a subdomain such as 'app.${zone}'`);
  }
}
