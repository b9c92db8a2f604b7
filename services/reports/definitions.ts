import type { LedgerKind } from '../ledger/transactions.ts';
import { addDays } from '../core/clock.ts';
import { addMonths, daysBetween } from './periods.ts';

/**
 * The one definition of every figure Bursar shows: its label, its formula in words
 * (the glossary page at /b/:id/definitions reads them from here), and the pure
 * functions that compute it. Pages, the API, readiness and the chat use these
 * functions and these labels, so one figure never means two things.
 *
 * Signs follow the ledger: money in is positive, costs are negative sums, except
 * `totalCosts`, which is a positive amount as the dashboard shows it.
 */
export type KindSums = Partial<Record<LedgerKind, number>>;

export type TermId =
  | 'gross_sales'
  | 'refunds'
  | 'net_revenue'
  | 'cost_of_goods'
  | 'gross_profit'
  | 'gross_margin'
  | 'operating_expenses'
  | 'expenses'
  | 'other_income'
  | 'total_costs'
  | 'net_profit'
  | 'cash'
  | 'net_burn'
  | 'gross_burn'
  | 'runway'
  | 'mrr'
  | 'new_mrr'
  | 'expansion_mrr'
  | 'contraction_mrr'
  | 'churned_mrr'
  | 'reactivation_mrr'
  | 'net_new_mrr'
  | 'customer_churn'
  | 'arpu';

export type Term = { id: TermId; label: string; formula: string; note?: string };

/** The glossary, in the order a P&L reads. */
export const TERMS: readonly Term[] = [
  { id: 'gross_sales', label: 'Gross sales', formula: 'The sum of every sale in the ledger, before refunds and chargebacks.' },
  { id: 'refunds', label: 'Refunds and chargebacks', formula: 'Money paid back to customers (refunds) plus disputes lost to customers (chargebacks).' },
  { id: 'net_revenue', label: 'Net revenue', formula: 'Gross sales − refunds and chargebacks.', note: 'What the dashboard calls revenue, and the P&L’s net revenue line: the same figure.' },
  { id: 'cost_of_goods', label: 'Cost of goods', formula: 'What the goods sold cost to buy or make (ledger rows of kind cost of goods).' },
  { id: 'gross_profit', label: 'Gross profit', formula: 'Net revenue − cost of goods.' },
  { id: 'gross_margin', label: 'Gross margin', formula: 'Gross profit ÷ net revenue, as a percentage; no figure when there is no net revenue.' },
  { id: 'operating_expenses', label: 'Operating expenses', formula: 'Payment fees + ad spend + expenses.' },
  {
    id: 'expenses',
    label: 'Expenses',
    formula: 'The ledger rows of kind expense (entered by hand, imported or synced), by category: the total on the Expenses page.',
    note: 'One part of operating expenses: payment fees and ad spend are not in it.',
  },
  { id: 'other_income', label: 'Other income', formula: 'Money earned other than by selling: interest, grants, rebates.' },
  { id: 'total_costs', label: 'Total costs', formula: 'Cost of goods + operating expenses.', note: 'The dashboard shows it; it is more than the Expenses page’s total, which counts expenses only.' },
  { id: 'net_profit', label: 'Net profit', formula: 'Net revenue + other income − cost of goods − operating expenses.' },
  {
    id: 'cash',
    label: 'Cash',
    formula: 'The sum of the business’s account balances: opening balances plus every movement through the day.',
    note: 'Payouts and transfers between the business’s own accounts move cash but are neither revenue nor expense.',
  },
  {
    id: 'net_burn',
    label: 'Net burn',
    formula: 'Average monthly (cash out − cash in) over the last three complete calendar months; 0 when more came in than went out.',
    note: 'Operating movements only: payouts and owner transfers are left out. With less history, the complete months there are; with none, the days since the first ledger row.',
  },
  { id: 'gross_burn', label: 'Gross burn', formula: 'Average monthly cash out over the same three complete calendar months.' },
  {
    id: 'runway',
    label: 'Runway',
    formula: 'Cash ÷ net burn, in months; “Not burning” when net burn is 0.',
    note: 'A figure of today: it uses today’s cash and the last three complete months, whatever report range is chosen. It never contradicts the cash forecast: when the two-year forecast gives cash a 50 % or higher chance of going below zero, and its median cash-out date comes sooner than cash ÷ net burn says (or net burn is 0), runway is the months until that median cash-out date and is labelled “Runway (forecast)”.',
  },
  {
    id: 'mrr',
    label: 'MRR',
    formula:
      'Monthly recurring revenue at the end of a day: for every subscription that counts, each item’s recurring price brought to a month (yearly ÷ 12, weekly × 52 ÷ 12, daily × 365 ÷ 12, divided by the interval count, so “every 3 months” is ÷ 3) × its quantity, summed over the items, less its discounts; summed over subscriptions.',
    note: 'Tax and one-off charges are left out (a tax-inclusive rate is taken off the price). Discounts: a percentage or an amount off (an amount off is per invoice, so brought to a month the same way) while it applies: forever, or repeating until it ends; a once-only discount is left out. Active and past-due subscriptions count, and so does one set to cancel at the end of its period until it ends; trialing, incomplete, paused and unpaid ones count 0; metered prices count 0 (usage is not known ahead). From subscriptions synced from Stripe, not from the ledger; another currency is converted at the rate of the day a value took effect, and left out when no rate reaches that day.',
  },
  { id: 'new_mrr', label: 'New MRR', formula: 'MRR added by customers who start paying for the first time in the period.' },
  {
    id: 'expansion_mrr',
    label: 'Expansion MRR',
    formula: 'MRR added by paying customers whose MRR rises: upgrades, more seats, another subscription, a discount ending.',
  },
  { id: 'contraction_mrr', label: 'Contraction MRR', formula: 'MRR lost by customers who keep paying less: downgrades, fewer seats, a new discount.' },
  { id: 'churned_mrr', label: 'Churned MRR', formula: 'The MRR of customers whose MRR falls to zero in the period (their last subscription ended).' },
  { id: 'reactivation_mrr', label: 'Reactivation MRR', formula: 'MRR of customers who paid before, stopped, and start paying again in the period.' },
  {
    id: 'net_new_mrr',
    label: 'Net new MRR',
    formula: 'New + reactivation + expansion − contraction − churned MRR: the change in MRR from the end of the period before to the end of this one.',
    note: 'A customer’s MRR is the sum of its subscriptions’; each day a customer’s MRR changes is one movement, so switching plans on one day is one upgrade or downgrade, not a churn and a new customer.',
  },
  {
    id: 'customer_churn',
    label: 'Customer churn',
    formula: 'Customers lost in the period ÷ customers paying at its start. A customer is lost when it paid at the start of the period and pays nothing at its end.',
    note: 'No figure when no customer paid at the start. A customer who comes and goes within the period is in New and Churned MRR, not in this rate.',
  },
  { id: 'arpu', label: 'ARPU', formula: 'MRR ÷ paying customers (customers with MRR above zero), at the end of the period; no figure without paying customers.' },
];

const BY_ID = new Map(TERMS.map((t) => [t.id, t]));

/** The label of a figure, as every page, the API and the chat name it. */
export function label(id: TermId): string {
  return BY_ID.get(id)!.label;
}

/** Runway's label when it comes from the forecast's median cash-out date rather than cash ÷ net burn. */
export const RUNWAY_FORECAST_LABEL = 'Runway (forecast)';

/** Kinds that change cash on hand: all but payouts (a payout moves money between the business's own accounts). */
export const NOT_CASH_KINDS: LedgerKind[] = ['payout'];
/** Kinds left out of operating cash flow (burn): payouts and owner transfers. */
export const NOT_OPERATING_KINDS: LedgerKind[] = ['payout', 'transfer'];

export type ProfitFigures = {
  grossSales: number;
  /** Refunds and chargebacks, negative. */
  refunds: number;
  netRevenue: number;
  /** Cost of goods, negative. */
  cogs: number;
  grossProfit: number;
  fees: number;
  adSpend: number;
  /** Rows of kind expense only (the Expenses page's total), negative. */
  expenses: number;
  /** Fees + ad spend + expenses, negative. */
  operatingExpenses: number;
  otherIncome: number;
  /** Cost of goods + operating expenses, as a positive amount. */
  totalCosts: number;
  netProfit: number;
  /** Gross profit over net revenue, or null without net revenue. */
  grossMargin: number | null;
};

/** Every profit figure of one set of totals by ledger kind. */
export function profitFigures(sums: KindSums): ProfitFigures {
  const grossSales = sums.sale ?? 0;
  const refunds = (sums.refund ?? 0) + (sums.chargeback ?? 0);
  const netRevenue = grossSales + refunds;
  const cogs = sums.cogs ?? 0;
  const grossProfit = netRevenue + cogs;
  const fees = sums.fee ?? 0;
  const adSpend = sums.ad_spend ?? 0;
  const expenses = sums.expense ?? 0;
  const operatingExpenses = fees + adSpend + expenses;
  const otherIncome = sums.other_income ?? 0;
  return {
    grossSales,
    refunds,
    netRevenue,
    cogs,
    grossProfit,
    fees,
    adSpend,
    expenses,
    operatingExpenses,
    otherIncome,
    totalCosts: -(cogs + operatingExpenses),
    netProfit: grossProfit + operatingExpenses + otherIncome,
    grossMargin: netRevenue > 0 ? grossProfit / netRevenue : null,
  };
}

const DAYS_PER_MONTH = 365.25 / 12;

export type BurnWindow = { from: string; to: string; months: number };

/**
 * The months net and gross burn average over, as of a day: the last three complete
 * calendar months, starting no earlier than the first ledger day. With less than a
 * complete month of history, the days from the first ledger day through `asOf`
 * (counted in months of 30.44 days). Null before the first ledger day.
 */
export function burnWindow(asOf: string, firstDay: string): BurnWindow | null {
  if (firstDay > asOf) return null;
  const thisMonth = `${asOf.slice(0, 7)}-01`;
  const to = addDays(thisMonth, -1);
  const threeBack = addMonths(thisMonth, -3);
  // A month counts only when the ledger covers it from its first day.
  let from = threeBack;
  while (from < firstDay && from <= to) from = addMonths(from, 1);
  if (from > to) return { from: firstDay, to: asOf, months: (daysBetween(firstDay, asOf) + 1) / DAYS_PER_MONTH };
  return { from, to, months: Math.round((daysBetween(from, to) + 1) / DAYS_PER_MONTH) };
}

/** Operating movements by day and kind, as the aggregates give them. */
export type FlowRow = { day: string; kind: string; amount: number };

/** Net and gross burn per month over a window, from daily totals by kind (rows outside the window are ignored). */
export function burn(rows: readonly FlowRow[], window: BurnWindow): { netBurn: number; grossBurn: number } {
  let net = 0;
  let out = 0;
  for (const r of rows) {
    if (r.day < window.from || r.day > window.to || NOT_OPERATING_KINDS.includes(r.kind as LedgerKind)) continue;
    const a = Number(r.amount);
    net += a;
    if (a < 0) out -= a;
  }
  return { netBurn: Math.max(0, Math.round(-net / window.months)), grossBurn: Math.round(out / window.months) };
}

/** What runway reads from the cash forecast: its horizon, the chance cash goes below zero and the median days until it does. */
export type CashOut = { horizonDays: number; pBelowZero: number; medianDays: number | null };

export type Runway = {
  /** Months the cash lasts; null when not burning (and the forecast does not say cash runs out). */
  months: number | null;
  basis: 'net_burn' | 'not_burning' | 'forecast';
  label: string;
};

/**
 * Runway: cash ÷ net burn in months, or not burning; but never later than the
 * forecast's median cash-out date when the forecast gives cash a 50 % or higher chance
 * of going below zero (then it is that date, in months, labelled as from the forecast).
 */
export function runway(cash: number, netBurn: number, cashOut: CashOut | null): Runway {
  const byBurn = netBurn > 0 ? Math.max(0, cash) / netBurn : null;
  const byForecast = cashOut && cashOut.pBelowZero >= 0.5 && cashOut.medianDays !== null ? cashOut.medianDays / DAYS_PER_MONTH : null;
  if (byForecast !== null && (byBurn === null || byForecast < byBurn)) return { months: byForecast, basis: 'forecast', label: RUNWAY_FORECAST_LABEL };
  return { months: byBurn, basis: byBurn === null ? 'not_burning' : 'net_burn', label: label('runway') };
}

/** Subscription statuses whose MRR counts; every other status (trialing, incomplete, paused, unpaid, …) counts 0. A canceled one counted until it ended. */
export const MRR_STATUSES = ['active', 'past_due'] as const;

/** Months in one billing interval of each kind (MRR, above): a year is 12, a week 12 ÷ 52, a day 12 ÷ 365. */
const MONTHS_PER_INTERVAL = { day: 12 / 365, week: 12 / 52, month: 1, year: 12 } as const;

/** An amount billed every `count` intervals, brought to a month (not rounded); null for an interval MRR does not know. */
export function monthly(amount: number, interval: string, count = 1): number | null {
  const months = MONTHS_PER_INTERVAL[interval as keyof typeof MONTHS_PER_INTERVAL];
  if (months === undefined || !(count > 0)) return null;
  return amount / (months * count);
}

/** How a customer's MRR moving from `before` to `after` on one day counts (MRR's movements, above); null when it did not move. */
export function mrrMovement(before: number, after: number, paidBefore: boolean): { kind: 'new' | 'reactivation' | 'expansion' | 'contraction' | 'churned'; amount: number } | null {
  if (before === after) return null;
  if (before <= 0) return { kind: paidBefore ? 'reactivation' : 'new', amount: after };
  if (after <= 0) return { kind: 'churned', amount: before };
  return after > before ? { kind: 'expansion', amount: after - before } : { kind: 'contraction', amount: before - after };
}

/** Customer churn: customers lost ÷ customers at the start; null without customers at the start. */
export function customerChurn(lost: number, atStart: number): number | null {
  return atStart > 0 ? lost / atStart : null;
}

/** ARPU: MRR ÷ paying customers; null without paying customers. */
export function arpu(mrr: number, payingCustomers: number): number | null {
  return payingCustomers > 0 ? Math.round(mrr / payingCustomers) : null;
}
