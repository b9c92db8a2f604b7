import { money, pct, type ReadinessInputs } from './formula.ts';

/** What the rules read: the readiness inputs plus a few facts from the ledger. */
export type Signals = ReadinessInputs & {
  /** Refund rate of the 90 days before the current 90. */
  previous_refund_rate: number | null;
  /** Campaigns over the last 30 days, with their spend (minor units) and ROAS. */
  campaigns: { id: string; name: string; platform: string; spend: number; roas: number | null }[];
  /** The best-selling product's share of revenue over the last 12 months. */
  top_sku: { sku: string; share: number } | null;
  uncategorised_expenses: { count: number; amount: number };
  /** Subscription figures of the last three complete months (services/reports/subscriptions.ts recent); null or absent without subscriptions. */
  subscriptions?: { mrr: number; mrr_three_months_before: number; customers: number; monthly_customer_churn: number | null } | null;
};

/** Monthly customer churn above which subscriptions leak faster than most small subscription businesses (3-5 % a month is common). */
export const CUSTOMER_CHURN_WARN = 0.05;

export type Candidate = {
  rule: string;
  subject: string;
  priority: 'high' | 'medium' | 'low';
  title: string;
  why: string;
  action: string;
  figures: Record<string, number | string | null>;
};

/** Below this ROAS a campaign does not return its own spend. */
export const ROAS_FLOOR = 1;
/** Card networks start monitoring around 0.9 %-1 %; warn while there is still room. */
export const CHARGEBACK_WARN = 0.0075;
export const CHARGEBACK_ALARM = 0.009;

/**
 * The recommendations a business's figures call for today. Pure: the same signals
 * always give the same list, so recomputing never invents or loses one.
 */
export function recommend(s: Signals): Candidate[] {
  const out: Candidate[] = [];
  const c = s.currency;

  if (s.chargeback_ratio !== null && s.chargeback_ratio >= CHARGEBACK_WARN) {
    const alarm = s.chargeback_ratio >= CHARGEBACK_ALARM;
    out.push({
      rule: 'chargeback_ratio',
      subject: '',
      priority: alarm ? 'high' : 'medium',
      title: alarm ? 'Chargebacks are at the card networks’ monitoring level' : 'Chargebacks are approaching the card networks’ limits',
      why: `Your chargeback ratio over the last 90 days is ${pct(s.chargeback_ratio, 2)}. Card networks start monitoring merchants around 0.9 %–1 %, and providers treat it as a serious risk.`,
      action: 'Use a clear statement descriptor, send tracking for every order, refund quickly when asked, and answer open disputes with evidence. [Source: reducing-chargebacks]',
      figures: { chargeback_ratio: s.chargeback_ratio },
    });
  }

  for (const camp of s.campaigns) {
    if (camp.roas === null || camp.roas >= ROAS_FLOOR || camp.spend <= 0) continue;
    out.push({
      rule: 'campaign_roas',
      subject: camp.id,
      priority: camp.roas < 0.5 ? 'high' : 'medium',
      title: `“${camp.name}” spends more than it brings in`,
      why: `Over the last 30 days it spent ${money(camp.spend, c)} for a ROAS of ${camp.roas.toFixed(2)}: each 1 spent returned ${camp.roas.toFixed(2)} in revenue, before the cost of the goods.`,
      action: 'Pause it or cut its budget, and move the spend to your best-performing campaigns. [Source: unit-economics]',
      figures: { roas: camp.roas, spend: camp.spend, platform: camp.platform },
    });
  }

  if (s.runway_months !== null && s.runway_months < 12) {
    out.push({
      rule: 'runway',
      subject: '',
      priority: s.runway_months < 6 ? 'high' : 'medium',
      title: `Cash lasts about ${s.runway_months.toFixed(1)} months`,
      why: `Your runway is ${s.runway_months.toFixed(1)} months: cash ÷ net burn, or the cash forecast's median cash-out date when that comes sooner (see Definitions).`,
      action: 'Review the largest recurring costs and the worst campaigns, and check the forecast before new commitments. [Source: cash-flow-basics]',
      figures: { runway_months: s.runway_months },
    });
  }

  if (s.refund_rate !== null && s.previous_refund_rate !== null && s.refund_rate >= 0.03 && s.refund_rate > s.previous_refund_rate * 1.25) {
    out.push({
      rule: 'refund_rate_rising',
      subject: '',
      priority: 'medium',
      title: 'Refunds are rising',
      why: `Refunds were ${pct(s.refund_rate)} of sales over the last 90 days, up from ${pct(s.previous_refund_rate)} the 90 days before.`,
      action: 'Look at which products are refunded most and why; fix descriptions, sizing or quality issues.',
      figures: { refund_rate: s.refund_rate, previous_refund_rate: s.previous_refund_rate },
    });
  }

  if (s.top_customer_share !== null && s.top_customer_share >= 0.25) {
    out.push({
      rule: 'customer_concentration',
      subject: '',
      priority: s.top_customer_share >= 0.5 ? 'high' : 'medium',
      title: 'One customer carries much of your revenue',
      why: `Your largest customer brought ${pct(s.top_customer_share, 0)} of revenue over the last 12 months.`,
      action: 'Win more customers of a similar size so losing one would not stop the business. [Source: funding-readiness-factors]',
      figures: { top_customer_share: s.top_customer_share },
    });
  }

  if (s.top_sku && s.top_sku.share >= 0.5) {
    out.push({
      rule: 'sku_concentration',
      subject: s.top_sku.sku,
      priority: 'medium',
      title: `${s.top_sku.sku} makes most of your sales`,
      why: `${s.top_sku.sku} brought ${pct(s.top_sku.share, 0)} of revenue over the last 12 months.`,
      action: 'Broaden the range or promote other products, so a supply problem with one product does not stop sales.',
      figures: { sku: s.top_sku.sku, share: s.top_sku.share },
    });
  }

  if (s.revenue_volatility !== null && s.revenue_volatility >= 0.35) {
    out.push({
      rule: 'revenue_volatility',
      subject: '',
      priority: 'medium',
      title: 'Revenue swings a lot from week to week',
      why: `Weekly revenue varies by ${pct(s.revenue_volatility, 0)} around its average over the last 12 weeks.`,
      action: 'Steadier revenue earns better financing offers: consider subscriptions, repeat-order programmes or more channels. [Source: revenue-stability]',
      figures: { revenue_volatility: s.revenue_volatility },
    });
  }

  if (s.gross_margin !== null && s.gross_margin < 0.3) {
    out.push({
      rule: 'gross_margin',
      subject: '',
      priority: 'medium',
      title: 'Gross margin is thin',
      why: `After the cost of goods, ${pct(s.gross_margin, 0)} of revenue is left to pay for everything else.`,
      action: 'Check the margin of each product; raise prices or renegotiate costs on the weakest. [Source: unit-economics]',
      figures: { gross_margin: s.gross_margin },
    });
  }

  if (s.uncategorised_expenses.count > 0) {
    out.push({
      rule: 'uncategorised_expenses',
      subject: '',
      priority: s.uncategorised_expenses.count >= 20 ? 'medium' : 'low',
      title: `${s.uncategorised_expenses.count} expenses have no category`,
      why: `${s.uncategorised_expenses.count} expenses totalling ${money(Math.abs(s.uncategorised_expenses.amount), c)} are uncategorised, so reports cannot place them.`,
      action: 'Categorise them, or add a rule so future ones are categorised on import.',
      figures: { count: s.uncategorised_expenses.count, amount: s.uncategorised_expenses.amount },
    });
  }

  const subs = s.subscriptions;
  if (subs && subs.monthly_customer_churn !== null && subs.monthly_customer_churn >= CUSTOMER_CHURN_WARN) {
    out.push({
      rule: 'customer_churn',
      subject: '',
      priority: subs.monthly_customer_churn >= 2 * CUSTOMER_CHURN_WARN ? 'high' : 'medium',
      title: 'Subscribers are leaving fast',
      why: `On average ${pct(subs.monthly_customer_churn)} of paying subscribers left each month over the last three complete months (customer churn, see Definitions).`,
      action: 'Ask the customers who left why, look at failed payments and cancellations at renewal, and give new customers a reason to stay in their first months. [Source: revenue-stability]',
      figures: { monthly_customer_churn: subs.monthly_customer_churn, customers: subs.customers },
    });
  }
  if (subs && subs.mrr_three_months_before > 0 && subs.mrr < subs.mrr_three_months_before) {
    out.push({
      rule: 'mrr_shrinking',
      subject: '',
      priority: subs.mrr < 0.9 * subs.mrr_three_months_before ? 'high' : 'medium',
      title: 'Recurring revenue is shrinking',
      why: `MRR was ${money(subs.mrr, c)} at the end of last month, down from ${money(subs.mrr_three_months_before, c)} three months before: churned and contraction MRR outweigh new and expansion MRR.`,
      action: 'See which movement drives it on the metrics page: win back churned customers, slow downgrades, or add new subscribers. [Source: revenue-stability]',
      figures: { mrr: subs.mrr, mrr_three_months_before: subs.mrr_three_months_before },
    });
  }

  if (s.months_of_history < 12) {
    out.push({
      rule: 'short_history',
      subject: '',
      priority: 'low',
      title: 'Build up a year of records',
      why: `Bursar has ${Math.floor(s.months_of_history)} months of your history; most providers want at least 12.`,
      action: 'Import older bank statements or connect your payment processor to backfill history. [Source: funding-readiness-factors]',
      figures: { months_of_history: s.months_of_history },
    });
  }

  return out;
}
