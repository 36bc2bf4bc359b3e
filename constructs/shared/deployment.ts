import { Token, type Duration } from 'aws-cdk-lib';
import type { IConstruct } from 'constructs';
import { checkSpec, required, satisfies, withoutNulls } from './checks';
import { WebTiersValidationError } from './validation';

// Presence only: the tiers check the values where they map them, naming themselves.
const ANY_PERCENT = satisfies(() => true, 'an integer from 1 to 99');
const ANY_BAKE = satisfies(() => true, 'a Duration of whole minutes (e.g. Duration.minutes(10))');

/**
 * What a tier's `deployment` prop takes: a {@link Deployment} on every tier, or — where a tier
 * has one — its own deployment type (`RollingDeployment` on tier 3, `BeanstalkDeployment` on
 * tier 4, `ServerlessDeployment` on tiers 5–6). Anything else fails at synth.
 */
export interface IDeployment {}

/** The strategy of a {@link Deployment}. */
export enum DeploymentStrategy {
  /** Everything replaced together. */
  ALL_AT_ONCE = 'allAtOnce',
  /** Replaced in batches, each healthy before the next. */
  ROLLING = 'rolling',
  /** A share of traffic to the new version for a while, then all of it. */
  CANARY = 'canary',
}

/** Options of {@link Deployment.rolling}. */
export interface RollingOptions {
  /**
   * Share replaced in one batch, 1–100: a share of the instances (of `capacity.min` on tier 3,
   * rounded up to whole instances), or on tiers 5–6 the share of traffic added per interval.
   * 100 is one batch.
   * @default - one instance per batch; on tiers 5–6, 10 % of traffic per interval
   */
  readonly batchPercent?: number;
  /**
   * Share of capacity that keeps serving while a batch is replaced, 0–100. At 100 new instances
   * start before old ones stop (tier 3 launches above the desired size, tier 4 adds a batch);
   * tier 2, which creates each new instance before it removes the old one, and tiers 5–6, where
   * the old version serves the rest of the traffic, always keep 100.
   * @default 100
   */
  readonly minHealthyPercent?: number;
  /**
   * How long a batch may take to report healthy before the deploy fails and rolls back (tiers
   * 2–3: each new instance's signal, whole minutes from 1 to 60; tier 4: Beanstalk's command
   * timeout, whole seconds from 1 to 3600); on tiers 5–6 the interval between traffic steps,
   * whole minutes from 1 to 60.
   * @default - 15 minutes on tiers 2–3, 10 minutes on tier 4, 1 minute on tiers 5–6
   */
  readonly timeout?: Duration;
}

/** Options of {@link Deployment.canary}. */
export interface CanaryOptions {
  /** Share of traffic the new version gets first, 1–99. */
  readonly percent: number;
  /**
   * How long that share runs before the new version gets all traffic, in whole minutes
   * (tier 4: 1–600, tiers 5–6: 1–60). The tier rolls back if its health checks or alarms fail
   * meanwhile.
   */
  readonly bake: Duration;
}

/**
 * How a deploy replaces what runs the app — one deployment-safety knob with the same meaning on
 * every tier. Each tier maps it to what its service offers and fails at synth, naming
 * `deployment` and the tier, when it cannot do what was asked:
 *
 * - `allAtOnce()`: every tier.
 * - `rolling()`: tiers 2–6 (tier 1 runs one instance, replaced terminate-first).
 * - `canary()`: tiers 4–6, which can split traffic between two versions.
 */
export class Deployment implements IDeployment {
  /**
   * Everything replaced together: the fastest deploy. Where the old version stops before the
   * new one is up (tier 1, tier 3's group, tier 4's instances) the app is down meanwhile; tier 2
   * boots every new instance before it switches over, tiers 5–6 shift all traffic at once.
   */
  public static allAtOnce(): Deployment {
    return new Deployment(DeploymentStrategy.ALL_AT_ONCE);
  }

  /** Replace in batches, each batch healthy before the next starts; a failed batch rolls the deploy back. */
  public static rolling(options: RollingOptions = {}): Deployment {
    // Types and ranges are checked where a tier maps them, naming the construct and the tier.
    const o = withoutNulls(options) ?? {};
    return new Deployment(DeploymentStrategy.ROLLING, o.batchPercent, o.minHealthyPercent, o.timeout);
  }

  /**
   * Send `percent` of traffic to the new version for `bake`, then all of it; traffic moves back
   * if the tier's alarms fire meanwhile. Tiers 4–6.
   */
  public static canary(options: CanaryOptions): Deployment {
    const o = withoutNulls(options) ?? {};
    checkSpec(undefined, o as unknown as Record<string, unknown>, {
      percent: required(ANY_PERCENT),
      bake: required(ANY_BAKE),
    }, 'Deployment.canary(options)');
    return new Deployment(DeploymentStrategy.CANARY, undefined, undefined, undefined, o.percent, o.bake);
  }

  private constructor(
    /** The strategy. */
    public readonly strategy: DeploymentStrategy,
    /** Share replaced per batch (rolling), when given. */
    public readonly batchPercent?: number,
    /** Share of capacity kept in service (rolling), when given. */
    public readonly minHealthyPercent?: number,
    /** How long a batch may take, or the interval on tiers 5–6 (rolling), when given. */
    public readonly timeout?: Duration,
    /** Share of traffic to the new version first (canary). */
    public readonly percent?: number,
    /** How long that share runs (canary). */
    public readonly bake?: Duration,
  ) {}

  /**
   * Checks what means the same on every tier — the ranges of the percentages and that durations
   * are given — naming the option and the tier; tier-specific limits are the tier's.
   * @internal
   */
  public _validate(scope: IConstruct, tier: string): void {
    const integer = (prop: string, value: number | undefined, min: number, max: number) => {
      if (value !== undefined && !Token.isUnresolved(value) && (!Number.isInteger(value) || value < min || value > max)) {
        throw new WebTiersValidationError(scope, `deployment.${prop}`, `got ${value} on ${tier}; accepted: an integer from ${min} to ${max} percent`);
      }
    };
    integer('batchPercent', this.batchPercent, 1, 100);
    integer('minHealthyPercent', this.minHealthyPercent, 0, 100);
    if (this.strategy === DeploymentStrategy.CANARY) {
      if (this.percent === undefined) throw new WebTiersValidationError(scope, 'deployment.percent', `is required for Deployment.canary() on ${tier}; accepted: an integer from 1 to 99`);
      integer('percent', this.percent, 1, 99);
      if (this.bake === undefined) throw new WebTiersValidationError(scope, 'deployment.bake', `is required for Deployment.canary() on ${tier}; accepted: a Duration in whole minutes`);
    }
  }

  /**
   * A duration in whole minutes from `min` to `max`, or the error naming the option and the
   * tier.
   * @internal
   */
  public _minutes(scope: IConstruct, tier: string, prop: 'timeout' | 'bake', min: number, max: number): number | undefined {
    const duration = prop === 'timeout' ? this.timeout : this.bake;
    if (duration === undefined) return undefined;
    const minutes = duration.toMinutes({ integral: false });
    if (!Number.isInteger(minutes) || minutes < min || minutes > max) {
      throw new WebTiersValidationError(scope, `deployment.${prop}`, `got ${minutes} minutes on ${tier}; accepted: whole minutes from ${min} to ${max}`);
    }
    return minutes;
  }

  /**
   * The error for a deployment a tier cannot do (or a value that is no deployment at all): it
   * names `deployment`, what was given, the tier, why, and what the tier accepts.
   * @internal
   */
  public static _unsupported(scope: IConstruct, tier: string, given: unknown, accepted: string, why?: string): WebTiersValidationError {
    const what = given instanceof Deployment ? `Deployment.${given.strategy}()` : describe(given);
    return new WebTiersValidationError(scope, 'deployment',
      `${what} is not possible on ${tier}${why ? `: ${why}` : ''}; accepted on ${tier}: ${accepted}`);
  }

  public toString(): string {
    return `Deployment.${this.strategy}()`;
  }
}

function describe(value: unknown): string {
  if (value === null || typeof value !== 'object') return `${JSON.stringify(value) ?? String(value)} (${value === null ? 'null' : typeof value})`;
  const name = (value as object).constructor?.name;
  return name && name !== 'Object' ? `a ${name}` : 'an object of another shape';
}
