import type { Db } from './core/db.ts';
import { addDays } from './core/clock.ts';
import * as ledger from './ledger.ts';
import type { KindTotals, LedgerEntry } from './ledger.ts';

export type Overview = {
  from: string;
  to: string;
  revenue: number;
  expenses: number;
  net: number;
  previousNet: number;
  cash: number;
  rowCount: number;
  recent: LedgerEntry[];
};

const REVENUE_KINDS = ['sale', 'refund', 'chargeback', 'other_income'] as const;
const EXPENSE_KINDS = ['fee', 'ad_spend', 'cogs', 'expense'] as const;

function sum(totals: KindTotals, kinds: readonly string[]): number {
  return kinds.reduce((s, k) => s + (totals[k as keyof KindTotals] ?? 0), 0);
}

/** The last 30 days at a glance (revenue net of refunds, spending, cash), against the 30 before. */
export async function forBusiness(db: Db, businessId: string, today: string): Promise<Overview> {
  const from = addDays(today, -29);
  const [current, previous, cash, rowCount, recent] = await Promise.all([
    ledger.totalsByKind(db, businessId, from, today),
    ledger.totalsByKind(db, businessId, addDays(from, -30), addDays(from, -1)),
    ledger.cashBalanceOn(db, businessId, today),
    ledger.countRows(db, businessId),
    ledger.recent(db, businessId, 12),
  ]);
  const revenue = sum(current, REVENUE_KINDS);
  const expenses = -sum(current, EXPENSE_KINDS);
  return {
    from,
    to: today,
    revenue,
    expenses,
    net: revenue - expenses,
    previousNet: sum(previous, REVENUE_KINDS) + sum(previous, EXPENSE_KINDS),
    cash,
    rowCount,
    recent,
  };
}
