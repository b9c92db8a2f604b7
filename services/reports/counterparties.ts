import type { Db } from '../core/db.ts';
import type { Range } from './periods.ts';

/**
 * Who the money comes from and goes to, by the ledger's counterparty over a range:
 * customers by net revenue (sales less their refunds and chargebacks), vendors by
 * what the Expenses page lists for them (rows of kind expense). Rows without a
 * counterparty are one unnamed line (`null`), so a column adds up to its whole.
 */
export type CustomerRow = { customer: string | null; sales: number; netRevenue: number };
export type VendorRow = { vendor: string | null; expenses: number; spent: number };

export const CUSTOMER_KINDS = ['sale', 'refund', 'chargeback'] as const;

/** The customers with the most net revenue in a range, largest first (ties by name). */
export async function customers(db: Db, businessId: string, range: Range, limit = 20): Promise<CustomerRow[]> {
  const rows: { customer: string | null; sales: number; net_revenue: number }[] = await db('transactions')
    .where('business_id', businessId)
    .whereIn('kind', CUSTOMER_KINDS)
    .whereBetween('occurred_on', [range.from, range.to])
    .groupBy('counterparty')
    .select('counterparty as customer', db.raw(`count(*) filter (where kind = 'sale')::int as sales`), db.raw('sum(amount_base)::bigint as net_revenue'))
    .orderByRaw('sum(amount_base) desc, counterparty nulls last')
    .limit(limit);
  return rows.map((r) => ({ customer: r.customer, sales: Number(r.sales), netRevenue: Number(r.net_revenue) }));
}

/** The vendors the business spent most with in a range (positive = spent), largest first (ties by name). */
export async function vendors(db: Db, businessId: string, range: Range, limit = 20): Promise<VendorRow[]> {
  const rows: { vendor: string | null; expenses: number; spent: number }[] = await db('transactions')
    .where({ business_id: businessId, kind: 'expense' })
    .whereBetween('occurred_on', [range.from, range.to])
    .groupBy('counterparty')
    .select('counterparty as vendor', db.raw('count(*)::int as expenses'), db.raw('-sum(amount_base)::bigint as spent'))
    .orderByRaw('sum(amount_base) asc, counterparty nulls last')
    .limit(limit);
  return rows.map((r) => ({ vendor: r.vendor, expenses: Number(r.expenses), spent: Number(r.spent) }));
}
