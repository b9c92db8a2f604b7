import { z } from 'zod';
import type { Db } from '../core/db.ts';
import { addDays, isoDate, type Clock } from '../core/clock.ts';
import { formatMoney } from '../core/money.ts';
import { day } from '../core/dates.ts';
import * as readiness from '../readiness/scores.ts';
import * as recommendations from '../readiness/recommendations.ts';
import * as knowledge from './knowledge.ts';
import * as pnl from '../reports/pnl.ts';
import * as expenses from '../ledger/expenses.ts';
import * as counterparties from '../reports/counterparties.ts';
import { addMonths, monthStart } from '../reports/periods.ts';
import * as profitability from '../reports/profitability.ts';
import * as forecasting from '../reports/forecast/forecast.ts';
import { NotFound } from '../core/errors.ts';
import type { Embedder } from './embeddings.ts';
import * as metrics from '../reports/metrics.ts';
import * as aggregates from '../reports/aggregates.ts';
import * as subscriptions from '../reports/subscriptions.ts';
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

async function businessRow(db: Db, businessId: string) {
  const row = await db('businesses').where({ id: businessId }).first('id', 'name', 'currency', 'industry', 'legal_entity', 'founded_on');
  if (!row) throw new NotFound('No such business.');
  return row as { id: string; name: string; currency: string; industry: string | null; legal_entity: string | null; founded_on: string | null };
}

const amount = (minor: number, currency: string): Amount => ({ minor, text: formatMoney(minor, currency) });
const ratio = (x: number | null, digits = 1) => (x === null ? null : { value: Math.round(x * 10_000) / 10_000, text: `${(x * 100).toFixed(digits)} %` });

/**
 * A report page's query for exactly one range: the pages read `from` and `to` only with
 * the `custom` preset, so a link without it opens the page's default range instead.
 */
export function rangeQuery(from: string, to: string): string {
  return `preset=custom&from=${from}&to=${to}`;
}

export function pnlLink(businessId: string, from: string, to: string): Link {
  return { label: `P&L ${from} to ${to}`, href: `/b/${businessId}/pnl?${rangeQuery(from, to)}` };
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

/** The P&L page's statement totals for a range: each line's total, with its key and label as the page shows them. */
async function statementTotals(db: Db, businessId: string, range: { from: string; to: string }) {
  const s = await pnl.statement(db, businessId, range);
  const line = (key: string) => s.lines.find((l) => l.key === key)?.total ?? 0;
  return { lines: s.lines, line };
}

export const profitAndLoss = defineTool({
  name: 'profit_and_loss',
  description:
    'The P&L page for a date range (inclusive): gross sales, refunds and chargebacks, net revenue, cost of goods, gross profit, fees, ad spend, expenses by category, operating expenses (fees + ad spend + expenses), other income, net profit.',
  parameters: z.object({ from: date.describe('First day, YYYY-MM-DD'), to: date.describe('Last day, YYYY-MM-DD') }),
  async run(db, businessId, { from, to }) {
    const [b, s] = await Promise.all([businessRow(db, businessId), statementTotals(db, businessId, { from, to })]);
    const c = b.currency;
    const netRevenue = s.line('net_revenue');
    const grossProfit = s.line('gross_profit');
    return {
      data: {
        from,
        to,
        currency: c,
        // `revenue` is net revenue (gross sales less refunds and chargebacks), as on the dashboard; costs are positive here.
        revenue: amount(netRevenue, c),
        net_revenue: amount(netRevenue, c),
        gross_sales: amount(s.line('gross_sales'), c),
        refunds: amount(-s.line('refunds'), c),
        cost_of_goods: amount(-s.line('cogs'), c),
        gross_profit: amount(grossProfit, c),
        gross_margin: ratio(netRevenue > 0 ? grossProfit / netRevenue : null),
        fees: amount(-s.line('fees'), c),
        ad_spend: amount(-s.line('ad_spend'), c),
        expenses: amount(-s.lines.filter((l) => l.key === 'opex').reduce((sum, l) => sum + l.total, 0), c),
        operating_expenses: amount(-s.line('opex_total'), c),
        other_income: amount(s.line('other_income'), c),
        expenses_by_category: s.lines.filter((l) => l.key === 'opex').map((l) => ({ category: l.label, spent: amount(-l.total, c) })),
        net_profit: amount(s.line('net'), c),
      },
      links: [pnlLink(businessId, from, to)],
    };
  },
});

/** What moves net profit: the P&L's leaf lines (each operating-expense category on its own), not its subtotals. */
const isDriver = (l: pnl.PnlLine) => l.level === 'line';

export const comparePeriods = defineTool({
  name: 'compare_periods',
  description:
    "Two date ranges side by side on the P&L page's lines (net revenue, gross profit, net profit) and the change in net profit broken into its drivers: each revenue and cost line (operating expenses per category), largest effect first.",
  parameters: z.object({
    from: date.describe('First day of the period, YYYY-MM-DD'),
    to: date.describe('Last day of the period, YYYY-MM-DD'),
    previous_from: date.describe('First day of the period to compare with'),
    previous_to: date.describe('Last day of the period to compare with'),
    limit: z.number().int().min(1).max(10).default(3).describe('How many drivers, 1-10'),
  }),
  async run(db, businessId, args) {
    const [b, now, before] = await Promise.all([
      businessRow(db, businessId),
      statementTotals(db, businessId, { from: args.from, to: args.to }),
      statementTotals(db, businessId, { from: args.previous_from, to: args.previous_to }),
    ]);
    const c = b.currency;
    const id = (l: pnl.PnlLine) => `${l.key}:${l.categoryId ?? ''}:${l.label}`;
    const previous = new Map(before.lines.filter(isDriver).map((l) => [id(l), l]));
    const current = new Map(now.lines.filter(isDriver).map((l) => [id(l), l]));
    const drivers = [...new Set([...current.keys(), ...previous.keys()])]
      .map((k) => {
        const l = (current.get(k) ?? previous.get(k))!;
        const was = previous.get(k)?.total ?? 0;
        const is = current.get(k)?.total ?? 0;
        return { line: l.label, kind: l.key, was: amount(was, c), is: amount(is, c), effect_on_profit: amount(is - was, c) };
      })
      .filter((d) => d.effect_on_profit.minor !== 0)
      .sort((x, y) => Math.abs(y.effect_on_profit.minor) - Math.abs(x.effect_on_profit.minor));
    const figure = (key: string) => ({ was: amount(before.line(key), c), is: amount(now.line(key), c), change: amount(now.line(key) - before.line(key), c) });
    return {
      data: {
        period: { from: args.from, to: args.to },
        previous: { from: args.previous_from, to: args.previous_to },
        currency: c,
        net_revenue: figure('net_revenue'),
        gross_profit: figure('gross_profit'),
        operating_expenses: figure('opex_total'),
        net_profit: figure('net'),
        drivers: drivers.slice(0, args.limit),
      },
      links: [pnlLink(businessId, args.from, args.to), pnlLink(businessId, args.previous_from, args.previous_to)],
    };
  },
});

export const expenseSearchArgs = z.object({
  q: z.string().trim().max(100).optional().describe('Words in the description or vendor, e.g. "Slack"'),
  category: z.string().trim().max(80).optional().describe('Category name, e.g. "Software"'),
  from: date.optional().describe('First day, YYYY-MM-DD'),
  to: date.optional().describe('Last day, YYYY-MM-DD'),
  sort: z.enum(['newest', 'largest']).default('newest').describe('newest first, or largest amount first'),
  limit: z.number().int().min(1).max(20).default(20),
});

const SEARCH_SORTS = { newest: 'date_desc', largest: 'amount_desc' } as const;

/** The expense list's own query string for a filter (category by id, as its select sends it). */
export function expensesLink(businessId: string, f: { q?: string; category?: string; from?: string; to?: string; sort?: string }): Link {
  return { label: 'Matching expenses', href: `/b/${businessId}/expenses${expenses.filterLink(f)}` };
}

/** The expense list's filter for a search: the same count, total and rows the page shows for its link. */
export const expenseSearch = defineTool({
  name: 'expense_search',
  description:
    'Expenses (ledger rows of kind expense) matching words, a category and/or a date range, as the Expenses page lists them: the total spent, how many, and up to 20 rows, newest first or largest first.',
  parameters: expenseSearchArgs,
  async run(db, businessId, args) {
    const [b, category] = await Promise.all([
      businessRow(db, businessId),
      args.category ? db('categories').where({ business_id: businessId }).whereRaw('lower(name) = lower(?)', [args.category]).first('id', 'name') : null,
    ]);
    const filter = { q: args.q, category: category?.id, from: args.from, to: args.to };
    // A category the business does not have matches nothing, and has no page to link to.
    const unknownCategory = Boolean(args.category && !category);
    const sort = SEARCH_SORTS[args.sort];
    const [totals, page] = unknownCategory
      ? [{ count: 0, spent_base: 0 }, { expenses: [] }]
      : await Promise.all([expenses.totals(db, businessId, filter), expenses.list(db, businessId, { ...filter, sort, limit: args.limit })]);
    const c = b.currency;
    return {
      data: {
        filter: { q: args.q ?? null, category: category?.name ?? args.category ?? null, from: args.from ?? null, to: args.to ?? null, sort: args.sort },
        currency: c,
        count: Number(totals.count),
        total_spent: amount(Number(totals.spent_base), c),
        rows: page.expenses.map((r) => ({
          date: r.occurred_on,
          description: r.description,
          vendor: r.counterparty,
          category: r.category_name,
          spent: amount(r.spent_base, c),
          ...(r.currency !== c ? { original: amount(r.spent, r.currency) } : {}),
        })),
      },
      links: unknownCategory ? [] : [expensesLink(businessId, { ...filter, sort })],
    };
  },
});

export const knowledgeSearch = defineTool({
  name: 'knowledge_search',
  description:
    "Searches Bursar's knowledge base (funding readiness, the score explained, chargebacks, revenue stability, payout timing, cash-flow basics, unit economics, and how-to guides for using Bursar). Cite results as [Source: doc_id].",
  parameters: z.object({
    query: z.string().trim().min(1).max(300).describe('What to look up'),
    limit: z.number().int().min(1).max(5).default(3),
    section: z.enum(['all', 'how-to']).default('all').describe('how-to: only the guides to using Bursar (importing, expenses, rules, members, integrations...)'),
  }),
  async run(db, _businessId, { query, limit, section }, { embedder }) {
    // An embeddings endpoint that fails costs the search its meaning-based half, not the answer.
    let vectorError: string | undefined;
    const hits = await knowledge.search(db, query, limit, { embedder, section, onVectorError: (err) => (vectorError = err.message) });
    return {
      data: { results: hits.map(({ doc_id, title, heading, excerpt }) => ({ doc_id, title, heading, excerpt })), ...(vectorError ? { semantic_search_unavailable: vectorError } : {}) },
      links: [],
      citations: [...new Set(hits.map((h) => h.doc_id))],
    };
  },
});

/** Customers by net revenue, or vendors by spend, over a range, as the Customers and Expenses pages show them. */
export const topCounterparties = defineTool({
  name: 'top_counterparties',
  description:
    'The largest customers (net revenue: sales less refunds and chargebacks) or vendors (expenses) over a date range, largest first, each with its total and how many rows. Defaults to the last 12 months.',
  parameters: z.object({
    side: z.enum(['customers', 'vendors']).describe('customers (money in) or vendors (money out)'),
    from: date.optional().describe('First day, YYYY-MM-DD (default: the first of the month 11 months ago)'),
    to: date.optional().describe('Last day, YYYY-MM-DD (default: today)'),
    limit: z.number().int().min(1).max(20).default(5),
  }),
  async run(db, businessId, args, { today }) {
    const range = { from: args.from ?? addMonths(monthStart(today), -11), to: args.to ?? today };
    const b = await businessRow(db, businessId);
    const c = b.currency;
    if (args.side === 'customers') {
      const rows = await counterparties.customers(db, businessId, range, args.limit);
      return {
        data: { ...range, currency: c, side: 'customers', customers: rows.map((r) => ({ name: r.customer, sales: r.sales, net_revenue: amount(r.netRevenue, c) })) },
        links: [{ label: 'Customers', href: `/b/${businessId}/customers?${rangeQuery(range.from, range.to)}` }],
      };
    }
    const rows = await counterparties.vendors(db, businessId, range, args.limit);
    const top = rows.find((r) => r.vendor);
    return {
      data: { ...range, currency: c, side: 'vendors', vendors: rows.map((r) => ({ name: r.vendor, expenses: r.expenses, spent: amount(r.spent, c) })) },
      links: top ? [{ ...expensesLink(businessId, { q: top.vendor!, ...range }), label: `Expenses with ${top.vendor}` }] : [],
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
      links: [{ label: 'Products', href: `/b/${businessId}/products?${rangeQuery(range.from, range.to)}` }],
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
      links: [{ label: 'Campaigns', href: `/b/${businessId}/campaigns?${rangeQuery(range.from, range.to)}` }],
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

/** Subscription metrics by month, as the metrics page and GET /api/v1/metrics/subscriptions give them. */
export const subscriptionMetrics = defineTool({
  name: 'subscription_metrics',
  description:
    'Subscriptions sold through Stripe, by calendar month (the current month so far): MRR at the month’s end, new, reactivation, expansion, contraction and churned MRR, net new MRR, paying customers, customer churn (customers lost ÷ customers at the month’s start) and ARPU. Default: the last 6 months. has_subscriptions is false when the business sells none.',
  parameters: z.object({ months: z.number().int().min(1).max(24).default(6).describe('How many months up to this one, 1-24') }),
  async run(db, businessId, { months }, { today }) {
    const [b, list] = await Promise.all([businessRow(db, businessId), subscriptions.subscriptionMonths(db, businessId, { from: addMonths(monthStart(today), -(months - 1)), to: today })]);
    const c = b.currency;
    const links = [{ label: 'Subscription metrics', href: `/b/${businessId}/metrics#subscription-metrics` }];
    if (!list.length) return { data: { has_subscriptions: false }, links };
    return {
      data: {
        has_subscriptions: true,
        currency: c,
        months: list.map((m) => ({
          month: m.month,
          from: m.from,
          to: m.to,
          mrr: amount(m.mrr, c),
          new_mrr: amount(m.newMrr, c),
          reactivation_mrr: amount(m.reactivation, c),
          expansion_mrr: amount(m.expansion, c),
          contraction_mrr: amount(m.contraction, c),
          churned_mrr: amount(m.churned, c),
          net_new_mrr: amount(m.netNew, c),
          customers: m.customers,
          customers_at_start: m.customersAtStart,
          customers_lost: m.customersLost,
          customer_churn: ratio(m.customerChurn),
          arpu: m.arpu === null ? null : amount(m.arpu, c),
        })),
      },
      links,
    };
  },
});

export const TOOLS: Tool[] = [
  businessContext,
  readinessBreakdown,
  topRecommendations,
  metricSummary,
  profitAndLoss,
  comparePeriods,
  expenseSearch,
  topCounterparties,
  knowledgeSearch,
  skuPerformance,
  campaignPerformance,
  cashForecast,
  categorisationSuggestions,
  subscriptionMetrics,
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
