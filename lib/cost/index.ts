// The cost estimator, as the package exports it: price a synthesized template for a traffic
// profile line by line from the versioned price table; rate it on the ladder's questions; compare
// templates across traffic and chart them; and a budget that fails synth above its amount and
// alerts on real spend.
export { CostBudget, type CostBudgetProps } from './budget';
export { costChartSvg, svgToPng, type ChartOptions } from './chart';
export { costCurves, crossovers, type CompareOptions, type CostCurve, type CostPoint, type Crossover } from './compare';
export { estimateCost, type CostEstimate, type CostLine, type EstimateOptions, type ServerScaling, type ServerSizing, type ServingFunction } from './estimate';
export { defaultPriceTable, type FreeTier, type InstanceSpec, type PriceRow, type PriceTable, type PriceTier } from './prices';
export type { CostAssumptions, ResolvedAssumptions, ResolvedTraffic, TrafficProfile } from './profile';
export { rateTemplate, renderRatings, type RatedCost, type RatingOptions, type Ratings } from './ratings';
export { renderComparison, renderEstimate } from './render';
