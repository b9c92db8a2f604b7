import type { LedgerKind } from '../ledger/transactions.ts';

/**
 * How ledger kinds roll up into report lines. Pure, so the dashboard, the P&L and
 * the metrics say the same thing about the same totals.
 *
 * - Revenue: sales and other income. Refunds: refunds and lost chargebacks.
 *   Net revenue = revenue + refunds (refunds are negative).
 * - Gross profit = net revenue + COGS. Net profit = gross profit + fees + ad spend + expenses.
 * - Payouts move money between the business's own accounts; transfers (an opening
 *   balance, an owner's injection) are cash but not profit.
 */
export type KindSums = Partial<Record<LedgerKind, number>>;

export const REVENUE_KINDS: LedgerKind[] = ['sale', 'other_income'];
export const REFUND_KINDS: LedgerKind[] = ['refund', 'chargeback'];
export const COST_KINDS: LedgerKind[] = ['cogs', 'fee', 'ad_spend', 'expense'];
/** Kinds that change cash on hand: all but payouts. */
export const NOT_CASH_KINDS: LedgerKind[] = ['payout'];
/** Kinds left out of operating cash flow (burn): payouts and owner transfers. */
export const NOT_OPERATING_KINDS: LedgerKind[] = ['payout', 'transfer'];

export function sumKinds(sums: KindSums, kinds: readonly LedgerKind[]): number {
  let s = 0;
  for (const k of kinds) s += sums[k] ?? 0;
  return s;
}

export type ProfitFigures = {
  revenue: number;
  refunds: number;
  netRevenue: number;
  cogs: number;
  grossProfit: number;
  fees: number;
  adSpend: number;
  operatingExpenses: number;
  /** All costs as a positive number. */
  expenses: number;
  netProfit: number;
  /** Gross profit over net revenue, or null without revenue. */
  grossMargin: number | null;
  /** Operating cash flow: every kind but payouts and transfers. */
  operatingCashFlow: number;
};

export function profitFigures(sums: KindSums): ProfitFigures {
  const revenue = sumKinds(sums, REVENUE_KINDS);
  const refunds = sumKinds(sums, REFUND_KINDS);
  const netRevenue = revenue + refunds;
  const cogs = sums.cogs ?? 0;
  const grossProfit = netRevenue + cogs;
  const fees = sums.fee ?? 0;
  const adSpend = sums.ad_spend ?? 0;
  const operatingExpenses = sums.expense ?? 0;
  const netProfit = grossProfit + fees + adSpend + operatingExpenses;
  return {
    revenue,
    refunds,
    netRevenue,
    cogs,
    grossProfit,
    fees,
    adSpend,
    operatingExpenses,
    expenses: -(cogs + fees + adSpend + operatingExpenses),
    netProfit,
    grossMargin: netRevenue > 0 ? grossProfit / netRevenue : null,
    operatingCashFlow: netProfit,
  };
}

/** Monthly burn from operating cash flow over a number of days: positive when cash goes out, else 0. */
export function monthlyBurn(operatingCashFlow: number, days: number): number {
  if (days <= 0 || operatingCashFlow >= 0) return 0;
  return Math.round((-operatingCashFlow / days) * (365.25 / 12));
}

/** Months the cash lasts at a burn; null when not burning (runway is not a number then). */
export function runwayMonths(cash: number, burn: number): number | null {
  if (burn <= 0) return null;
  return Math.max(0, cash) / burn;
}
