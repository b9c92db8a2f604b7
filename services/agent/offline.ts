import type { Db } from '../core/db.ts';
import * as categories from '../ledger/categories.ts';
import { runTool, type Link, type ToolContext, type ToolResult, type Amount } from './tools.ts';
import { comparisonIn, periodIn, type Comparison, type Period } from './question-period.ts';
import type { AgentReply, Suggestion, ToolCallRecord } from './reply.ts';
import { citationsIn, suggestionsFrom, uniqueLinks } from './reply.ts';

/**
 * The offline analyst: with no model configured, a question is matched to tools by
 * fixed rules on the business's own vocabulary (its category and vendor names), and
 * the answer is written from the tool results with the same links and citations a
 * model would give. Planning and writing are pure; only `answerOffline` does I/O.
 */

export type Intent =
  | 'score_explained'
  | 'score_weak'
  | 'score'
  | 'recommendations'
  | 'categorise'
  | 'products'
  | 'campaigns'
  | 'forecast'
  | 'chargebacks'
  | 'refunds'
  | 'runway'
  | 'subscriptions'
  | 'spending'
  | 'largest_expenses'
  | 'comparison'
  | 'why_changed'
  | 'customers'
  | 'vendors'
  | 'how_to'
  | 'margin'
  | 'pnl'
  | 'performance'
  | 'context'
  | 'knowledge';

export type Vocabulary = { categories: string[]; vendors: string[] };
export type PlannedCall = { tool: string; args: Record<string, unknown> };
export type Plan = { intent: Intent; calls: PlannedCall[]; period: Period | null; category?: string; vendor?: string; keyword?: string; comparison?: Comparison };

/** Words people use for the default categories. */
const CATEGORY_WORDS: [RegExp, string][] = [
  [/\b(software|subscriptions?|saas|apps?|tools)\b/, 'Software'],
  [/\b(rent|lease|office space|warehouse)\b/, 'Rent'],
  [/\b(payroll|salar(y|ies)|wages|staff|people costs?)\b/, 'Payroll'],
  [/\b(utilit(y|ies)|electricity|internet|power bill)\b/, 'Utilities'],
  [/\b(shipping|packaging|postage|freight)\b/, 'Shipping'],
  [/\b(design|photography|lawyers?|legal|accountants?|consultants?|professional services)\b/, 'Professional services'],
  [/\b(travel|flights?|hotels?)\b/, 'Travel'],
  [/\b(meals|food|lunch|dinners?)\b/, 'Meals'],
  [/\b(office supplies|stationery)\b/, 'Office supplies'],
  [/\b(tax(es)?|licen[cs]es?)\b/, 'Taxes and licences'],
];

function matchCategory(q: string, vocab: Vocabulary): string | undefined {
  const own = vocab.categories.filter((c) => !['Sales', 'Other income', 'Other'].includes(c)).sort((a, b) => b.length - a.length);
  const named = own.find((c) => new RegExp(`\\b${escapeRe(c.toLowerCase())}\\b`).test(q));
  if (named) return named;
  const word = CATEGORY_WORDS.find(([re]) => re.test(q));
  return word && vocab.categories.includes(word[1]) ? word[1] : undefined;
}

function matchVendor(q: string, vocab: Vocabulary): string | undefined {
  return [...vocab.vendors].sort((a, b) => b.length - a.length).find((v) => v.length >= 3 && new RegExp(`\\b${escapeRe(v.toLowerCase())}\\b`).test(q));
}

function escapeRe(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** "How do I …", "where can I …": a question about using Bursar when it names something to do in it. */
const HOW_TO_ASK = /^(how (do|can|should|would) (i|we|you)|how to|where (do|can|is)|can (i|we)|is it possible to|what'?s the way to)\b/;
const HOW_TO_TASK =
  /\b(import\w*|upload\w*|connect\w*|link\w*|add\w*|record\w*|enter|edit\w*|delet\w*|remov\w*|undo|restor\w*|invit\w*|export\w*|download\w*|attach\w*|receipts?|rules?|switch\w*|set up|setup|creat\w*|log ?in|sign ?in|password|api|tokens?|mcp|digests?|emails?|exchange rates?|currenc(y|ies)|members?|accountant|bookkeeper|csv|statements?|bank|stripe|shopify|quickbooks|plaid|categor(y|ies)|categori[sz]\w*)\b/;

/** The thing a "what did I spend on X" question names, when it is not a category or vendor Bursar knows. */
function spendKeyword(q: string): string | undefined {
  const m =
    /\b(?:spen[dt]|pa(?:id|y)|buy|bought|cost us)\s+(?:on|for)\s+([a-z0-9][a-z0-9&' -]{1,40}?)(?=\s+(?:this|last|in|during|since|over|for|the past|so far|year|month|quarter|today|yesterday)\b|[?.!,]|$)/.exec(
      q,
    );
  if (!m) return undefined;
  const words = m[1].replace(/^(the|our|my|some|a|an)\s+/, '').trim();
  return words.length >= 2 && !/^(it|that|this|them|stuff|things|everything|anything)$/.test(words) ? words : undefined;
}

function comparisonArgs(c: Comparison, limit: number) {
  return { from: c.current.from, to: c.current.to, previous_from: c.previous.from, previous_to: c.previous.to, limit };
}

/** Maps a question to an intent and the tool calls that answer it. */
export function planFor(question: string, today: string, vocab: Vocabulary): Plan {
  const q = question.toLowerCase().replace(/[’']/g, "'");
  const period = periodIn(q, today);
  const is = (re: RegExp) => re.test(q);
  const plan = (intent: Intent, calls: PlannedCall[], extra: Partial<Plan> = {}): Plan => ({ intent, calls, period, ...extra });
  const scoreWord = /\b(score|readiness|fundab\w*|financeab\w*)\b/;

  if (is(scoreWord) && is(/\b(explain\w*|how (is|does|do you)|calculat\w*|made up|work\w*|mean\w*|formula)\b/)) {
    return plan('score_explained', [
      { tool: 'readiness_breakdown', args: {} },
      { tool: 'knowledge_search', args: { query: 'readiness score components points thresholds', limit: 2 } },
    ]);
  }
  if (is(scoreWord) && is(/\b(hurt\w*|drag\w*|los\w*|low\w*|weak\w*|improv\w*|rais\w*|boost\w*|increas\w*|better|wrong|holding)\b/)) {
    return plan('score_weak', [{ tool: 'readiness_breakdown', args: {} }]);
  }
  if (is(scoreWord) || is(/\bready (for|to get) (funding|a loan|financing|capital)\b|\b(qualify|eligible) for (funding|a loan|financing)\b/)) {
    return plan('score', [{ tool: 'readiness_breakdown', args: {} }]);
  }
  // Questions about using Bursar itself are for the how-to guides, not the figures or the finance guides.
  if (is(HOW_TO_ASK) && is(HOW_TO_TASK)) {
    return plan('how_to', [{ tool: 'knowledge_search', args: { query: question.slice(0, 300), limit: 2, section: 'how-to' } }]);
  }
  if (is(/\brecommend\w*|\bwhat should (i|we) (do|fix|focus)|\bnext steps?\b|\bto-?do\b|\bprioriti\w*|\baction items?\b/)) {
    return plan('recommendations', [{ tool: 'top_recommendations', args: { limit: 5 } }]);
  }
  if (is(/\buncategori[sz]\w*|\bcategori[sz](e|es|ing|ation)\b|\bno category\b|\bwithout (a )?category\b/)) {
    return plan('categorise', [{ tool: 'categorisation_suggestions', args: { limit: 3 } }]);
  }
  // Before the ledger's words: "subscription revenue" is MRR, not the Software category.
  if (is(/\bmrr\b|\barpu\b|\bchurn\w*|\brecurring revenue\b|\bsubscribers?\b|\bsubscription (revenue|metrics)\b/)) {
    return plan('subscriptions', [{ tool: 'subscription_metrics', args: { months: 6 } }]);
  }
  const range = period ? { from: period.from, to: period.to } : {};
  const profitWords = /\b(profit\w*|revenue|sales|income|margins?|costs?|expenses?|spend\w*|loss\w*|earn\w*|p ?& ?l|pnl)\b/;
  if (
    is(/\bwhy\b/) &&
    is(profitWords) &&
    is(/\b(drop\w*|fall\w*|fell|down|decreas\w*|declin\w*|chang\w*|up|rise|rose|risen|increas\w*|grow\w*|grew|jump\w*|lower|higher|worse|better|low|high|shr[iau]nk\w*|went)\b/)
  ) {
    const comparison = comparisonIn(q, today);
    return plan('why_changed', [{ tool: 'compare_periods', args: comparisonArgs(comparison, 3) }], { period: comparison.current, comparison });
  }
  if (is(/\bcompar\w*|\bvs\.?(?=\s)|\bversus\b|\b(against|with) (the )?(last|previous|prior) (month|quarter|year)\b/)) {
    const comparison = comparisonIn(q, today);
    return plan('comparison', [{ tool: 'compare_periods', args: comparisonArgs(comparison, 3) }], { period: comparison.current, comparison });
  }
  const ranking = /\b(largest|biggest|top|highest|most|main|best|major|key)\b/;
  if (is(/\b(customers?|clients?|buyers?)\b/) && (is(ranking) || is(/\bwho\b/))) {
    return plan('customers', [{ tool: 'top_counterparties', args: { side: 'customers', ...range, limit: 5 } }]);
  }
  if ((is(/\b(vendors?|suppliers?|payees?)\b/) && (is(ranking) || is(/\bwho\b/))) || is(/\bwho (do|did) (we|i) (pay|spend)\w* (the )?most\b/)) {
    return plan('vendors', [{ tool: 'top_counterparties', args: { side: 'vendors', ...range, limit: 5 } }]);
  }
  if (is(/\b(largest|biggest|top|highest|most expensive|major)\b/) && is(/\b(expenses?|costs?|spend\w*|purchases?|bills?|payments?)\b/)) {
    const category = matchCategory(q, vocab);
    const args: Record<string, unknown> = { sort: 'largest', limit: 5, ...range };
    if (category) args.category = category;
    return plan('largest_expenses', [{ tool: 'expense_search', args }], { category });
  }
  if (is(/\bforecast\w*|\bpredict\w*|\bprojection\w*|\bnext (few )?(months?|quarter|year)\b.*\bcash\b|\brun(ning)? out of (cash|money) (by|before|in)\b/)) {
    return plan('forecast', [{ tool: 'cash_forecast', args: { horizon_days: 180 } }]);
  }
  if (is(/\bcampaigns?\b|\broas\b|\bads?\b|\badvertis\w*|\bad spend\b/) && !is(/\bspen[dt] on\b/)) {
    return plan('campaigns', [{ tool: 'campaign_performance', args: range }]);
  }
  if (is(/\b(top|best|worst)[- ](selling |performing )?(products?|skus?|items?|sellers?)\b|\bskus?\b|\bproducts?\b/)) {
    return plan('products', [{ tool: 'sku_performance', args: { ...range, limit: 5 } }]);
  }
  if (is(/\bchargebacks?\b|\bdisputes?\b/)) {
    return plan('chargebacks', [
      { tool: 'metric_summary', args: {} },
      { tool: 'knowledge_search', args: { query: 'reduce chargebacks dispute ratio', limit: 1 } },
    ]);
  }
  if (is(/\brefund\w*|\breturns\b/)) return plan('refunds', [{ tool: 'metric_summary', args: {} }]);
  if (is(/\brunway\b|\bburn\w*|\brun(ning)? out of (cash|money)\b|\bhow long (will|can|does) .*(last|survive|go)\b|\bcash\b|\bbank balance\b|\bmoney (do|have) we\b/)) {
    return plan('runway', [{ tool: 'metric_summary', args: {} }]);
  }

  // A general question ("what is revenue-based financing?") is for the guides, not the figures.
  if (is(/^(what is|what's a|what are|what does|how does|how do (lenders|card networks)|why do|why does)\b/) && !is(/\b(my|our|we|us|i|me)\b/)) {
    return plan('knowledge', [{ tool: 'knowledge_search', args: { query: question.slice(0, 300), limit: 2 } }]);
  }
  const category = matchCategory(q, vocab);
  const vendor = matchVendor(q, vocab);
  const keyword = category || vendor ? undefined : spendKeyword(q);
  if (keyword) {
    const args: Record<string, unknown> = { q: keyword, limit: 20, ...range };
    return plan('spending', [{ tool: 'expense_search', args }], { keyword });
  }
  const spendWords = /\bspen[dt]\w*|\bpa(id|y|ying)\b|\bcost(s|ing)? us\b|\bexpenses?\b|\bbills?\b|\bsubscriptions?\b|\bhow much (did|do|have) (we|i)\b/;
  if (((category || vendor) && (is(spendWords) || is(/\bhow much\b/))) || (is(/\bexpenses?\b/) && !is(/\b(profit|p&l|revenue|net)\b/))) {
    const args: Record<string, unknown> = { limit: 20 };
    if (category) args.category = category;
    if (vendor && !category) args.q = vendor;
    if (period) Object.assign(args, { from: period.from, to: period.to });
    return plan('spending', [{ tool: 'expense_search', args }], { category, vendor });
  }
  if (is(/\bmargins?\b|\bgross profit\b/)) {
    return period ? plan('margin', [{ tool: 'profit_and_loss', args: { from: period.from, to: period.to } }]) : plan('margin', [{ tool: 'metric_summary', args: {} }]);
  }
  if (
    is(
      /\bhow did (we|i|the business|it) do\b|\bhow (were|was|are|is) (we|sales|business|things)\b|\bprofit\w*|\bp ?& ?l\b|\bp and l\b|\bpnl\b|\bnet income\b|\brevenue\b|\bsales\b|\bincome\b|\bearn\w*|\bmake\b|\bmade\b|\bturnover\b|\blos(s|ing)\b|\bcosts?\b/,
    )
  ) {
    return period ? plan('pnl', [{ tool: 'profit_and_loss', args: { from: period.from, to: period.to } }]) : plan('performance', [{ tool: 'metric_summary', args: {} }]);
  }
  if (is(/\bhow many (transactions|rows|entries|records)\b|\bhistory\b|\bfounded\b|\bcurrency\b|\babout (my|our|the|this) (business|company)\b|\bwho are we\b|\bwhat do you know\b|\bledger\b/)) {
    return plan('context', [{ tool: 'business_context', args: {} }]);
  }
  return plan('knowledge', [{ tool: 'knowledge_search', args: { query: question.slice(0, 300), limit: 2 } }]);
}

export type CallResult = PlannedCall & { result: ToolResult };

const OFFLINE_NOTE = "_Answered by Bursar's offline analyst: no AI model is configured, so I match your question to fixed reports on your own figures._";

const md = (l: { label: string; href: string }) => `[${l.label}](${l.href})`;

/**
 * The pages an answer's figures are on. metric_summary offers several; an answer links
 * only those showing what it states: cash, burn and the ratios are on the metrics page,
 * the 30- and 90-day amounts on the P&L of those days.
 */
const LINKS_FOR: Partial<Record<Intent, (l: Link) => boolean>> = {
  runway: (l) => l.label === 'Metrics',
  refunds: (l) => l.label === 'Metrics',
  chargebacks: (l) => l.label === 'Metrics',
  performance: (l) => l.href.includes('/pnl?'),
  margin: (l) => l.href.includes('/pnl?'),
};

export function answerLinks(plan: Plan, results: CallResult[]): Link[] {
  const all = uniqueLinks(results.flatMap((r) => r.result.links));
  const keep = LINKS_FOR[plan.intent];
  if (!keep) return all;
  // Without a period the margin answer is the last 90 days': the longer of the two P&L links.
  if (plan.intent === 'margin' && !plan.period) return all.filter((l) => l.href.includes('/pnl?')).slice(-1);
  return all.filter(keep);
}
const money = (a: Amount) => `**${a.text}**`;

type D = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any -- tool data is plain JSON

/** Writes the answer from the tool results (pure). */
export function writeAnswer(plan: Plan, results: CallResult[]): { text: string; suggestions: Suggestion[] } {
  const data = (tool: string): D => (results.find((r) => r.tool === tool)?.result.data ?? {}) as D;
  const links = answerLinks(plan, results);
  const lines: string[] = [];
  /** An amount linked to the page (and range) it is on: the tool's `n`th link. */
  const linked = (a: Amount, tool: string, n = 0) => {
    const href = results.find((r) => r.tool === tool)?.result.links[n]?.href;
    return href ? `[${money(a)}](${href})` : money(a);
  };
  const suggestions: Suggestion[] = suggestionsFrom(results);
  const p = plan.period;

  const scoreLine = (r: D) => `Your funding-readiness score is **${r.score}/100** (${String(r.tier).replace('_', ' ')}) as of ${r.as_of}.`;
  const notComputed = 'The readiness score has not been computed yet: it appears once Bursar has computed metrics from your ledger.';

  const summary = results.find((r) => r.tool === 'metric_summary')?.result.data;
  const noFigures = summary !== undefined && summary.available === false;
  switch (noFigures ? 'no_figures' : plan.intent) {
    case 'no_figures':
      lines.push('There are no ledger rows yet, so there are no figures to report. Import a bank or card CSV, or connect Stripe, and ask again.');
      break;
    case 'score':
    case 'score_weak':
    case 'score_explained': {
      const r = data('readiness_breakdown');
      if (!r.computed) {
        lines.push(notComputed);
        break;
      }
      lines.push(scoreLine(r));
      const weak = (r.components as D[]).filter((c) => c.missing > 0).slice(0, plan.intent === 'score_weak' ? 3 : 2);
      if (weak.length) {
        lines.push(plan.intent === 'score_weak' ? 'What costs you the most points:' : 'Where the points are lost:');
        for (const c of weak) lines.push(`- **${c.label}**: ${c.points} of ${c.max} points${c.figure ? ` (${c.figure})` : ''}.${c.to_raise ? ` ${c.to_raise}` : ''}`);
      } else lines.push('Every component is at full marks.');
      if (plan.intent === 'score_explained') {
        const hit = (data('knowledge_search').results as D[] | undefined)?.[0];
        lines.push(
          `The score adds up ten components, each scored by fixed thresholds on one figure from your books; the readiness page shows every component's points and the figure behind them. [Source: ${hit?.doc_id ?? 'readiness-score-explained'}]`,
        );
      } else lines.push('[Source: readiness-score-explained]');
      break;
    }
    case 'recommendations': {
      const r = data('top_recommendations');
      const recs = (r.recommendations ?? []) as D[];
      if (!recs.length) lines.push('There are no open recommendations right now.');
      else {
        lines.push(`You have **${r.open}** open recommendation${r.open === 1 ? '' : 's'}. The most urgent:`);
        for (const [i, x] of recs.entries()) lines.push(`${i + 1}. **${x.title}** (${x.priority}): ${x.action}`);
      }
      break;
    }
    case 'categorise': {
      const d = data('categorisation_suggestions');
      if (!d.uncategorised.count) {
        lines.push('Every expense has a category: there is nothing to sort out.');
        break;
      }
      lines.push(
        `You have **${formatCount(d.uncategorised.count)}** uncategorised expense${d.uncategorised.count === 1 ? '' : 's'}, ${money(d.uncategorised.spent)} in all. The vendors with the most:`,
      );
      for (const v of d.vendors as D[]) {
        lines.push(
          `- **${v.vendor}**: ${v.uncategorised} expense${v.uncategorised === 1 ? '' : 's'}, ${v.spent.text}. ${v.proposal ? `${v.proposal.evidence}, so they probably belong there too.` : 'No other expense from this vendor has a category yet, so I have no proposal.'}`,
        );
      }
      if (suggestions.some((s) => s.kind === 'rule')) lines.push('I can only suggest: each button below shows which rows the change would touch and asks you to confirm before anything is changed.');
      break;
    }
    case 'products': {
      const d = data('sku_performance');
      if (!d.products) {
        lines.push(`No product sales between ${d.from} and ${d.to}.`);
        break;
      }
      const top = d.top_by_revenue[0];
      lines.push(
        `From ${d.from} to ${d.to}, your best-selling product is **${top.sku}** (${top.name}): ${linked(top.revenue, 'sku_performance')} gross sales from ${top.units} units, margin ${money(top.margin)}${top.margin_pct ? ` (${top.margin_pct.text})` : ''}.`,
      );
      lines.push(`Highest margins: ${(d.best_by_margin as D[]).map((r) => `${r.sku} ${money(r.margin)}`).join(', ')}.`);
      const worst = (d.worst_by_margin as D[])[0];
      if (worst) lines.push(`Lowest margin: ${worst.sku} at ${money(worst.margin)}${worst.margin_pct ? ` (${worst.margin_pct.text})` : ''}.`);
      break;
    }
    case 'campaigns': {
      const d = data('campaign_performance');
      const rows = d.campaigns as D[];
      if (!rows?.length) {
        lines.push(`No ad spend between ${d.from} and ${d.to}.`);
        break;
      }
      const worst = rows[0];
      lines.push(
        `From ${d.from} to ${d.to}, your weakest campaign is **${worst.name}** (${worst.platform}): ${linked(worst.spend, 'campaign_performance')} spent for ${money(worst.revenue)} of revenue, a ROAS of **${worst.roas ?? 'n/a'}**.`,
      );
      const best = rows[rows.length - 1];
      if (best !== worst) lines.push(`The strongest is ${best.name} (${best.platform}) at a ROAS of ${best.roas ?? 'n/a'}.`);
      const flagged = rows.filter((r) => r.below_threshold);
      if (flagged.length)
        lines.push(
          `${flagged.length} campaign${flagged.length === 1 ? ' returns' : 's return'} less than its spend (ROAS under 1): ${flagged.map((r) => r.name).join(', ')}. [Source: unit-economics]`,
        );
      break;
    }
    case 'forecast': {
      const d = data('cash_forecast');
      if (!d.available) {
        lines.push('There is not enough ledger history to forecast cash yet.');
        break;
      }
      lines.push(
        `Over the next ${d.horizon_days} days (${d.paths.toLocaleString('en-US')} simulated paths from your own history), cash ends at about ${money(d.end_cash.p50)} in the middle case, between ${d.end_cash.p10.text} (P10) and ${d.end_cash.p90.text} (P90), from ${d.start_cash.text} today.`,
      );
      lines.push(`The chance that cash goes below zero within that time is **${d.probability_cash_below_zero?.text ?? '0 %'}**.`);
      const recurring = d.recurring as D[];
      if (recurring?.length)
        lines.push(
          `Recurring items it found: ${recurring
            .slice(0, 4)
            .map((r) => `${r.counterparty} (${r.amount.text}, ${r.cadence})`)
            .join(', ')}. [Source: cash-flow-basics]`,
        );
      break;
    }
    case 'chargebacks': {
      const m = data('metric_summary');
      const ratio = m.chargeback_ratio_90d;
      lines.push(
        `In the last 90 days you had **${m.chargebacks_90d.count}** chargeback${m.chargebacks_90d.count === 1 ? '' : 's'} costing ${money(m.chargebacks_90d.amount)}; the chargeback ratio is **${ratio ? ratio.text : 'not available (no sales)'}** of sales transactions.`,
      );
      if (ratio && ratio.value >= 0.009) lines.push('That is at or above the 0.9 % where card networks start monitoring a merchant.');
      else if (ratio) lines.push('That is below the 0.9 % where card networks start monitoring a merchant.');
      const hit = (data('knowledge_search').results as D[] | undefined)?.[0];
      if (hit) lines.push(`From the guide "${hit.title}": ${hit.excerpt} [Source: ${hit.doc_id}]`);
      break;
    }
    case 'refunds': {
      const m = data('metric_summary');
      lines.push(`Over the last 90 days you refunded ${money(m.refunds_90d)}: a refund rate of **${m.refund_rate_90d ? m.refund_rate_90d.text : 'n/a'}** of sales.`);
      lines.push('Below 2 % earns full marks in the readiness score. [Source: readiness-score-explained]');
      break;
    }
    case 'runway': {
      const m = data('metric_summary');
      lines.push(`Cash on hand is ${linked(m.cash, 'metric_summary')} as of ${m.as_of}.`);
      // Net burn and runway as definitions.ts defines them; runway_basis says which rule gave the runway.
      const burning =
        m.monthly_burn.minor > 0
          ? `Your net burn is about ${money(m.monthly_burn)} a month (the average over the last three complete months)`
          : 'You are not burning cash: over the last three complete months more came in than went out';
      if (m.runway_months === null) lines.push(`${burning}, so your runway is not limited by losses.`);
      else if (m.runway_basis === 'forecast')
        lines.push(`${burning}, but the cash forecast gives cash a 50 % or higher chance of running out: its median path runs out in about **${m.runway_months} months**, so that is your runway.`);
      else lines.push(`${burning}, which gives a runway of about **${m.runway_months} months**.`);
      lines.push('[Source: cash-flow-basics]');
      break;
    }
    case 'subscriptions': {
      const d = data('subscription_metrics');
      if (!d.has_subscriptions) {
        lines.push('There are no subscriptions synced from Stripe for this business, so there is no MRR or churn to report. Connect Stripe to bring them in.');
        break;
      }
      const months = d.months as D[];
      const m = months[months.length - 1];
      const prev = months[months.length - 2] as D | undefined;
      lines.push(`MRR is ${linked(m.mrr, 'subscription_metrics')} as of ${m.to}, from **${m.customers}** paying customer${m.customers === 1 ? '' : 's'}${m.arpu ? ` (ARPU ${money(m.arpu)})` : ''}.`);
      const month = (x: D) =>
        `- ${x.month}: MRR ${x.mrr.text}; new ${x.new_mrr.text}, ${x.reactivation_mrr.minor ? `reactivation ${x.reactivation_mrr.text}, ` : ''}expansion ${x.expansion_mrr.text}, contraction ${x.contraction_mrr.text}, churned ${x.churned_mrr.text}: net new ${x.net_new_mrr.text}; customer churn ${x.customer_churn ? x.customer_churn.text : 'n/a (no customers at the start)'}`;
      if (prev) {
        lines.push('The month before and this month so far:');
        lines.push(month(prev));
      } else lines.push('This month so far:');
      lines.push(month(m));
      const rates = months.map((x) => x.customer_churn).filter(Boolean) as D[];
      if (rates.length) lines.push(`Customer churn over the last ${months.length} months: ${months.map((x) => `${x.month} ${x.customer_churn ? x.customer_churn.text : 'n/a'}`).join(', ')}.`);
      lines.push('[Source: revenue-stability]');
      break;
    }
    case 'spending': {
      const e = data('expense_search');
      const what = plan.category ? `on ${plan.category}` : plan.vendor ? `with ${plan.vendor}` : plan.keyword ? `on expenses that mention “${plan.keyword}”` : 'on operating expenses';
      const when = p ? ` in ${p.label} (${p.from} to ${p.to})` : ' in all the history Bursar holds';
      lines.push(`You spent ${linked(e.total_spent, 'expense_search')} ${what}${when}, across **${e.count}** expense${e.count === 1 ? '' : 's'}.`);
      const rows = (e.rows ?? []) as D[];
      for (const r of rows.slice(0, 5)) lines.push(`- ${r.date}: ${r.description}${r.vendor ? ` (${r.vendor})` : ''}, ${r.spent.text}${r.category ? '' : ', uncategorised'}`);
      if (e.count > 5) lines.push(`…and ${e.count - 5} more.`);
      break;
    }
    case 'largest_expenses': {
      const e = data('expense_search');
      const rows = (e.rows ?? []) as D[];
      const scope = `${plan.category ? `${plan.category} ` : ''}expenses${p ? ` in ${p.label} (${p.from} to ${p.to})` : ''}`;
      if (!rows.length) {
        lines.push(`There are no ${scope}.`);
        break;
      }
      lines.push(`Your ${rows.length === 1 ? 'largest' : `${rows.length} largest`} ${scope}, largest first:`);
      for (const [i, r] of rows.entries())
        lines.push(`${i + 1}. ${money(r.spent)}: ${r.description}${r.vendor ? ` (${r.vendor})` : ''} on ${r.date}${r.category ? `, ${r.category}` : ', uncategorised'}`);
      lines.push(`All ${formatCount(e.count)} of them add up to ${linked(e.total_spent, 'expense_search')}.`);
      break;
    }
    case 'comparison':
    case 'why_changed': {
      const d = data('compare_periods');
      const c = plan.comparison!;
      // Signed as the P&L shows the lines: a cost is negative, so a smaller cost is a positive change.
      const change = (f: D) => `${f.change.minor > 0 ? '+' : ''}${f.change.text}`;
      const np = d.net_profit;
      if (plan.intent === 'why_changed') {
        lines.push(
          `Net profit was ${linked(np.is, 'compare_periods', 0)} in ${c.current.label} (${c.current.from} to ${c.current.to}) against ${linked(np.was, 'compare_periods', 1)} in ${c.previous.label} (${c.previous.from} to ${c.previous.to}): ${np.change.minor >= 0 ? 'up' : 'down'} ${np.change.text.replace('-', '')}.`,
        );
      } else {
        lines.push(`${cap(c.current.label)} (${c.current.from} to ${c.current.to}) against ${c.previous.label} (${c.previous.from} to ${c.previous.to}):`);
        for (const [label, f] of [
          ['Net revenue', d.net_revenue],
          ['Gross profit', d.gross_profit],
          ['Operating expenses', d.operating_expenses],
          ['Net profit', np],
        ] as [string, D][])
          lines.push(`- ${label}: ${linked(f.is, 'compare_periods', 0)} against ${linked(f.was, 'compare_periods', 1)} (${change(f)})`);
      }
      const drivers = (d.drivers ?? []) as D[];
      if (!drivers.length) lines.push('No line of the P&L changed between the two periods.');
      else {
        lines.push(plan.intent === 'why_changed' ? 'The lines that moved profit most:' : 'What moved net profit most:');
        for (const x of drivers)
          lines.push(
            `- **${x.line}**: ${money(x.is)} against ${x.was.text}, which ${x.effect_on_profit.minor >= 0 ? 'added' : 'took'} ${x.effect_on_profit.text.replace('-', '')} ${x.effect_on_profit.minor >= 0 ? 'to' : 'from'} profit`,
          );
      }
      break;
    }
    case 'customers':
    case 'vendors': {
      const d = data('top_counterparties');
      const rows = ((plan.intent === 'customers' ? d.customers : d.vendors) ?? []) as D[];
      const named = rows.filter((r) => r.name);
      const figure = (r: D) => (plan.intent === 'customers' ? r.net_revenue : r.spent);
      const count = (r: D) => (plan.intent === 'customers' ? `${formatCount(r.sales)} sale${r.sales === 1 ? '' : 's'}` : `${formatCount(r.expenses)} expense${r.expenses === 1 ? '' : 's'}`);
      const noun = plan.intent === 'customers' ? 'customer' : 'vendor';
      if (!named.length) {
        lines.push(`No ${noun} is named on the ${plan.intent === 'customers' ? 'sales' : 'expenses'} between ${d.from} and ${d.to}.`);
        break;
      }
      const [top, ...rest] = named;
      lines.push(
        `From ${d.from} to ${d.to}, your largest ${noun} is **${top.name}**: ${linked(figure(top), 'top_counterparties')} ${plan.intent === 'customers' ? 'net revenue' : 'spent'} across ${count(top)}.`,
      );
      if (rest.length) lines.push(`Next: ${rest.map((r) => `${r.name} ${figure(r).text}`).join(', ')}.`);
      break;
    }
    case 'how_to': {
      const hits = (data('knowledge_search').results ?? []) as D[];
      if (!hits.length) {
        lines.push('I found no how-to guide for that. The pages in the menu each say what they do; the Expenses, Imports and Settings pages hold most of the everyday work.');
        break;
      }
      lines.push("From Bursar's how-to guides:");
      for (const h of hits) lines.push(`- **${h.title}**${h.heading && h.heading !== h.title ? ` (${h.heading})` : ''}: ${h.excerpt} [Source: ${h.doc_id}]`);
      break;
    }
    case 'margin': {
      if (p) {
        const r = data('profit_and_loss');
        lines.push(
          `Gross margin for ${p.label} was **${r.gross_margin ? r.gross_margin.text : 'n/a'}**: net revenue ${money(r.net_revenue)} less cost of goods ${money(r.cost_of_goods)} leaves ${linked(r.gross_profit, 'profit_and_loss')}.`,
        );
      } else {
        const m = data('metric_summary');
        lines.push(
          `Gross margin over the last 90 days is **${m.gross_margin_90d ? m.gross_margin_90d.text : 'n/a'}** (gross profit ${linked(m.gross_profit_90d, 'metric_summary', 3)} on revenue ${money(m.last_90_days.revenue)}).`,
        );
      }
      lines.push('[Source: unit-economics]');
      break;
    }
    case 'pnl': {
      const r = data('profit_and_loss');
      lines.push(`For ${p!.label} (${r.from} to ${r.to}): net revenue ${linked(r.net_revenue, 'profit_and_loss')}, net profit ${linked(r.net_profit, 'profit_and_loss')}.`);
      lines.push(`- Cost of goods ${r.cost_of_goods.text}; gross profit ${r.gross_profit.text}${r.gross_margin ? ` (${r.gross_margin.text} margin)` : ''}`);
      lines.push(`- Fees ${r.fees.text}; ad spend ${r.ad_spend.text}; expenses ${r.expenses.text}: operating expenses ${r.operating_expenses.text}`);
      const top = (r.expenses_by_category as D[]).slice(0, 3);
      if (top.length) lines.push(`- Largest expense categories: ${top.map((c) => `${c.category} ${c.spent.text}`).join(', ')}`);
      break;
    }
    case 'performance': {
      const m = data('metric_summary');
      lines.push(`In the last 30 days: net revenue ${linked(m.last_30_days.revenue, 'metric_summary', 2)}, costs ${money(m.last_30_days.costs)}, net ${money(m.last_30_days.net)}.`);
      lines.push(`In the last 90 days: net revenue ${linked(m.last_90_days.revenue, 'metric_summary', 3)}, costs ${money(m.last_90_days.costs)}, net ${money(m.last_90_days.net)}.`);
      break;
    }
    case 'context': {
      const c = data('business_context');
      lines.push(`**${c.name}**${c.industry ? ` (${c.industry})` : ''} keeps its books in ${c.currency}${c.founded_on ? ` and was founded on ${c.founded_on}` : ''}.`);
      lines.push(c.ledger.rows ? `Bursar holds **${formatCount(c.ledger.rows)}** ledger rows from ${c.ledger.first_date} to ${c.ledger.last_date}.` : 'Bursar holds no ledger rows for it yet.');
      break;
    }
    case 'knowledge': {
      const hits = (data('knowledge_search').results ?? []) as D[];
      if (!hits.length) {
        lines.push(
          'I couldn\'t match that question. Try: "what\'s my runway?", "how did we do last month?", "compare this month to last month", "why did profit drop?", "who is my largest customer?", "what did we spend on software last quarter?", "what\'s hurting my score?" or "what should I do next?".',
        );
      } else {
        lines.push("From Bursar's guides:");
        for (const h of hits) lines.push(`- **${h.title}**${h.heading && h.heading !== h.title ? ` (${h.heading})` : ''}: ${h.excerpt} [Source: ${h.doc_id}]`);
      }
      break;
    }
  }
  if (links.length) lines.push(`See: ${links.map(md).join(' · ')}`);
  lines.push(OFFLINE_NOTE);
  return { text: lines.join('\n\n').replace(/\n\n(- |\d+\. )/g, '\n$1'), suggestions };
}

function cap(s: string): string {
  return s[0].toUpperCase() + s.slice(1);
}

function formatCount(n: number): string {
  return new Intl.NumberFormat('en-US').format(n);
}

/** The words of this business the matcher knows: its categories and the vendors it pays. */
export async function vocabulary(db: Db, businessId: string): Promise<Vocabulary> {
  const [cats, vendors] = await Promise.all([
    categories.list(db, businessId),
    db('transactions').where({ business_id: businessId, kind: 'expense' }).whereNotNull('counterparty').distinct('counterparty').limit(500).pluck('counterparty'),
  ]);
  return { categories: cats.map((c) => c.name), vendors };
}

/** Answers a question without a model: plan, run the tools, write. */
export async function answerOffline(db: Db, businessId: string, question: string, ctx: ToolContext): Promise<AgentReply & { intent: Intent }> {
  const plan = planFor(question, ctx.today, await vocabulary(db, businessId));
  const results: CallResult[] = [];
  const toolCalls: ToolCallRecord[] = [];
  for (const call of plan.calls) {
    const started = performance.now();
    const result = await runTool(db, businessId, call.tool, call.args, ctx);
    toolCalls.push({ name: call.tool, arguments: call.args, ms: Math.round((performance.now() - started) * 10) / 10 });
    results.push({ ...call, result });
  }
  const { text, suggestions } = writeAnswer(plan, results);
  return {
    intent: plan.intent,
    text,
    toolCalls,
    links: answerLinks(plan, results),
    citations: citationsIn(text),
    suggestions,
    analyst: 'offline',
  };
}
