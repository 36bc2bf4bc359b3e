import type { CostCurve, Crossover } from './compare';

export interface ChartOptions {
  /** The heading over the plot. */
  readonly title: string;
  /** A line under it, e.g. the profile and the price table's date. */
  readonly subtitle?: string;
}

/** Colour-blind-safe colours (Okabe and Ito), one per curve in order. */
const COLOURS = ['#D55E00', '#E69F00', '#009E73', '#56B4E9', '#0072B2', '#CC79A7', '#000000', '#999999'];

const WIDTH = 1000;
const HEIGHT = 560;
const PLOT = { left: 80, right: 680, top: 70, bottom: 490 };

/**
 * The cost curves as an SVG line chart on log-log axes, the crossovers numbered in order of
 * traffic; stretches where a tier's configured capacity cannot serve the traffic are dashed.
 * The output depends only on the input: no dates, ids or random numbers.
 */
export function costChartSvg(curves: readonly CostCurve[], crossings: readonly Crossover[], options: ChartOptions): string {
  const xs = curves.flatMap((c) => c.points.map((p) => p.requestsPerMonth));
  const ys = curves.flatMap((c) => c.points.map((p) => p.monthlyUsd)).filter((y) => y > 0);
  const xMin = Math.log10(Math.min(...xs));
  const xMax = Math.log10(Math.max(...xs));
  const yMin = Math.floor(Math.log10(Math.min(...ys)));
  const yMax = Math.ceil(Math.log10(Math.max(...ys)));
  const x = (v: number) => PLOT.left + (Math.log10(v) - xMin) / (xMax - xMin || 1) * (PLOT.right - PLOT.left);
  const y = (v: number) => PLOT.bottom - (Math.log10(Math.max(v, 10 ** yMin)) - yMin) / (yMax - yMin || 1) * (PLOT.bottom - PLOT.top);
  const f = (n: number) => n.toFixed(1);
  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${HEIGHT}" viewBox="0 0 ${WIDTH} ${HEIGHT}" font-family="DejaVu Sans, Verdana, sans-serif" font-size="12">`,
    `<rect width="${WIDTH}" height="${HEIGHT}" fill="#ffffff"/>`,
    `<text x="${PLOT.left}" y="28" font-size="16" font-weight="bold">${escape(options.title)}</text>`,
  ];
  if (options.subtitle) out.push(`<text x="${PLOT.left}" y="48" fill="#555555">${escape(options.subtitle)}</text>`);
  // Grid and axes: one line a decade.
  for (let d = Math.ceil(xMin); d <= Math.floor(xMax); d++) {
    const px = f(x(10 ** d));
    out.push(`<line x1="${px}" y1="${PLOT.top}" x2="${px}" y2="${PLOT.bottom}" stroke="#dddddd"/>`);
    out.push(`<text x="${px}" y="${PLOT.bottom + 18}" text-anchor="middle">${requestsLabel(10 ** d)}</text>`);
  }
  for (let d = yMin; d <= yMax; d++) {
    const py = f(y(10 ** d));
    out.push(`<line x1="${PLOT.left}" y1="${py}" x2="${PLOT.right}" y2="${py}" stroke="#dddddd"/>`);
    out.push(`<text x="${PLOT.left - 8}" y="${f(y(10 ** d) + 4)}" text-anchor="end">${dollarLabel(10 ** d)}</text>`);
  }
  out.push(`<rect x="${PLOT.left}" y="${PLOT.top}" width="${PLOT.right - PLOT.left}" height="${PLOT.bottom - PLOT.top}" fill="none" stroke="#888888"/>`);
  out.push(`<text x="${(PLOT.left + PLOT.right) / 2}" y="${PLOT.bottom + 40}" text-anchor="middle">requests a month</text>`);
  out.push(`<text transform="translate(22 ${(PLOT.top + PLOT.bottom) / 2}) rotate(-90)" text-anchor="middle">USD a month</text>`);
  // Curves: solid within capacity, dashed beyond it.
  curves.forEach((curve, i) => {
    const colour = COLOURS[i % COLOURS.length];
    for (let k = 0; k + 1 < curve.points.length; k++) {
      const a = curve.points[k];
      const b = curve.points[k + 1];
      const dash = a.overCapacity || b.overCapacity ? ' stroke-dasharray="5 4"' : '';
      out.push(`<line x1="${f(x(a.requestsPerMonth))}" y1="${f(y(a.monthlyUsd))}" x2="${f(x(b.requestsPerMonth))}" y2="${f(y(b.monthlyUsd))}" stroke="${colour}" stroke-width="2.5"${dash}/>`);
    }
    const ly = PLOT.top + 10 + i * 22;
    out.push(`<line x1="${PLOT.right + 20}" y1="${ly}" x2="${PLOT.right + 44}" y2="${ly}" stroke="${colour}" stroke-width="3"/>`);
    out.push(`<text x="${PLOT.right + 50}" y="${ly + 4}">${escape(curve.name)}</text>`);
  });
  const legendEnd = PLOT.top + 10 + curves.length * 22;
  out.push(`<line x1="${PLOT.right + 20}" y1="${legendEnd + 6}" x2="${PLOT.right + 44}" y2="${legendEnd + 6}" stroke="#555555" stroke-width="2.5" stroke-dasharray="5 4"/>`);
  out.push(`<text x="${PLOT.right + 50}" y="${legendEnd + 10}">over capacity</text>`);
  // Crossovers: a dot each, numbered; numbers whose dots nearly touch share one label ("4–6").
  const labels: Array<{ from: number; to: number; x: number; y: number }> = [];
  crossings.forEach((c, i) => {
    const cx = x(c.requestsPerMonth);
    const cy = y(c.monthlyUsd);
    out.push(`<circle cx="${f(cx)}" cy="${f(cy)}" r="5" fill="#ffffff" stroke="#222222" stroke-width="1.5"/>`);
    const last = labels[labels.length - 1];
    if (last && Math.abs(cx - last.x) < 16 && Math.abs(cy - last.y) < 16) {
      last.to = i + 1;
      last.y = Math.min(last.y, cy);
    } else {
      labels.push({ from: i + 1, to: i + 1, x: cx, y: cy });
    }
    const ly = legendEnd + 36 + i * 16;
    if (ly < HEIGHT - 8) {
      out.push(`<text x="${PLOT.right + 20}" y="${ly}" font-size="10.5">${i + 1}: ${escape(c.cheaper)} &lt; ${escape(c.dearer)} above ${requestsLabel(c.requestsPerMonth)}</text>`);
    }
  });
  for (const l of labels) {
    const text = l.from === l.to ? `${l.from}` : `${l.from}–${l.to}`;
    out.push(`<text x="${f(l.x)}" y="${f(l.y - 10)}" text-anchor="middle" font-size="11" font-weight="bold">${text}</text>`);
  }
  out.push('</svg>');
  return out.join('\n') + '\n';
}

/** 100000 → '100k', 2500000 → '2.5M', 1e9 → '1B'. */
export function requestsLabel(n: number): string {
  const units: Array<[number, string]> = [[1e9, 'B'], [1e6, 'M'], [1e3, 'k']];
  for (const [size, suffix] of units) if (n >= size) return `${Number((n / size).toPrecision(3))}${suffix}`;
  return String(Number(n.toPrecision(3)));
}

function dollarLabel(n: number): string {
  if (n >= 1000) return `$${requestsLabel(n)}`;
  return `$${n >= 1 ? n : n.toPrecision(1)}`;
}

function escape(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** The SVG as a PNG, with `@resvg/resvg-js` (an optional peer: only the chart's PNG needs it). */
export function svgToPng(svg: string): Buffer {
  let resvg: typeof import('@resvg/resvg-js');
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    resvg = require('@resvg/resvg-js');
  } catch {
    throw new Error('writing the chart as PNG needs @resvg/resvg-js: npm install --save-dev @resvg/resvg-js (the SVG needs nothing)');
  }
  return new resvg.Resvg(svg, { fitTo: { mode: 'width', value: WIDTH * 2 }, font: { loadSystemFonts: true, defaultFontFamily: 'DejaVu Sans' } }).render().asPng();
}
