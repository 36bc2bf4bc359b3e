import { checkSpec, literal, number, required, shape, type Spec } from '../../constructs/shared/checks';

/** The traffic an estimate assumes: what users send the app in a month. */
export interface TrafficProfile {
  /** Requests a month, e.g. 10_000_000. */
  readonly requestsPerMonth: number;
  /** Average size of a response body and headers, in bytes. @default 10_000 */
  readonly averageResponseBytes?: number;
  /** Average time the app takes to answer, in milliseconds (what Lambda bills). @default 50 */
  readonly averageDurationMs?: number;
  /** Share of requests that write to the database, from 0 to 1. @default 0.1 */
  readonly writeShare?: number;
  /**
   * The busiest hour's request rate divided by the month's average rate. Server tiers are sized
   * hour by hour for it; serverless tiers bill requests, whenever they come. @default 3
   */
  readonly peakToAverage?: number;
}

/**
 * What the estimate assumes where neither the template nor the traffic says. Each default is a
 * round figure stated in README's "Cost" section; override any of them for your app.
 */
export interface CostAssumptions {
  /**
   * Requests one vCPU serves per second at 100 % CPU: the server tiers' capacity figure. The
   * default is 10 ms of CPU per request, a handler that queries the database and renders JSON;
   * the adapter itself takes about 25 µs (README, "CPU per request of the server adapter").
   * @default 100
   */
  readonly requestsPerVcpuSecond?: number;
  /**
   * Requests one Aurora capacity unit (about 2 GiB of memory and its share of CPU) serves per
   * second: how Aurora Serverless v2 is sized from the traffic, hour by hour.
   * @default 50
   */
  readonly requestsPerAcuSecond?: number;
  /** Requests a client connection carries: each new connection counts toward a load balancer's LCUs. @default 1 */
  readonly requestsPerConnection?: number;
  /** Bytes logged per request (an access line; on Lambda, the platform's START/END/REPORT lines). @default 300 */
  readonly logBytesPerRequest?: number;
  /** Bytes of VPC flow log per request (about one flow record per client connection). @default 150 */
  readonly flowLogBytesPerRequest?: number;
  /** Bytes of load balancer or CDN access log stored per request, compressed. @default 100 */
  readonly accessLogBytesPerRequest?: number;
  /** System log (boot, `/var/log/messages`) per instance per day, in MB. @default 1 */
  readonly systemLogMBPerInstanceDay?: number;
  /** Data the database or table holds, in GB. @default 5 */
  readonly dataGB?: number;
  /** Data in a bucket that is not a log bucket (static assets, uploads), in GB. @default 1 */
  readonly bucketGB?: number;
  /** Data the app sends to the internet through NAT (third-party APIs), GB a month. @default 0 */
  readonly outboundGBPerMonth?: number;
  /** Share of a volume's or database's blocks that change in a day (incremental snapshots, backups). @default 0.02 */
  readonly dailyChange?: number;
  /**
   * Share of the requests reaching a load balancer's listener rule that the rule's conditions
   * match, for a rule narrower than every request: a path pattern other than '/*' (such as
   * '/api/*'), or a host, header, method, query or source condition. A template does not say how
   * many requests such a pattern matches. A rule on '/*', or with no conditions, matches them all
   * whatever this says. Rules are taken in priority order, each matching this share of the
   * requests no earlier rule took; the listener's default action gets the rest. It is used only
   * where weighted rules (`ForwardConfig.TargetGroups`) split traffic between backends.
   * @default 0.5
   */
  readonly routedShare?: number;
}

/** A traffic profile with every default filled in: what an estimate assumed. */
export interface ResolvedTraffic {
  readonly requestsPerMonth: number;
  readonly averageResponseBytes: number;
  readonly averageDurationMs: number;
  readonly writeShare: number;
  readonly peakToAverage: number;
}

/** Cost assumptions with every default filled in. */
export interface ResolvedAssumptions {
  readonly requestsPerVcpuSecond: number;
  readonly requestsPerAcuSecond: number;
  readonly requestsPerConnection: number;
  readonly logBytesPerRequest: number;
  readonly flowLogBytesPerRequest: number;
  readonly accessLogBytesPerRequest: number;
  readonly systemLogMBPerInstanceDay: number;
  readonly dataGB: number;
  readonly bucketGB: number;
  readonly outboundGBPerMonth: number;
  readonly dailyChange: number;
  readonly routedShare: number;
}

export const TRAFFIC_DEFAULTS: Omit<ResolvedTraffic, 'requestsPerMonth'> = {
  averageResponseBytes: 10_000,
  averageDurationMs: 50,
  writeShare: 0.1,
  peakToAverage: 3,
};

export const ASSUMPTION_DEFAULTS: ResolvedAssumptions = {
  requestsPerVcpuSecond: 100,
  requestsPerAcuSecond: 50,
  requestsPerConnection: 1,
  logBytesPerRequest: 300,
  flowLogBytesPerRequest: 150,
  accessLogBytesPerRequest: 100,
  systemLogMBPerInstanceDay: 1,
  dataGB: 5,
  bucketGB: 1,
  outboundGBPerMonth: 0,
  dailyChange: 0.02,
  routedShare: 0.5,
};

export const TRAFFIC_SPEC: Spec = {
  requestsPerMonth: required(literal(number(0, 1e13, 'requests a month'))),
  averageResponseBytes: literal(number(0, 6 * 1024 * 1024 * 1024, 'bytes')),
  averageDurationMs: literal(number(0, 900_000, 'milliseconds')),
  writeShare: literal(number(0, 1)),
  peakToAverage: literal(number(1, 730, '(peak hour rate ÷ average rate)')),
};

export const ASSUMPTIONS_SPEC: Spec = {
  requestsPerVcpuSecond: literal(number(0.001, 1e7, 'requests per vCPU-second')),
  requestsPerAcuSecond: literal(number(0.001, 1e7, 'requests per ACU-second')),
  requestsPerConnection: literal(number(1, 1e9)),
  logBytesPerRequest: literal(number(0, 1e7, 'bytes')),
  flowLogBytesPerRequest: literal(number(0, 1e7, 'bytes')),
  accessLogBytesPerRequest: literal(number(0, 1e7, 'bytes')),
  systemLogMBPerInstanceDay: literal(number(0, 1e6, 'MB')),
  dataGB: literal(number(0, 1e9, 'GB')),
  bucketGB: literal(number(0, 1e9, 'GB')),
  outboundGBPerMonth: literal(number(0, 1e12, 'GB')),
  dailyChange: literal(number(0, 1)),
  routedShare: literal(number(0, 1)),
};

/** Checks a profile (naming the prop at fault, as construct props are) and fills in the defaults. */
export function resolveTraffic(traffic: TrafficProfile, prop = 'traffic'): ResolvedTraffic {
  shape(TRAFFIC_SPEC, 'a traffic profile such as { requestsPerMonth: 10_000_000 }').validate(traffic, { scope: undefined, prop });
  return { ...TRAFFIC_DEFAULTS, ...withoutUndefined(traffic) } as ResolvedTraffic;
}

export function resolveAssumptions(assumptions: CostAssumptions = {}, prop = 'assumptions'): ResolvedAssumptions {
  checkSpec(undefined, assumptions as Record<string, unknown>, ASSUMPTIONS_SPEC, prop);
  return { ...ASSUMPTION_DEFAULTS, ...withoutUndefined(assumptions) };
}

function withoutUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined && v !== null)) as Partial<T>;
}

/** Hours in AWS's billing month. */
export const HOURS_PER_MONTH = 730;

/**
 * The month's hourly request rates, quietest hour first: a straight line from the quietest hour
 * to the busiest whose mean is the month's average and whose top is `peakToAverage` times it.
 * Up to a ratio of 2 the quietest hour is above zero; beyond it, the quietest hours are idle.
 * Each of the 730 values is the rate at the middle of its hour, in requests per second.
 */
export function hourlyRates(traffic: ResolvedTraffic): number[] {
  const average = traffic.requestsPerMonth / (HOURS_PER_MONTH * 3600);
  const p = traffic.peakToAverage;
  const idle = p > 2 ? 1 - 2 / p : 0;
  const rates: number[] = [];
  for (let h = 0; h < HOURS_PER_MONTH; h++) {
    const x = (h + 0.5) / HOURS_PER_MONTH;
    if (p <= 2) rates.push(average * ((2 - p) + 2 * (p - 1) * x));
    else rates.push(x < idle ? 0 : average * p * (x - idle) / (1 - idle));
  }
  // Sampling at mid-hours shifts the mean a little where the line bends: scale it back exactly.
  const mean = rates.reduce((a, b) => a + b, 0) / HOURS_PER_MONTH;
  return mean > 0 ? rates.map((r) => r * average / mean) : rates;
}

/** Bytes in the GB that AWS bills data and storage in (2^30). */
export const GB = 1024 ** 3;
