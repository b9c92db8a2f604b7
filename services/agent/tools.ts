import { z } from 'zod';
import type { Db } from '../core/db.ts';
import { addDays, isoDate, type Clock } from '../core/clock.ts';
import { formatMoney } from '../core/money.ts';
import { day } from '../core/dates.ts';
import * as readiness from '../readiness/scores.ts';
import * as recommendations from '../readiness/recommendations.ts';
import * as knowledge from './knowledge.ts';
import * as ledger from '../ledger/transactions.ts';
import * as profitability from '../reports/profitability.ts';
import * as forecasting from '../reports/forecast/forecast.ts';
import { NotFound } from '../core/errors.ts';
import type { Embedder } from './embeddings.ts';
import * as metrics from '../reports/metrics.ts';
import * as aggregates from '../reports/aggregates.ts';
import { profitFigures, type KindSums, type ProfitFigures } from '../reports/definitions.ts';

/**
 * The agent's tools: read-only service calls scoped to one business, shared by the
 * model path, the offline analyst and the MCP server. Each returns compact JSON and
 * the links of the pages its figures come from, so an answer can point at them.
 *
 * To add a tool: write a `defineTool({...})` below calling the service, and add it to TOOLS.
 * The model, the offline analyst's intents and /mcp all read TOOLS.
 */

export type Link = { label: string; href: string };
/** Money in minor units with the text a person reads, so neither side has to format. */
export type Amount = { minor: number; text: string };
export type ToolResult = { data: Record<string, unknown>; links: Link[]; citations?: string[] };
/**
 * What a tool may know beyond the business: "today" comes from the app's clock, never
 * the system's; the embedder (when an embeddings endpoint is configured) lets
 * knowledge_search find guides by meaning.
 */
export type ToolContext = { today: string; now: Date; embedder?: Embedder | null };

export function toolContext(clock: Clock, embedder: Embedder | null = null): ToolContext {
  const now = clock.now();
  return { today: isoDate(now), now, embedder };
}

export type Tool<S extends z.ZodObject = z.ZodObject> = {
  name: string;
  description: string;
  parameters: S;
  run(db: Db, businessId: string, args: z.output<S>, ctx: ToolContext): Promise<ToolResult>;
};

function defineTool<S extends z.ZodObject>(tool: Tool<S>): Tool<S> {
  return tool;
}

const date = day();

type Totals = Partial<Record<string, number>>;

async function businessRow(db: Db, businessId: string) {
  const row = await db('businesses').where({ id: businessId }).first('id', 'name', 'currency', 'industry', 'legal_entity', 'founded_on');
  if (!row) throw new NotFound('No such business.');
  return row as { id: string; name: string; currency: string; industry: string | null; legal_entity: string | null; founded_on: string | null };
}

const amount = (minor: number, currency: string): Amount => ({ minor, text: formatMoney(minor, currency) });
const ratio = (x: number | null, digits = 1) => (x === null ? null : { value: Math.round(x * 10_000) / 10_000, text: `${(x * 100).toFixed(digits)} %` });

export function pnlLink(businessId: string, from: string, to: string): Link {
  return { label: `P&L ${from} to ${to}`, href: `/b/${businessId}/pnl?from=${from}&to=${to}` };
}

/** The P&L lines of a range from totals by kind, as definitions.ts defines them; costs as positive numbers. */
export function pnlLines(t: Totals) {
  const f = profitFigures(t as KindSums);
  return {
    revenue: f.netRevenue,
    sales: f.grossSales,
    refunds: -(t.refund ?? 0),
    chargebacks: -(t.chargeback ?? 0),
    cogs: -f.cogs,
    grossProfit: f.grossProfit,
    grossMargin: f.grossMargin,
    fees: -f.fees,
    adSpend: -f.adSpend,
    expenses: -f.expenses,
    operating: -f.operatingExpenses,
    otherIncome: f.otherIncome,
    costs: f.totalCosts,
    net: f.netProfit,
  };
}

export const businessContext = defineTool({
  name: 'business_context',
  description: "The business's name, currency, industry and founding date, and how much ledger history Bursar holds (first and last date, number of rows).",
  parameters: z.object({}),
  async run(db, businessId) {
    // From the stored daily totals (a row count per day and kind), so the cost does not grow with the ledger.
    const [b, range] = await Promise.all([
      businessRow(db, businessId),
      db('daily_totals')
        .where({ business_id: businessId })
        .where('entries', '<>', 0)
        .first(db.raw('min(day) as first'), db.raw('max(day) as last'), db.raw('coalesce(sum(entries), 0)::bigint as rows')),
    ]);
    return {
      data: {
        name: b.name,
        legal_entity: b.legal_entity,
        industry: b.industry,
        currency: b.currency,
        founded_on: b.founded_on,
        ledger: { first_date: range.first, last_date: range.last, rows: range.rows },
      },
      links: [
        { label: 'Overview', href: `/b/${businessId}` },
        { label: 'Settings', href: `/b/${businessId}/settings` },
      ],
    };
  },
});

export const readinessBreakdown = defineTool({
  name: 'readiness_breakdown',
  description:
    'The latest funding-readiness score (0-100), its tier and its ten components with points, the figure behind them and what would raise them; the components losing the most points come first.',
  parameters: z.object({}),
  async run(db, businessId) {
    const current = await readiness.latest(db, businessId);
    const links = [{ label: 'Readiness', href: `/b/${businessId}/readiness` }];
    if (!current) return { data: { computed: false, message: 'The readiness score has not been computed yet.' }, links };
    const components = [...current.components]
      .sort((a, b) => b.max - b.points - (a.max - a.points))
      .map((c) => ({ key: c.key, label: c.label, points: c.points, max: c.max, missing: c.max - c.points, figure: c.figure, to_raise: c.toRaise }));
    return { data: { computed: true, score: current.score, tier: current.tier, as_of: current.as_of, components }, links, citations: ['readiness-score-explained'] };
  },
});

export const topRecommendations = defineTool({
  name: 'top_recommendations',
  description: 'The open recommendations (what to do next), most urgent first, with why and what to do.',
  parameters: z.object({ limit: z.number().int().min(1).max(10).default(5).describe('How many, 1-10') }),
  async run(db, businessId, { limit }) {
    const items = await recommendations.list(db, businessId, { status: 'open', priority: 'all' });
    return {
      data: { open: items.length, recommendations: items.slice(0, limit).map((r) => ({ priority: r.priority, title: r.title, why: r.why, action: r.action })) },
      links: [{ label: 'Recommendations', href: `/b/${businessId}/recommendations` }],
    };
  },
});

/**
 * The figures of the metrics page, from today's metric snapshot (the one the page
 * shows; computed and stored first when there is none from the last hour), plus the
 * amounts behind its ratios from the stored daily totals of the last 90 days. Neither
 * read grows with the ledger.
 */
/** What the runway figure is, in the glossary's words (services/reports/definitions.ts, "Runway"). */
const RUNWAY_NOTES = {
  net_burn: 'cash ÷ net burn (average monthly cash out less cash in over the last three complete calendar months)',
  not_burning: 'not burning: more came in than went out over the last three complete calendar months, and the forecast does not give cash a 50 % chance of running out',
  forecast: 'runway (forecast): the months until the median path of the two-year cash forecast runs out of cash, sooner than cash ÷ net burn says',
} as const;

export const metricSummary = defineTool({
  name: 'metric_summary',
  description:
    'Key figures: net revenue, total costs and net profit for the last 30 and 90 days, gross margin, refund rate, chargeback ratio, cash, net and gross burn (last three complete months) and runway in months, with what the runway is based on.',
  parameters: z.object({}),
  async run(db, businessId, _args, { today, now }) {
    const d30 = addDays(today, -29);
    const d90 = addDays(today, -89);
    const [b, snapshot, days] = await Promise.all([businessRow(db, businessId), metrics.fresh(db, businessId, today, now), aggregates.dailyByKind(db, businessId, d90, today)]);
    const links = [{ label: 'Metrics', href: `/b/${businessId}/metrics` }, { label: 'Overview', href: `/b/${businessId}` }, pnlLink(businessId, d30, today), pnlLink(businessId, d90, today)];
    if (!snapshot) return { data: { available: false, reason: 'no ledger rows yet' }, links };
    const m = snapshot.metrics;
    const sums = (from: string) => {
      const out: KindSums = {};
      const counts: Partial<Record<string, number>> = {};
      for (const r of days) {
        if (r.day < from) continue;
        out[r.kind] = (out[r.kind] ?? 0) + Number(r.amount);
        counts[r.kind] = (counts[r.kind] ?? 0) + Number(r.entries);
      }
      return { sums: out, figures: profitFigures(out), counts };
    };
    const w30 = sums(d30);
    const w90 = sums(d90);
    const c = b.currency;
    // revenue is net revenue, costs total costs (cost of goods + operating expenses), net the net profit.
    const window = (from: string, f: ProfitFigures) => ({ from, to: today, revenue: amount(f.netRevenue, c), costs: amount(f.totalCosts, c), net: amount(f.netProfit, c) });
    return {
      data: {
        available: true,
        currency: c,
        as_of: snapshot.as_of,
        computed_at: new Date(snapshot.computed_at).toISOString(),
        last_30_days: window(d30, w30.figures),
        last_90_days: window(d90, w90.figures),
        revenue_growth_mom: ratio(m.revenue_growth_mom),
        gross_margin_90d: ratio(m.gross_margin),
        refund_rate_90d: ratio(m.refund_rate),
        refunds_90d: amount(-(w90.sums.refund ?? 0), c),
        gross_profit_90d: amount(w90.figures.grossProfit, c),
        chargeback_ratio_90d: ratio(m.chargeback_ratio, 2),
        chargebacks_90d: { count: w90.counts.chargeback ?? 0, amount: amount(-(w90.sums.chargeback ?? 0), c) },
        cash: amount(m.cash, c),
        monthly_burn: amount(m.burn, c),
        gross_burn: m.gross_burn === undefined ? null : amount(m.gross_burn, c),
        runway_months: m.runway_months === null ? null : Math.round(m.runway_months * 10) / 10,
        runway_basis: m.runway_basis ?? (m.runway_months === null ? 'not_burning' : 'net_burn'),
        runway_note: RUNWAY_NOTES[m.runway_basis ?? (m.runway_months === null ? 'not_burning' : 'net_burn')],
      },
      links,
    };
  },
});

export const profitAndLoss = defineTool({
  name: 'profit_and_loss',
  description:
    'Profit and loss for a date range (inclusive): net revenue (gross sales less refunds and chargebacks), cost of goods, gross profit, fees, ad spend, expenses by category, operating expenses (fees + ad spend + expenses), other income, net profit.',
  parameters: z.object({ from: date.describe('First day, YYYY-MM-DD'), to: date.describe('Last day, YYYY-MM-DD') }),
  async run(db, businessId, { from, to }) {
    const [b, totals, categories] = await Promise.all([
      businessRow(db, businessId),
      ledger.totalsByKind(db, businessId, from, to),
      db('transactions as t')
        .leftJoin('categories as c', 'c.id', 't.category_id')
        .where({ 't.business_id': businessId, 't.kind': 'expense' })
        .whereBetween('t.occurred_on', [from, to])
        .groupBy('c.name')
        .select(db.raw(`coalesce(c.name, 'Uncategorised') as category`), db.raw('-sum(t.amount_base)::bigint as spent'))
        .orderBy('spent', 'desc'),
    ]);
    const p = pnlLines(totals);
    const c = b.currency;
    return {
      data: {
        from,
        to,
        currency: c,
        // `revenue` is net revenue (gross sales − refunds and chargebacks); `operating_expenses` is fees + ad spend + expenses.
        revenue: amount(p.revenue, c),
        gross_sales: amount(p.sales, c),
        refunds: amount(p.refunds, c),
        cost_of_goods: amount(p.cogs, c),
        gross_profit: amount(p.grossProfit, c),
        gross_margin: ratio(p.grossMargin),
        fees: amount(p.fees, c),
        ad_spend: amount(p.adSpend, c),
        expenses: amount(p.expenses, c),
        operating_expenses: amount(p.operating, c),
        other_income: amount(p.otherIncome, c),
        expenses_by_category: categories.map((r: { category: string; spent: number }) => ({ category: r.category, spent: amount(Number(r.spent), c) })),
        net_profit: amount(p.net, c),
      },
      links: [pnlLink(businessId, from, to)],
    };
  },
});

export const expenseSearchArgs = z.object({
  q: z.string().trim().max(100).optional().describe('Words in the description or vendor, e.g. "Slack"'),
  category: z.string().trim().max(80).optional().describe('Category name, e.g. "Software"'),
  from: date.optional().describe('First day, YYYY-MM-DD'),
  to: date.optional().describe('Last day, YYYY-MM-DD'),
  limit: z.number().int().min(1).max(20).default(20),
});

export function expensesLink(businessId: string, f: { q?: string; category?: string; from?: string; to?: string }): Link {
  const params = new URLSearchParams();
  for (const key of ['q', 'category', 'from', 'to'] as const) if (f[key]) params.set(key, f[key]!);
  const qs = params.toString();
  return { label: 'Matching expenses', href: `/b/${businessId}/expenses${qs ? `?${qs}` : ''}` };
}

export const expenseSearch = defineTool({
  name: 'expense_search',
  description: 'Expenses (ledger rows of kind expense) matching words, a category and/or a date range: the total spent, how many, and up to 20 rows newest first.',
  parameters: expenseSearchArgs,
  async run(db, businessId, args) {
    const filtered = () => {
      const q = db('transactions as t').leftJoin('categories as c', 'c.id', 't.category_id').where({ 't.business_id': businessId, 't.kind': 'expense' });
      if (args.q) q.where((w) => w.whereILike('t.description', `%${escapeLike(args.q!)}%`).orWhereILike('t.counterparty', `%${escapeLike(args.q!)}%`));
      if (args.category) q.whereRaw('lower(c.name) = lower(?)', [args.category]);
      if (args.from) q.where('t.occurred_on', '>=', args.from);
      if (args.to) q.where('t.occurred_on', '<=', args.to);
      return q;
    };
    const [b, agg, rows] = await Promise.all([
      businessRow(db, businessId),
      filtered().first(db.raw('count(*)::bigint as n'), db.raw('coalesce(-sum(t.amount_base), 0)::bigint as spent')),
      filtered()
        .orderBy([
          { column: 't.occurred_on', order: 'desc' },
          { column: 't.id', order: 'desc' },
        ])
        .limit(args.limit)
        .select('t.occurred_on', 't.description', 't.counterparty', 't.amount', 't.currency', 't.amount_base', 'c.name as category'),
    ]);
    const c = b.currency;
    return {
      data: {
        filter: { q: args.q ?? null, category: args.category ?? null, from: args.from ?? null, to: args.to ?? null },
        currency: c,
        count: agg.n,
        total_spent: amount(agg.spent, c),
        rows: rows.map((r: { occurred_on: string; description: string; counterparty: string | null; amount_base: number; category: string | null; currency: string; amount: number }) => ({
          date: r.occurred_on,
          description: r.description,
          vendor: r.counterparty,
          category: r.category,
          spent: amount(-r.amount_base, c),
          ...(r.currency !== c ? { original: amount(-r.amount, r.currency) } : {}),
        })),
      },
      links: [expensesLink(businessId, args)],
    };
  },
});

function escapeLike(s: string): string {
  return s.replace(/[\\%_]/g, (m) => `\\${m}`);
}

export const knowledgeSearch = defineTool({
  name: 'knowledge_search',
  description:
    "Searches Bursar's knowledge base (funding readiness, the score explained, chargebacks, revenue stability, payout timing, cash-flow basics, unit economics). Cite results as [Source: doc_id].",
  parameters: z.object({ query: z.string().trim().min(1).max(300).describe('What to look up'), limit: z.number().int().min(1).max(5).default(3) }),
  async run(db, _businessId, { query, limit }, { embedder }) {
    // An embeddings endpoint that fails costs the search its meaning-based half, not the answer.
    let vectorError: string | undefined;
    const hits = await knowledge.search(db, query, limit, { embedder, onVectorError: (err) => (vectorError = err.message) });
    return {
      data: { results: hits.map(({ doc_id, title, heading, excerpt }) => ({ doc_id, title, heading, excerpt })), ...(vectorError ? { semantic_search_unavailable: vectorError } : {}) },
      links: [],
      citations: [...new Set(hits.map((h) => h.doc_id))],
    };
  },
});

/** Uncategorised expenses grouped by vendor, and for each vendor the category its other expenses are filed under. */
export const categorisationSuggestions = defineTool({
  name: 'categorisation_suggestions',
  description:
    'Uncategorised expenses by vendor, and where the same vendor is already filed under one category, a proposed categorisation rule (vendor contains X → category) and the expenses it would move. Proposals only: the user confirms each change in Bursar.',
  parameters: z.object({ limit: z.number().int().min(1).max(10).default(3).describe('How many vendors, 1-10') }),
  async run(db, businessId, { limit }) {
    const uncategorised = db('transactions').where({ business_id: businessId, kind: 'expense' }).whereNull('category_id');
    const [b, totals, vendors] = await Promise.all([
      businessRow(db, businessId),
      uncategorised.clone().first(db.raw('count(*)::bigint as n'), db.raw('coalesce(-sum(amount_base), 0)::bigint as spent')),
      uncategorised
        .clone()
        .whereNotNull('counterparty')
        .groupBy('counterparty')
        .orderByRaw('count(*) desc, counterparty')
        .limit(limit)
        .select('counterparty', db.raw('count(*)::bigint as n'), db.raw('-sum(amount_base)::bigint as spent'), db.raw('(array_agg(id order by occurred_on desc, id desc))[1:50] as ids')),
    ]);
    const names = vendors.map((v: { counterparty: string }) => v.counterparty);
    // The category each vendor's categorised expenses use most; proposed only when it holds most of them.
    const usage: { counterparty: string; category_id: string; category: string; n: number; total: number }[] = names.length
      ? await db('transactions as t')
          .join('categories as c', 'c.id', 't.category_id')
          .where({ 't.business_id': businessId, 't.kind': 'expense' })
          .whereIn('t.counterparty', names)
          .groupBy('t.counterparty', 'c.id', 'c.name')
          .select('t.counterparty', 'c.id as category_id', 'c.name as category', db.raw('count(*)::bigint as n'), db.raw('sum(count(*)) over (partition by t.counterparty)::bigint as total'))
          .orderByRaw('count(*) desc, c.name')
      : [];
    const c = b.currency;
    return {
      data: {
        currency: c,
        uncategorised: { count: totals.n, spent: amount(totals.spent, c) },
        vendors: vendors.map((v: { counterparty: string; n: number; spent: number; ids: string[] }) => {
          const top = usage.find((u) => u.counterparty === v.counterparty);
          const proposal =
            top && top.n * 2 > top.total
              ? {
                  field: 'counterparty',
                  match: 'contains',
                  pattern: v.counterparty,
                  category_id: top.category_id,
                  category: top.category,
                  evidence: `${top.n} of ${top.total} categorised expenses from ${v.counterparty} are filed under ${top.category}`,
                }
              : null;
          return { vendor: v.counterparty, uncategorised: v.n, spent: amount(v.spent, c), expense_ids: v.ids, proposal };
        }),
      },
      links: [
        { label: 'Uncategorised expenses', href: `/b/${businessId}/expenses?category=none` },
        { label: 'Rules', href: `/b/${businessId}/rules` },
      ],
    };
  },
});

/**
 * Every tool the agent can call today. Waiting for the reports issue's services
 * (add them here when they land): forecast_summary (services/reports/forecast/),
 * sku_performance and campaign_performance (SKU and campaign reports), and a full
 * P&L by month (services/reports/pnl.ts) in place of profit_and_loss's totals.
 */

/** The default window of the report tools: the last 90 days up to today. */
const rangeArgs = z.object({
  from: date.optional().describe('First day, YYYY-MM-DD (default: 89 days before today)'),
  to: date.optional().describe('Last day, YYYY-MM-DD (default: today)'),
});
const rangeOf = (args: { from?: string; to?: string }, today: string) => ({ from: args.from ?? addDays(args.to ?? today, -89), to: args.to ?? today });

export const skuPerformance = defineTool({
  name: 'sku_performance',
  description: 'Profitability per product (SKU) over a date range: net revenue, units, refunds, cost of goods, fees, margin and margin %, best first.',
  parameters: rangeArgs.extend({ limit: z.number().int().min(1).max(20).default(5) }),
  async run(db, businessId, args, { today }) {
    const range = rangeOf(args, today);
    const [b, rows] = await Promise.all([businessRow(db, businessId), profitability.skus(db, businessId, range, 'margin', 'desc')]);
    const c = b.currency;
    const shape = (r: profitability.SkuRow) => ({ sku: r.sku, name: r.name, revenue: amount(r.revenue, c), units: r.units, margin: amount(r.margin, c), margin_pct: ratio(r.marginPct) });
    const byRevenue = [...rows].sort((x, y) => y.revenue - x.revenue);
    return {
      data: {
        ...range,
        currency: c,
        products: rows.length,
        best_by_margin: rows.slice(0, args.limit).map(shape),
        top_by_revenue: byRevenue.slice(0, args.limit).map(shape),
        worst_by_margin: rows.slice(-Math.min(args.limit, 3)).reverse().map(shape),
      },
      links: [{ label: 'Products', href: `/b/${businessId}/products?from=${range.from}&to=${range.to}` }],
    };
  },
});

export const campaignPerformance = defineTool({
  name: 'campaign_performance',
  description: 'Ad campaigns (Meta, Google) over a date range: spend, conversions, attributed revenue, ROAS and CPA, worst ROAS first; campaigns under ROAS 1 are flagged.',
  parameters: rangeArgs,
  async run(db, businessId, args, { today }) {
    const range = rangeOf(args, today);
    const [b, result] = await Promise.all([businessRow(db, businessId), profitability.campaigns(db, businessId, range, 1)]);
    const c = b.currency;
    const rows = [...result.campaigns].sort((x, y) => (x.roas ?? Infinity) - (y.roas ?? Infinity));
    return {
      data: {
        ...range,
        currency: c,
        campaigns: rows.map((r) => ({
          name: r.name,
          platform: r.platform,
          spend: amount(r.spend, c),
          conversions: r.conversions,
          revenue: amount(r.revenue, c),
          roas: r.roas === null ? null : Math.round(r.roas * 100) / 100,
          cpa: r.cpa === null ? null : amount(r.cpa, c),
          below_threshold: r.isBelowThreshold,
        })),
      },
      links: [{ label: 'Campaigns', href: `/b/${businessId}/campaigns?from=${range.from}&to=${range.to}` }],
    };
  },
});

/** The forecast page's computation (10,000 paths, same seed), stored per day and horizon and at most an hour old. */
export const cashForecast = defineTool({
  name: 'cash_forecast',
  description: 'Monte Carlo cash forecast from today over a horizon: cash at the end (P10/P50/P90), the probability that cash goes below zero, runway percentiles, and the recurring bills it found.',
  parameters: z.object({ horizon_days: z.number().int().min(30).max(730).default(forecasting.STORED_HORIZON_DAYS) }),
  async run(db, businessId, { horizon_days }, { today, now }) {
    const [b, f] = await Promise.all([businessRow(db, businessId), forecasting.fresh(db, businessId, today, now, horizon_days)]);
    const c = b.currency;
    const link = { label: 'Forecast', href: `/b/${businessId}/forecast?horizon=${horizon_days}` };
    if (!f) return { data: { available: false, reason: 'not enough ledger history to forecast' }, links: [link] };
    const last = f.days.length - 1;
    return {
      data: {
        available: true,
        as_of: f.asOf,
        horizon_days,
        paths: f.paths,
        start_cash: amount(f.startCash, c),
        end_cash: { p10: amount(f.p10[last], c), p50: amount(f.p50[last], c), p90: amount(f.p90[last], c) },
        probability_cash_below_zero: ratio(f.pBelowZero),
        runway_days: f.runwayDays,
        recurring: f.recurring.slice(0, 8).map((r) => ({ counterparty: r.counterparty, amount: amount(r.amount, c), cadence: r.cadence })),
      },
      links: [link],
    };
  },
});

export const TOOLS: Tool[] = [
  businessContext,
  readinessBreakdown,
  topRecommendations,
  metricSummary,
  profitAndLoss,
  expenseSearch,
  knowledgeSearch,
  skuPerformance,
  campaignPerformance,
  cashForecast,
  categorisationSuggestions,
] as unknown as Tool[];

export function findTool(name: string): Tool | undefined {
  return TOOLS.find((t) => t.name === name);
}

export class ToolInputError extends Error {}

/**
 * Validates arguments (from a model, the offline analyst or an MCP client) and runs
 * the tool. Throws ToolInputError for an unknown tool or arguments that do not fit.
 */
export async function runTool(db: Db, businessId: string, name: string, args: unknown, ctx: ToolContext): Promise<ToolResult> {
  const tool = findTool(name);
  if (!tool) throw new ToolInputError(`There is no tool named ${name}.`);
  const parsed = tool.parameters.safeParse(args ?? {});
  if (!parsed.success) throw new ToolInputError(`Arguments for ${name} do not fit: ${parsed.error.issues.map((i) => `${i.path.join('.') || 'arguments'}: ${i.message}`).join('; ')}`);
  return tool.run(db, businessId, parsed.data, ctx);
}

/** The tools in the shape chat completions take. */
export function openAiTools() {
  return TOOLS.map((t) => ({
    type: 'function' as const,
    function: { name: t.name, description: t.description, parameters: z.toJSONSchema(t.parameters, { io: 'input' }) as Record<string, unknown> },
  }));
}
