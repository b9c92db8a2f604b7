import type { Db } from '../core/db.ts';
import * as aggregates from './aggregates.ts';
import type { Range } from './periods.ts';

export type SkuRow = {
  product_id: string;
  sku: string;
  name: string;
  revenue: number;
  units: number;
  refunds: number;
  cogs: number;
  fees: number;
  margin: number;
  /** Margin over net revenue (revenue + refunds), or null without net revenue. */
  marginPct: number | null;
};

export const SKU_SORTS = ['sku', 'revenue', 'units', 'refunds', 'cogs', 'fees', 'margin', 'marginPct'] as const;
export type SkuSort = (typeof SKU_SORTS)[number];

/** Per-SKU sums in a range, from rows of the product aggregates; pure. */
export function skuRows(totals: aggregates.ProductTotals[]): SkuRow[] {
  const bySku = new Map<string, SkuRow>();
  for (const t of totals) {
    let r = bySku.get(t.product_id);
    if (!r) {
      r = { product_id: t.product_id, sku: t.sku, name: t.name, revenue: 0, units: 0, refunds: 0, cogs: 0, fees: 0, margin: 0, marginPct: null };
      bySku.set(t.product_id, r);
    }
    const amount = Number(t.amount);
    if (t.kind === 'sale') {
      r.revenue += amount;
      r.units += Number(t.quantity);
    } else if (t.kind === 'refund' || t.kind === 'chargeback') r.refunds += amount;
    else if (t.kind === 'cogs') r.cogs += amount;
    else if (t.kind === 'fee') r.fees += amount;
  }
  for (const r of bySku.values()) {
    r.margin = r.revenue + r.refunds + r.cogs + r.fees;
    const net = r.revenue + r.refunds;
    r.marginPct = net > 0 ? r.margin / net : null;
  }
  return [...bySku.values()];
}

/** SKU profitability over a range, sorted by a column (nulls last). */
export async function skus(db: Db, businessId: string, range: Range, sort: SkuSort = 'margin', dir: 'asc' | 'desc' = 'desc'): Promise<SkuRow[]> {
  const rows = skuRows(await aggregates.productTotals(db, businessId, range.from, range.to));
  const sign = dir === 'asc' ? 1 : -1;
  return rows.sort((a, b) => {
    const x = a[sort];
    const y = b[sort];
    if (x === null) return 1;
    if (y === null) return -1;
    return (typeof x === 'string' ? x.localeCompare(y as string) : x - (y as number)) * sign;
  });
}

export type CampaignRow = {
  id: string;
  name: string;
  platform: string;
  spend: number;
  conversions: number;
  revenue: number;
  roas: number | null;
  cpa: number | null;
  isBelowThreshold: boolean;
};

/** Spend, conversions, revenue, ROAS and CPA per campaign and per platform; campaigns under the ROAS threshold are flagged. */
export async function campaigns(db: Db, businessId: string, range: Range, roasThreshold = 1): Promise<{ campaigns: CampaignRow[]; platforms: Omit<CampaignRow, 'id' | 'name'>[] }> {
  const rows = await db('ad_campaign_stats as s')
    .join('ad_campaigns as c', 'c.id', 's.campaign_id')
    .where('s.business_id', businessId)
    .whereBetween('s.day', [range.from, range.to])
    .groupBy('c.id', 'c.name', 'c.platform')
    .orderBy('c.name')
    .select('c.id', 'c.name', 'c.platform', db.raw('sum(s.spend)::bigint as spend'), db.raw('sum(s.conversions)::bigint as conversions'), db.raw('sum(s.revenue)::bigint as revenue'));
  const row = (spend: number, conversions: number, revenue: number) => {
    const roas = spend > 0 ? revenue / spend : null;
    return { spend, conversions, revenue, roas, cpa: conversions > 0 ? Math.round(spend / conversions) : null, isBelowThreshold: roas !== null && roas < roasThreshold };
  };
  const list: CampaignRow[] = rows.map((r: { id: string; name: string; platform: string; spend: number; conversions: number; revenue: number }) => ({
    id: r.id,
    name: r.name,
    platform: r.platform,
    ...row(r.spend, r.conversions, r.revenue),
  }));
  const platforms = new Map<string, { spend: number; conversions: number; revenue: number }>();
  for (const c of list) {
    const p = platforms.get(c.platform) ?? { spend: 0, conversions: 0, revenue: 0 };
    p.spend += c.spend;
    p.conversions += c.conversions;
    p.revenue += c.revenue;
    platforms.set(c.platform, p);
  }
  return { campaigns: list, platforms: [...platforms.entries()].map(([platform, p]) => ({ platform, ...row(p.spend, p.conversions, p.revenue) })) };
}
