import * as fs from 'node:fs';
import * as path from 'node:path';

/**
 * The price table: on-demand list prices read from AWS's public pricing pages, one row per item
 * and region, each naming its source and the date it was read. It is data (`prices.json`, next to
 * this file), versioned with the code, so a price change is a reviewed diff like any other.
 */
export interface PriceTable {
  /** The date the table was last brought up to date, e.g. '2026-12-01'. */
  readonly version: string;
  readonly currency: 'USD';
  readonly about: string;
  readonly prices: PriceRow[];
  readonly instances: InstanceSpec[];
}

/** One price: what it is, in which region, per how many of which unit, and where it was read. */
export interface PriceRow {
  /** e.g. 'ec2.instance.t4g.small' */
  readonly id: string;
  /** 'us-east-1' or 'eu-west-1'; CloudFront's global prices appear under both. */
  readonly region: string;
  readonly description: string;
  /** The unit quantities are counted in: 'hour', 'GB-month', 'request', 'GB-second', ... */
  readonly unit: string;
  /** How many units the price is quoted per (1,000,000 for "per million requests"). @default 1 */
  readonly per?: number;
  /** The price per `per` units, when it does not depend on volume. */
  readonly usd?: number;
  /** Volume tiers of a month's cumulative quantity (`upTo` in units), the last one open-ended. */
  readonly tiers?: PriceTier[];
  /** A monthly quantity AWS does not charge for; applied only when the estimate asks for it. */
  readonly freeTier?: FreeTier;
  /** The page the price was read from. */
  readonly source: string;
  /** The date it was read, YYYY-MM-DD. */
  readonly read: string;
  /** False where the exact figure could not be confirmed in the source; `note` says why. */
  readonly confirmed: boolean;
  readonly note?: string;
}

/** One volume tier: the price up to `upTo` units of the month (the last tier has none). */
export interface PriceTier {
  readonly upTo?: number;
  readonly usd: number;
}

/** A monthly quantity AWS does not charge for, and on what terms (always, or the first year). */
export interface FreeTier {
  readonly quantity: number;
  readonly note: string;
}

/** What sizing needs to know of an instance type. */
export interface InstanceSpec {
  readonly type: string;
  readonly vcpus: number;
  readonly memoryGiB: number;
  /** Baseline CPU utilization of a burstable type, in percent per vCPU. */
  readonly baselinePercent?: number;
  readonly source: string;
  readonly confirmed: boolean;
}

/** The regions the table covers. */
export const PRICED_REGIONS = ['us-east-1', 'eu-west-1'] as const;

let bundled: PriceTable | undefined;

/** The table shipped with this version of the library. */
export function defaultPriceTable(): PriceTable {
  return (bundled ??= JSON.parse(fs.readFileSync(path.join(__dirname, 'prices.json'), 'utf8')) as PriceTable);
}

/** Looks rows up by id and region. */
export class PriceBook {
  private readonly rows = new Map<string, PriceRow>();
  private readonly specs = new Map<string, InstanceSpec>();

  constructor(public readonly table: PriceTable, public readonly region: string) {
    for (const row of table.prices) if (row.region === region) this.rows.set(row.id, row);
    for (const spec of table.instances) this.specs.set(spec.type, spec);
  }

  /** The row, or undefined when the table has no price for it in this region. */
  public row(id: string): PriceRow | undefined {
    return this.rows.get(id);
  }

  public instance(type: string): InstanceSpec | undefined {
    return this.specs.get(type);
  }
}

/** What a quantity of one row costs, and the arithmetic behind it. */
export interface Charge {
  readonly usd: number;
  /** e.g. '1,460 h × $0.0336/h' */
  readonly formula: string;
}

/**
 * Charges quantities against rows over one month. Volume tiers and free tiers apply to the month's
 * cumulative quantity of a row, whichever resources use it (as AWS bills them: data transfer out
 * of every resource shares one set of tiers), so each charge is the marginal cost of its quantity.
 */
export class Meter {
  /** Billed quantity so far, by row: where the next charge starts in the volume tiers. */
  private readonly billed = new Map<string, number>();
  /** Quantity so far that the row's free tier covers, by row. */
  private readonly eligible = new Map<string, number>();

  constructor(private readonly includeFreeTier: boolean) {}

  /** Charges `quantity` units of `row`; `freeTier: false` where the row's free tier does not apply (a NAT gateway's address). */
  public charge(row: PriceRow, quantity: number, freeTier = true): Charge {
    const allowance = this.includeFreeTier && freeTier && row.freeTier ? row.freeTier.quantity : 0;
    const eligibleBefore = this.eligible.get(row.id) ?? 0;
    if (freeTier) this.eligible.set(row.id, eligibleBefore + quantity);
    const freeQuantity = Math.min(quantity, Math.max(0, allowance - eligibleBefore));
    const billedFrom = this.billed.get(row.id) ?? 0;
    const billedTo = billedFrom + quantity - freeQuantity;
    this.billed.set(row.id, billedTo);
    const freeNote = freeQuantity > 0 ? ` (${amount(freeQuantity)} ${row.unit} within the free tier)` : '';
    const per = row.per ?? 1;
    const perText = per === 1 ? `/${shortUnit(row.unit)}` : ` per ${amount(per)} ${row.unit}`;
    const tiers = row.tiers ?? [{ usd: row.usd ?? 0 }];
    let usd = 0;
    const parts: string[] = [];
    let lower = 0;
    for (const tier of tiers) {
      const upper = tier.upTo ?? Infinity;
      const a = Math.max(billedFrom, lower);
      const b = Math.min(billedTo, upper);
      if (b > a) {
        usd += ((b - a) / per) * tier.usd;
        parts.push(`${amount(b - a)} ${shortUnit(row.unit)} × ${dollars(tier.usd)}${perText}`);
      }
      lower = upper;
    }
    if (parts.length === 0) parts.push(`${amount(0)} ${shortUnit(row.unit)} × ${dollars(tiers[0].usd)}${perText}`);
    return { usd, formula: parts.join(' + ') + freeNote };
  }
}

const SHORT: Record<string, string> = { hour: 'h' };
function shortUnit(unit: string): string {
  return SHORT[unit] ?? unit;
}

/** 1234567.8 → '1,234,568'; small quantities keep their significant digits. */
export function amount(n: number): string {
  if (n === 0) return '0';
  if (Math.abs(n) >= 100) return Math.round(n).toLocaleString('en-US');
  return Number(n.toPrecision(4)).toLocaleString('en-US', { maximumFractionDigits: 6 });
}

/** A price as written on AWS's pages: '$0.0168', '$0.0000133334'. */
export function dollars(usd: number): string {
  return `$${usd.toLocaleString('en-US', { maximumFractionDigits: 10 })}`;
}

/** A monthly cost: '$12.26'; below a cent '<$0.01'. */
export function money(usd: number): string {
  if (usd > 0 && usd < 0.005) return '<$0.01';
  return `$${usd.toLocaleString('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 })}`;
}
