import { Duration, Token } from 'aws-cdk-lib';
import type * as autoscaling from 'aws-cdk-lib/aws-autoscaling';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import type { IConstruct } from 'constructs';
import { describe } from '../shared/checks';
import { AGENT_NAMESPACE } from '../shared/server-bootstrap';
import { WebTiersValidationError } from '../shared/validation';

enum Signal { CPU = 'cpu', MEMORY = 'memory', REQUESTS = 'requestsPerTarget' }

const RANGES: Record<Signal, [number, number, string]> = {
  [Signal.CPU]: [1, 100, 'percent'],
  [Signal.MEMORY]: [1, 100, 'percent'],
  [Signal.REQUESTS]: [1, 1_000_000, 'requests per target per minute'],
};

/**
 * What the Auto Scaling group tracks: each `ScaleOn` is one target-tracking policy that adds
 * instances when the signal rises above its target and removes them when it falls below.
 */
export class ScaleOn {
  /** Keep average CPU utilization near `targetPercent` (1–100). */
  public static cpu(targetPercent: number): ScaleOn {
    return new ScaleOn(Signal.CPU, targetPercent);
  }

  /**
   * Keep average memory use near `targetPercent` (1–100), from the CloudWatch agent's
   * `mem_used_percent`. `ScaleOn.memory(85)` scales out before free memory drops below 15 %.
   */
  public static memory(targetPercent: number): ScaleOn {
    return new ScaleOn(Signal.MEMORY, targetPercent);
  }

  /** Keep requests per instance per minute (from the load balancer) near `requestsPerMinute` (1–1,000,000). */
  public static requestsPerTarget(requestsPerMinute: number): ScaleOn {
    return new ScaleOn(Signal.REQUESTS, requestsPerMinute);
  }

  private constructor(private readonly signal: Signal, private readonly target: number) {}

  /** A short description, e.g. `cpu 60`. */
  public toString(): string {
    return `${this.signal} ${this.target}`;
  }

  /** @internal */
  public _validate(scope: IConstruct, prop: string): void {
    const [min, max, unit] = RANGES[this.signal];
    if (Token.isUnresolved(this.target)) return;
    const integer = this.signal === Signal.REQUESTS;
    if (typeof this.target !== 'number' || !Number.isFinite(this.target) || this.target < min || this.target > max || (integer && !Number.isInteger(this.target))) {
      throw new WebTiersValidationError(scope, prop,
        `got ScaleOn.${this.signal}(${describe(this.target)}); accepted: ${integer ? 'an integer' : 'a number'} from ${min} to ${max} ${unit}`);
    }
  }

  /** The key that makes two policies on the same signal a conflict. @internal */
  public get _signal(): string {
    return this.signal;
  }

  /** @internal */
  public _apply(group: autoscaling.AutoScalingGroup): autoscaling.TargetTrackingScalingPolicy {
    switch (this.signal) {
      case Signal.CPU:
        return group.scaleOnCpuUtilization('ScaleOnCpu', { targetUtilizationPercent: this.target });
      case Signal.REQUESTS:
        return group.scaleOnRequestCount('ScaleOnRequests', { targetRequestsPerMinute: this.target });
      case Signal.MEMORY:
        return group.scaleToTrackMetric('ScaleOnMemory', {
          metric: new cloudwatch.Metric({
            namespace: AGENT_NAMESPACE,
            metricName: 'mem_used_percent',
            dimensionsMap: { AutoScalingGroupName: group.autoScalingGroupName },
            statistic: 'Average',
            period: Duration.minutes(1),
          }),
          targetValue: this.target,
        });
    }
  }
}
