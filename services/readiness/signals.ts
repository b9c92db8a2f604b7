import type { Db } from '../core/db.ts';
import { addDays } from '../core/clock.ts';
import type { Signals } from './recommendation-rules.ts';
import * as subscriptions from '../reports/subscriptions.ts';

type LedgerSignals = Omit<Signals, keyof import('./formula.ts').ReadinessInputs> & { top_customer_share: number | null };

/** Facts from the ledger, ad stats and subscriptions that the recommendation rules read beside the metrics. */
export async function ledgerSignals(db: Db, businessId: string, asOf: string): Promise<LedgerSignals> {
  const yearAgo = addDays(asOf, -364);
  const [campaigns, sku, customer, uncategorised, previous, subs] = await Promise.all([
    db('ad_campaigns as c')
      .join('ad_campaign_stats as s', 's.campaign_id', 'c.id')
      .where('c.business_id', businessId)
      .where('s.business_id', businessId)
      .whereBetween('s.day', [addDays(asOf, -29), asOf])
      .groupBy('c.id', 'c.name', 'c.platform')
      .select('c.id', 'c.name', 'c.platform', db.raw('sum(s.spend)::bigint as spend'), db.raw('sum(s.revenue)::bigint as revenue')),
    db('transactions as t')
      .join('products as p', 'p.id', 't.product_id')
      .where({ 't.business_id': businessId, 't.kind': 'sale' })
      .whereBetween('t.occurred_on', [yearAgo, asOf])
      .groupBy('p.sku')
      .select('p.sku', db.raw('sum(t.amount_base)::bigint as revenue'), db.raw('sum(sum(t.amount_base)) over ()::bigint as total'))
      .orderBy('revenue', 'desc')
      .first(),
    db('transactions')
      .where({ business_id: businessId, kind: 'sale' })
      .whereNotNull('counterparty')
      .whereBetween('occurred_on', [yearAgo, asOf])
      .groupBy('counterparty')
      .select(db.raw('sum(amount_base)::bigint as revenue'), db.raw('sum(sum(amount_base)) over ()::bigint as total'))
      .orderBy('revenue', 'desc')
      .first(),
    db('transactions').where({ business_id: businessId, kind: 'expense' }).whereNull('category_id').first(db.raw('count(*)::int as count'), db.raw('coalesce(sum(amount_base), 0)::bigint as amount')),
    db('transactions')
      .where('business_id', businessId)
      .whereIn('kind', ['sale', 'refund'])
      .whereBetween('occurred_on', [addDays(asOf, -179), addDays(asOf, -90)])
      .first(db.raw(`coalesce(sum(amount_base) filter (where kind = 'sale'), 0)::bigint as sales`), db.raw(`coalesce(-sum(amount_base) filter (where kind = 'refund'), 0)::bigint as refunds`)),
    subscriptions.recent(db, businessId, asOf),
  ]);
  return {
    campaigns: campaigns.map((c: { id: string; name: string; platform: string; spend: number; revenue: number }) => ({
      id: c.id,
      name: c.name,
      platform: c.platform,
      spend: c.spend,
      roas: c.spend > 0 ? Math.round((c.revenue / c.spend) * 100) / 100 : null,
    })),
    top_sku: sku && sku.total > 0 ? { sku: sku.sku, share: sku.revenue / sku.total } : null,
    top_customer_share: customer && customer.total > 0 ? customer.revenue / customer.total : null,
    uncategorised_expenses: { count: uncategorised.count, amount: uncategorised.amount },
    previous_refund_rate: previous.sales > 0 ? previous.refunds / previous.sales : null,
    subscriptions: subs ? { mrr: subs.mrr, mrr_three_months_before: subs.mrrThreeMonthsBefore, customers: subs.customers, monthly_customer_churn: subs.monthlyCustomerChurn } : null,
  };
}
