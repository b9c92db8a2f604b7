import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createTestApp, insertUser, insertBusiness, insertLedgerRows, addMember, signIn, type TestContext } from './helpers.ts';
import * as dashboard from '../services/reports/dashboard.ts';
import * as pnl from '../services/reports/pnl.ts';
import * as metrics from '../services/reports/metrics.ts';
import * as profitability from '../services/reports/profitability.ts';
import type { Db } from '../services/core/db.ts';

/**
 * A hand-made ledger of a few dozen rows whose every figure is worked out by hand
 * below. Amounts are cents of USD, money in positive.
 *
 * September: opening balance +1,000,000 (a transfer: cash, not profit); a sale 10,000.
 * October (previous period Oct 7-31): sale 40,000 (SKU A), COGS -16,000, fee -1,200,
 *   rent -40,000, ad spend -5,000 → net revenue 40,000, net -22,200.
 * November 1-25 (current period): sales 50,000 (A) + 30,000 (B) + 20,000 (A), other
 *   income 5,000, refund -10,000 (A), chargeback -5,000 (B), COGS -40,000, fees -3,000,
 *   ad spend -7,000, rent -40,000, software -3,000, uncategorised -2,000, payout +60,000
 *   → net revenue 85,000 (other income is not revenue), net profit -5,000.
 * Net burn as of Nov 25: the complete months since the first ledger day are September
 *   (+10,000) and October (-22,200): 12,200 lost over 2 months = 6,100 a month.
 */
async function handMadeLedger(db: Db, businessId: string) {
  const cat = Object.fromEntries((await db('categories').where('business_id', businessId).select('id', 'name')).map((c: { id: string; name: string }) => [c.name, c.id]));
  const [a, b] = await db('products')
    .insert([
      { business_id: businessId, sku: 'SKU-A', name: 'Alpha', currency: 'USD', price: 25_000 },
      { business_id: businessId, sku: 'SKU-B', name: 'Beta', currency: 'USD', price: 30_000 },
    ])
    .returning('id');
  const sale = cat.Sales;
  await insertLedgerRows(db, businessId, [
    { kind: 'transfer', amount: 1_000_000, occurred_on: '2026-09-01', description: 'Opening balance' },
    { kind: 'sale', amount: 10_000, occurred_on: '2026-09-15', category_id: sale },
    { kind: 'sale', amount: 40_000, occurred_on: '2026-10-10', category_id: sale, product_id: a.id, quantity: 2 },
    { kind: 'cogs', amount: -16_000, occurred_on: '2026-10-10', category_id: cat['Cost of goods'], product_id: a.id, quantity: 2 },
    { kind: 'fee', amount: -1_200, occurred_on: '2026-10-10', category_id: cat['Payment fees'] },
    { kind: 'expense', amount: -40_000, occurred_on: '2026-10-15', category_id: cat.Rent, description: 'Rent October', counterparty: 'Landlord' },
    { kind: 'ad_spend', amount: -5_000, occurred_on: '2026-10-20', category_id: cat.Advertising },
    { kind: 'expense', amount: -40_000, occurred_on: '2026-11-01', category_id: cat.Rent, description: 'Rent November', counterparty: 'Landlord' },
    { kind: 'sale', amount: 50_000, occurred_on: '2026-11-02', category_id: sale, product_id: a.id, quantity: 2 },
    { kind: 'cogs', amount: -20_000, occurred_on: '2026-11-02', product_id: a.id, quantity: 2 },
    { kind: 'fee', amount: -1_500, occurred_on: '2026-11-02', category_id: cat['Payment fees'] },
    { kind: 'expense', amount: -3_000, occurred_on: '2026-11-03', category_id: cat.Software },
    { kind: 'ad_spend', amount: -7_000, occurred_on: '2026-11-05', category_id: cat.Advertising },
    { kind: 'payout', amount: 60_000, occurred_on: '2026-11-07' },
    { kind: 'sale', amount: 30_000, occurred_on: '2026-11-10', category_id: sale, product_id: b.id, quantity: 1 },
    { kind: 'cogs', amount: -12_000, occurred_on: '2026-11-10', product_id: b.id, quantity: 1 },
    { kind: 'fee', amount: -900, occurred_on: '2026-11-10', category_id: cat['Payment fees'] },
    { kind: 'refund', amount: -10_000, occurred_on: '2026-11-12', category_id: sale, product_id: a.id, quantity: -1 },
    { kind: 'other_income', amount: 5_000, occurred_on: '2026-11-15' },
    { kind: 'chargeback', amount: -5_000, occurred_on: '2026-11-18', category_id: sale, product_id: b.id },
    { kind: 'sale', amount: 20_000, occurred_on: '2026-11-20', category_id: sale, product_id: a.id, quantity: 1 },
    { kind: 'cogs', amount: -8_000, occurred_on: '2026-11-20', product_id: a.id, quantity: 1 },
    { kind: 'fee', amount: -600, occurred_on: '2026-11-20', category_id: cat['Payment fees'] },
    { kind: 'expense', amount: -2_000, occurred_on: '2026-11-21', category_id: null, description: 'Something' },
  ]);
  const [x, y] = await db('ad_campaigns')
    .insert([
      { business_id: businessId, platform: 'google', external_id: 'x', name: 'Search X' },
      { business_id: businessId, platform: 'meta', external_id: 'y', name: 'Video Y' },
    ])
    .returning('id');
  await db('ad_campaign_stats').insert([
    { campaign_id: x.id, business_id: businessId, day: '2026-11-05', spend: 7_000, revenue: 14_000, conversions: 3, currency: 'USD' },
    { campaign_id: y.id, business_id: businessId, day: '2026-11-06', spend: 2_000, revenue: 1_000, conversions: 1, currency: 'USD' },
    { campaign_id: y.id, business_id: businessId, day: '2026-10-20', spend: 1_000, revenue: 3_000, conversions: 1, currency: 'USD' },
  ]);
  return { cat, a, b };
}

let ctx: TestContext;
let userId: string;
let bizId: string;
let fixture: Awaited<ReturnType<typeof handMadeLedger>>;
let session: Awaited<ReturnType<typeof signIn>>;

before(async () => {
  ctx = await createTestApp();
  const user = await insertUser(ctx.db);
  userId = user.id;
  const biz = await insertBusiness(ctx.db, userId, { name: 'Hand Made Co' });
  bizId = biz.id;
  fixture = await handMadeLedger(ctx.db, bizId);
  session = await signIn(ctx.app, user.email, user.password);
});
after(() => ctx.close());

const NOV = { from: '2026-11-01', to: '2026-11-25' };
const AT = { preset: 'custom' as const, today: '2026-11-25', now: new Date('2026-11-25T12:00:00Z') };

describe('dashboard figures', () => {
  test('every figure and its change against the previous 25 days matches the hand calculation', async () => {
    const s = await dashboard.stats(ctx.db, bizId, NOV, AT);
    assert.equal(s.empty, false);
    if (s.empty) return;
    assert.deepEqual(s.previous, { from: '2026-10-07', to: '2026-10-31' });
    const f = Object.fromEntries(s.figures.map((x) => [x.key, x]));
    assert.equal(f.revenue.label, 'Net revenue');
    assert.equal(f.revenue.value, 85_000);
    assert.equal(f.revenue.previous, 40_000);
    assert.equal(f.revenue.change.pct, 112.5);
    assert.equal(f.expenses.label, 'Total costs');
    assert.equal(f.expenses.value, 95_000);
    assert.equal(f.expenses.previous, 62_200);
    assert.equal(f.expenses.change.pct, 52.7);
    assert.equal(f.expenses.change.tone, 'bad');
    assert.equal(f.net_profit.value, -5_000);
    assert.equal(f.net_profit.previous, -22_200);
    assert.equal(f.net_profit.change.pct, 77.5);
    assert.ok(Math.abs(f.gross_margin.value! - 45_000 / 85_000) < 1e-9);
    assert.equal(f.gross_margin.previous, 0.6);
    assert.equal(f.gross_margin.change.pct, -7.1);
    assert.equal(f.cash.value, 982_800);
    assert.equal(f.cash.previous, 987_800);
    assert.equal(f.cash.change.pct, -0.5);
    // Burn and runway are of today (September and October), with no comparison.
    assert.equal(f.burn.value, 6_100);
    assert.equal(f.burn.previous, null);
    assert.ok(Math.abs(f.runway_months.value! - 982_800 / 6_100) < 1e-9);
    assert.equal(f.runway_months.previous, null);
    assert.equal(s.runway.basis, 'net_burn');
    assert.equal(s.runway.grossBurn, 31_100); // 16,000 + 1,200 + 40,000 + 5,000 out in October, over 2 months
    assert.deepEqual(s.runway.window, { from: '2026-09-01', to: '2026-10-31' });
    assert.deepEqual(s.topSku, { sku: 'SKU-A', name: 'Alpha', revenue: 60_000, previousRevenue: 40_000, change: { pct: 50, text: '+50.0 %', tone: 'good' } });
    assert.equal(s.worstCampaign?.name, 'Video Y');
    assert.equal(s.worstCampaign?.roas, 0.5);
    assert.equal(s.worstCampaign?.previousRoas, 3);
    assert.equal(s.trend.bucket, 'day');
    assert.equal(s.trend.labels.length, 25);
    assert.equal(s.trend.series.cash[24], 982_800);
    assert.equal(
      s.trend.series.revenue.reduce((t, v) => t! + v!, 0),
      85_000,
    );
  });

  test('a period longer than a quarter trends by month, each month with its own figures', async () => {
    const q = await dashboard.stats(ctx.db, bizId, { from: '2026-08-01', to: '2026-11-25' }, AT);
    if (q.empty) return assert.fail('not empty');
    assert.equal(q.trend.bucket, 'month');
    assert.deepEqual(q.trend.labels, ['2026-08-01', '2026-09-01', '2026-10-01', '2026-11-01']);
    // Net revenue: September's sale; October's sale; November's sales less refund and chargeback.
    assert.deepEqual(q.trend.series.revenue, [0, 10_000, 40_000, 85_000]);
    assert.deepEqual(q.trend.series.cash, [0, 1_010_000, 987_800, 982_800]);
  });

  test('the dashboard page shows the figures in the base currency, each with a trend chart, and the same numbers in a table', async () => {
    const res = await session.agent.get(`/b/${bizId}?preset=custom&from=2026-11-01&to=2026-11-25`);
    assert.equal(res.status, 200);
    for (const text of ['$850.00', '$950.00', '-$50.00', '52.9%', '$9,828.00', '$61.00', 'SKU-A', 'ROAS 0.5', '+112.5 %']) assert.ok(res.text.includes(text), text);
    // Burn and runway are figures of today: no trend line of their own.
    assert.equal((res.text.match(/class="spark"/g) ?? []).length, 5);
    for (const term of ['net_revenue', 'total_costs', 'net_profit', 'gross_margin', 'cash', 'net_burn', 'runway']) assert.ok(res.text.includes(`/b/${bizId}/definitions#${term}`), term);
    assert.match(res.text, /<div hidden class="chart-data" id="dashboard-trend" data-json="\{/);
    assert.match(res.text, /<caption class="sr-only">Key figures/);
    assert.doesNotMatch(res.text, /NaN|data-figure="readiness"/i);
  });

  test('a period change over htmx returns only the cards fragment', async () => {
    const res = await session.agent.get(`/b/${bizId}?preset=last_month`).set('HX-Request', 'true');
    assert.equal(res.status, 200);
    assert.match(res.text, /^\s*<section id="dashboard-cards"/);
    assert.doesNotMatch(res.text, /<html/);
    assert.match(res.text, /Oct 1, 2026 – Oct 31, 2026/);
  });

  test('a business with no ledger rows gets an empty state that says what to do, not zeros or NaN', async () => {
    const empty = await insertBusiness(ctx.db, userId, { name: 'Empty Co' });
    const res = await session.agent.get(`/b/${empty.id}`);
    assert.equal(res.status, 200);
    assert.match(res.text, /No money movements yet/);
    // What to do is a link, not a sentence to act on.
    assert.match(res.text, new RegExp(`<a class="button" href="/b/${empty.id}/imports">Import a bank statement</a>`));
    assert.doesNotMatch(res.text, /NaN|\$0\.00/);
    const p = await session.agent.get(`/b/${empty.id}/pnl`);
    assert.match(p.text, /Nothing to report/);
    const m = await session.agent.get(`/b/${empty.id}/metrics`);
    assert.equal(m.status, 200);
    assert.doesNotMatch(m.text, /NaN/);
  });
});

describe('profit and loss', () => {
  test('every cell and total of September to November matches the hand calculation', async () => {
    const s = await pnl.statement(ctx.db, bizId, { from: '2026-09-01', to: '2026-11-25' });
    assert.deepEqual(
      s.months.map((m) => [m.key, m.from, m.to]),
      [
        ['2026-09', '2026-09-01', '2026-09-30'],
        ['2026-10', '2026-10-01', '2026-10-31'],
        ['2026-11', '2026-11-01', '2026-11-25'],
      ],
    );
    const rows = s.lines.map((l) => [l.label, ...l.cells, l.total]);
    assert.deepEqual(rows, [
      ['Gross sales', 10_000, 40_000, 100_000, 150_000],
      ['Refunds and chargebacks', 0, 0, -15_000, -15_000],
      ['Net revenue', 10_000, 40_000, 85_000, 135_000],
      ['Cost of goods', 0, -16_000, -40_000, -56_000],
      ['Gross profit', 10_000, 24_000, 45_000, 79_000],
      ['Payment fees', 0, -1_200, -3_000, -4_200],
      ['Ad spend', 0, -5_000, -7_000, -12_000],
      ['Rent', 0, -40_000, -40_000, -80_000],
      ['Software', 0, 0, -3_000, -3_000],
      ['Uncategorised', 0, 0, -2_000, -2_000],
      ['Operating expenses', 0, -46_200, -55_000, -101_200],
      ['Other income', 0, 0, 5_000, 5_000],
      ['Net profit', 10_000, -22_200, -5_000, -17_200],
    ]);
  });

  test('the CSV export has the same lines in major units', async () => {
    const res = await session.agent.get(`/b/${bizId}/pnl.csv?preset=custom&from=2026-09-01&to=2026-11-25`);
    assert.equal(res.status, 200);
    assert.match(res.headers['content-type'], /text\/csv/);
    const lines = res.text.trim().split('\r\n');
    assert.equal(lines[0], 'Line,2026-09,2026-10,2026-11,Total');
    assert.ok(lines.includes('Net profit,100.00,-222.00,-50.00,-172.00'));
    assert.equal(lines.length, 14);
  });

  test('the drill-down from a cell lists exactly the ledger rows behind it', async () => {
    const page = await session.agent.get(`/b/${bizId}/pnl?preset=custom&from=2026-09-01&to=2026-11-25`);
    const link = `/b/${bizId}/pnl/rows?line=opex&amp;category=${fixture.cat.Rent}&amp;from=2026-11-01&amp;to=2026-11-25`;
    assert.ok(page.text.includes(link), 'the November rent cell links to its rows');
    const res = await session.agent.get(link.replaceAll('&amp;', '&'));
    assert.equal(res.status, 200);
    assert.equal((res.text.match(/data-row=/g) ?? []).length, 1);
    assert.match(res.text, /Rent November/);
    const sales = await pnl.rowsBehind(ctx.db, bizId, { line: 'gross_sales', from: '2026-11-01', to: '2026-11-25' }, null);
    assert.deepEqual(
      sales.rows.map((r) => r.amount_base).sort((x, y) => x - y),
      [20_000, 30_000, 50_000],
    );
    const uncategorised = await pnl.rowsBehind(ctx.db, bizId, { line: 'opex', category: null, from: '2026-09-01', to: '2026-11-25' }, null);
    assert.deepEqual(
      uncategorised.rows.map((r) => r.description),
      ['Something'],
    );
  });

  test('drill-down pages follow each other by keyset without gaps or repeats', async () => {
    const q = { line: 'gross_sales' as const, from: '2026-09-01', to: '2026-11-25' };
    const seen: string[] = [];
    let after: string | null = null;
    do {
      const p: Awaited<ReturnType<typeof pnl.rowsBehind>> = await pnl.rowsBehind(ctx.db, bizId, q, after, 2);
      seen.push(...p.rows.map((r) => r.id));
      assert.equal(p.total, 5);
      after = p.next;
    } while (after);
    assert.equal(seen.length, 5);
    assert.equal(new Set(seen).size, 5);
  });
});

describe('metrics', () => {
  test('each metric as of 2026-11-25 matches the hand calculation', async () => {
    const m = (await metrics.computeMetrics(ctx.db, bizId, '2026-11-25'))!;
    assert.equal(m.revenue_total, 85_000);
    assert.equal(m.net_profit, -5_000);
    assert.equal(m.revenue_growth_mom, 1.125);
    assert.equal(m.revenue_growth_yoy, null);
    // Weekly net revenue, newest week first (Nov 19-25, Nov 12-18, …), in thousands.
    const weeks = [20, -15, 30, 50, 0, 0, 40, 0, 0, 0, 10, 0];
    const mean = weeks.reduce((s, v) => s + v, 0) / 12;
    const sd = Math.sqrt(weeks.reduce((s, v) => s + (v - mean) ** 2, 0) / 12);
    assert.ok(Math.abs(m.revenue_volatility! - sd / mean) < 1e-9);
    assert.ok(Math.abs(m.refund_rate! - 10_000 / 150_000) < 1e-12);
    assert.equal(m.chargeback_ratio, 1 / 5);
    assert.equal(m.payout_reliability, 1 / 13);
    assert.ok(Math.abs(m.gross_margin! - 79_000 / 135_000) < 1e-12);
    assert.equal(m.burn, 6_100);
    assert.equal(m.gross_burn, 31_100);
    assert.equal(m.cash, 982_800);
    assert.ok(Math.abs(m.runway_months! - 982_800 / 6_100) < 1e-9);
    assert.equal(m.runway_basis, 'net_burn');
    assert.equal(m.months_of_history, 2);
    assert.equal(m.top_sku_share, 0.8);
  });

  test('the monthly backfill stores, for each month end, exactly what computing that day on its own gives', async () => {
    const n = await metrics.backfillMonthly(ctx.db, bizId, '2026-11-25');
    assert.equal(n, 3); // Sep 30, Oct 31 and today
    for (const asOf of ['2026-09-30', '2026-10-31', '2026-11-25']) {
      const stored = await ctx.db('metric_snapshots').where({ business_id: bizId, as_of: asOf }).first();
      assert.deepEqual(stored.metrics, JSON.parse(JSON.stringify(await metrics.computeMetrics(ctx.db, bizId, asOf))), asOf);
    }
    await ctx.db('metric_snapshots').where('business_id', bizId).del();
  });

  test('snapshots are stored per day, replaced when recomputed, and shown on the metrics page with history', async () => {
    await metrics.snapshotMetrics(ctx.db, bizId, '2026-10-31');
    await metrics.snapshotMetrics(ctx.db, bizId, '2026-11-25');
    await metrics.snapshotMetrics(ctx.db, bizId, '2026-11-25');
    const hist = await metrics.history(ctx.db, bizId);
    assert.deepEqual(
      hist.map((h) => h.as_of),
      ['2026-10-31', '2026-11-25'],
    );
    assert.equal(hist[1].metrics.revenue_total, 85_000);
    const res = await session.agent.get(`/b/${bizId}/metrics`);
    assert.equal(res.status, 200);
    assert.match(res.text, /Chargeback ratio/);
    assert.match(res.text, />20%</);
    assert.match(res.text, /id="metrics-history"/);
  });
});

describe('products and campaigns', () => {
  test('SKU profitability in November matches the hand calculation, and sorts', async () => {
    const rows = await profitability.skus(ctx.db, bizId, NOV, 'margin', 'desc');
    // A: sales 50,000 + 20,000 (3 units), refund -10,000, COGS -20,000 - 8,000. B: sale 30,000, chargeback -5,000, COGS -12,000.
    assert.deepEqual(
      rows.map((r) => [r.sku, r.revenue, r.units, r.refunds, r.cogs, r.fees, r.margin]),
      [
        ['SKU-A', 70_000, 3, -10_000, -28_000, 0, 32_000],
        ['SKU-B', 30_000, 1, -5_000, -12_000, 0, 13_000],
      ],
    );
    assert.ok(Math.abs(rows[0].marginPct! - 32_000 / 60_000) < 1e-12);
    assert.equal(rows[1].marginPct, 13_000 / 25_000);
    const bySku = await profitability.skus(ctx.db, bizId, NOV, 'marginPct', 'asc');
    assert.deepEqual(
      bySku.map((r) => r.sku),
      ['SKU-B', 'SKU-A'],
    );
    const page = await session.agent.get(`/b/${bizId}/products?preset=custom&from=2026-11-01&to=2026-11-25&sort=revenue&dir=asc`);
    assert.equal(page.status, 200);
    assert.match(page.text, /aria-sort="ascending"/);
    assert.ok(page.text.indexOf('data-sku="SKU-B"') < page.text.indexOf('data-sku="SKU-A"'));
  });

  test('campaigns show spend, conversions, revenue, ROAS and CPA, and flag the one below the threshold', async () => {
    const r = await profitability.campaigns(ctx.db, bizId, NOV, 1);
    assert.deepEqual(
      r.campaigns.map((c) => [c.name, c.spend, c.conversions, c.revenue, c.roas, c.cpa, c.isBelowThreshold]),
      [
        ['Search X', 7_000, 3, 14_000, 2, 2_333, false],
        ['Video Y', 2_000, 1, 1_000, 0.5, 2_000, true],
      ],
    );
    assert.deepEqual(
      r.platforms.map((p) => [p.platform, p.spend, p.roas]),
      [
        ['google', 7_000, 2],
        ['meta', 2_000, 0.5],
      ],
    );
    const page = await session.agent.get(`/b/${bizId}/campaigns?preset=custom&from=2026-11-01&to=2026-11-25&threshold=2.5`);
    assert.equal((page.text.match(/class="flag"/g) ?? []).length, 2);
  });
});

test('a viewer can read every report', async () => {
  const viewer = await insertUser(ctx.db);
  await addMember(ctx.db, bizId, viewer.id, 'viewer');
  const v = await signIn(ctx.app, viewer.email, viewer.password);
  for (const path of ['', '/pnl', '/pnl.csv', `/pnl/rows?line=gross_sales&from=2026-11-01&to=2026-11-25`, '/definitions', '/metrics', '/forecast', '/forecast?horizon=90', '/products', '/campaigns']) {
    const res = await v.agent.get(`/b/${bizId}${path}`);
    assert.equal(res.status, 200, path);
  }
});
