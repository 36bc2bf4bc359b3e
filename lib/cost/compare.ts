import { estimateCost, type EstimateOptions } from './estimate';
import type { CfnTemplate } from './template';

/** One template's monthly cost across a range of traffic. */
export interface CostCurve {
  readonly name: string;
  readonly points: CostPoint[];
}

export interface CostPoint {
  readonly requestsPerMonth: number;
  readonly monthlyUsd: number;
  /** True when the configured capacity cannot serve this traffic: the cost is what it would run, not what the traffic needs. */
  readonly overCapacity: boolean;
  /** Lines the estimate could not price, left out of `monthlyUsd`. */
  readonly notPriced: number;
}

/** Where two curves cross: above `requestsPerMonth`, `cheaper` costs less than `dearer`. */
export interface Crossover {
  readonly requestsPerMonth: number;
  readonly monthlyUsd: number;
  readonly cheaper: string;
  readonly dearer: string;
}

/** An estimate's options without the request count, which comparing (and rating) varies. */
export type CompareOptions = Omit<EstimateOptions, 'traffic'> & { readonly traffic?: Omit<EstimateOptions['traffic'], 'requestsPerMonth'> };

/** `perDecade` points a decade from `from` to `to`, both included. */
export function logSpace(from: number, to: number, perDecade: number): number[] {
  const steps = Math.round(Math.log10(to / from) * perDecade);
  return Array.from({ length: steps + 1 }, (_, i) => Number((from * 10 ** (i / perDecade)).toPrecision(6)));
}

/** The default range: 100 thousand to 1 billion requests a month. */
export const COMPARE_RANGE = logSpace(1e5, 1e9, 8);

/** Each template's monthly cost at each traffic level. */
export function costCurves(templates: ReadonlyArray<readonly [string, CfnTemplate]>, options: CompareOptions = {}, range: readonly number[] = COMPARE_RANGE): CostCurve[] {
  return templates.map(([name, template]) => ({
    name,
    points: range.map((requestsPerMonth) => at(template, options, requestsPerMonth)),
  }));
}

function at(template: CfnTemplate, options: CompareOptions, requestsPerMonth: number): CostPoint {
  const e = estimateCost(template, { ...options, traffic: { ...options.traffic, requestsPerMonth } });
  return { requestsPerMonth, monthlyUsd: e.totalUsd, overCapacity: e.servers.some((s) => s.saturated), notPriced: e.notPriced.length };
}

/**
 * Every place two curves cross, located by bisection on the estimator itself (to 0.1 % of the
 * traffic), in order of traffic.
 */
export function crossovers(templates: ReadonlyArray<readonly [string, CfnTemplate]>, curves: readonly CostCurve[], options: CompareOptions = {}): Crossover[] {
  const found: Crossover[] = [];
  for (let i = 0; i < curves.length; i++) {
    for (let j = i + 1; j < curves.length; j++) {
      const a = curves[i];
      const b = curves[j];
      for (let k = 0; k + 1 < a.points.length; k++) {
        const before = a.points[k].monthlyUsd - b.points[k].monthlyUsd;
        const after = a.points[k + 1].monthlyUsd - b.points[k + 1].monthlyUsd;
        if (before === 0 || Math.sign(before) === Math.sign(after) || after === 0) continue;
        let lo = a.points[k].requestsPerMonth;
        let hi = a.points[k + 1].requestsPerMonth;
        while (hi / lo > 1.001) {
          const mid = Math.sqrt(lo * hi);
          const d = at(templates[i][1], options, mid).monthlyUsd - at(templates[j][1], options, mid).monthlyUsd;
          if (Math.sign(d) === Math.sign(before)) lo = mid;
          else hi = mid;
        }
        const requestsPerMonth = Number(hi.toPrecision(3));
        const cost = at(templates[i][1], options, requestsPerMonth).monthlyUsd;
        // Above the crossing, the one that was dearer below it is the cheaper.
        found.push({ requestsPerMonth, monthlyUsd: cost, cheaper: before > 0 ? a.name : b.name, dearer: before > 0 ? b.name : a.name });
      }
    }
  }
  return found.sort((x, y) => x.requestsPerMonth - y.requestsPerMonth || x.cheaper.localeCompare(y.cheaper));
}
