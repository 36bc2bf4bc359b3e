import type { CostCurve, Crossover } from './compare';
import { requestsLabel } from './chart';
import type { CostEstimate, CostLine } from './estimate';
import { amount, dollars, money, type PriceRow } from './prices';

/** The profile an estimate assumed, in one line. */
export function describeTraffic(e: CostEstimate): string {
  const t = e.traffic;
  return `${amount(t.requestsPerMonth)} requests/month, ${amount(t.averageResponseBytes)} B responses, ${amount(t.averageDurationMs)} ms each, `
    + `${amount(t.writeShare * 100)} % writes, peak ${amount(t.peakToAverage)}× average; ${e.region} prices of ${e.priceTableVersion}; `
    + `free tiers ${e.includeFreeTier ? 'included' : 'not included'}`;
}

/** The `n` costliest lines: what a budget message shows. */
export function topLines(e: CostEstimate, n: number): CostLine[] {
  return [...e.lines].filter((l) => (l.monthlyUsd ?? 0) > 0).sort((a, b) => b.monthlyUsd! - a.monthlyUsd!).slice(0, n);
}

/**
 * An estimate as markdown: every charged line with its formula, then the lines not priced, then
 * what costs nothing, then the price rows behind it all with their sources.
 */
export function renderEstimate(e: CostEstimate, heading = '###'): string {
  const cell = (s: string) => s.replace(/\|/g, '\\|');
  const out = [
    `${heading} Monthly cost: ${money(e.totalUsd)}${e.notPriced.length ? ` plus ${e.notPriced.length} line${e.notPriced.length > 1 ? 's' : ''} not priced` : ''}`,
    '',
    describeTraffic(e),
    '',
    '| resource | item | how | monthly |',
    '|---|---|---|---:|',
  ];
  const charged = e.lines.filter((l) => (l.monthlyUsd ?? 0) > 0);
  for (const l of charged) out.push(`| ${l.resource} | ${cell(l.item)} | ${cell(l.formula)} | ${money(l.monthlyUsd!)} |`);
  for (const l of e.notPriced) out.push(`| ${l.resource} | ${cell(l.item)} | ${cell(l.formula)} | not priced |`);
  out.push(`| | | **total** | **${money(e.totalUsd)}** |`, '');
  const free = e.lines.filter((l) => l.monthlyUsd === 0);
  if (free.length) {
    const byWhy = new Map<string, string[]>();
    for (const l of free) byWhy.set(l.formula, [...(byWhy.get(l.formula) ?? []), l.resource]);
    out.push(`No charge (${free.length} lines):`, '');
    for (const [why, ids] of byWhy) out.push(`- ${why}: ${ids.length > 4 ? `${ids.slice(0, 4).join(', ')} and ${ids.length - 4} more` : ids.join(', ')}`);
    out.push('');
  }
  out.push('Prices used:', '', renderRows(e.rows));
  return out.join('\n') + '\n';
}

/** Price rows with their sources, as a markdown table. */
export function renderRows(rows: readonly PriceRow[]): string {
  const out = ['| price | region | value | source | read | confirmed |', '|---|---|---|---|---|---|'];
  for (const r of [...rows].sort((a, b) => a.id.localeCompare(b.id))) {
    out.push(`| ${r.id} | ${r.region} | ${priceText(r)} | ${r.source.replace(/\|/g, '\\|')} | ${r.read} | ${r.confirmed ? 'yes' : `no${r.note ? `: ${r.note.replace(/\|/g, '\\|')}` : ''}`} |`);
  }
  return out.join('\n');
}

/** '$0.0168/hour', '$1 per 1,000,000 request; $0.9 above 300,000,000' */
export function priceText(r: PriceRow): string {
  const per = r.per && r.per !== 1 ? ` per ${amount(r.per)} ${r.unit}` : `/${r.unit}`;
  if (!r.tiers) return `${dollars(r.usd ?? 0)}${per}`;
  return r.tiers.map((t, i) => `${dollars(t.usd)}${per}${t.upTo !== undefined ? ` up to ${amount(t.upTo)}` : i ? ' beyond' : ''}`).join('; ');
}

/** The comparison as a markdown table: tiers across, traffic down; and the crossovers listed. */
export function renderComparison(curves: readonly CostCurve[], crossings: readonly Crossover[], levels: readonly number[]): string {
  const out = [`| requests/month | ${curves.map((c) => c.name).join(' | ')} |`, `|---:|${curves.map(() => '---:').join('|')}|`];
  for (const level of levels) {
    const cells = curves.map((c) => {
      const p = c.points.find((q) => q.requestsPerMonth === level);
      if (!p) return '—';
      return `${money(p.monthlyUsd)}${p.overCapacity ? ' (over capacity)' : ''}`;
    });
    out.push(`| ${requestsLabel(level)} | ${cells.join(' | ')} |`);
  }
  const unpriced = curves.filter((c) => c.points.some((p) => p.notPriced > 0));
  if (unpriced.length) {
    out.push('', `Left out of these sums, as not priced (\`npm run cost\` lists them): ${unpriced.map((c) => `${c.name} ${Math.max(...c.points.map((p) => p.notPriced))} lines`).join(', ')}.`);
  }
  out.push('');
  if (crossings.length) {
    out.push('Crossovers (numbered as on the chart):', '');
    crossings.forEach((c, i) => out.push(`${i + 1}. above ${requestsLabel(c.requestsPerMonth)} requests/month (${money(c.monthlyUsd)}), ${c.cheaper} costs less than ${c.dearer}`));
  } else {
    out.push('No crossovers in this range.');
  }
  return out.join('\n') + '\n';
}
