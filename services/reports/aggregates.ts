import type { Db } from '../core/db.ts';
import type { LedgerKind } from '../ledger/transactions.ts';

/** The category of uncategorised rows in the daily totals (a key column cannot hold null). */
export const NIL_UUID = '00000000-0000-0000-0000-000000000000';

/**
 * Recomputes the daily aggregates from the ledger (all businesses, or one). The
 * triggers keep them current; this is the repair and the proof: a rebuild must give
 * what the triggers kept. Runs in one transaction so readers never see them half-built.
 */
export async function rebuild(db: Db, businessId?: string): Promise<{ dailyRows: number; productRows: number }> {
  return db.transaction(async (trx) => {
    const scope = businessId ? 'where business_id = ?' : '';
    const params = businessId ? [businessId] : [];
    // A repair changes what reports show, so cached reports must go. First, as in the
    // ledger's triggers, so a concurrent writer and the rebuild lock in the same order.
    await trx.raw(
      `insert into data_versions as v (business_id, version) select id, 1 from businesses ${businessId ? 'where id = ?' : ''} order by id
       on conflict (business_id) do update set version = v.version + 1`,
      params,
    );
    await trx.raw(`delete from daily_totals ${scope}`, params);
    await trx.raw(`delete from product_daily_totals ${scope}`, params);
    await trx.raw(`delete from kind_totals ${scope}`, params);
    await trx.raw(`insert into kind_totals (business_id, kind, amount, entries) select business_id, kind, sum(amount_base), count(*) from transactions ${scope} group by 1, 2`, params);
    const daily = await trx.raw(
      `insert into daily_totals (business_id, day, kind, category_id, amount, quantity, entries)
       select business_id, occurred_on, kind, coalesce(category_id, '${NIL_UUID}'::uuid),
              sum(amount_base), sum(coalesce(quantity, 0)), count(*)
       from transactions ${scope} group by 1, 2, 3, 4`,
      params,
    );
    const product = await trx.raw(
      `insert into product_daily_totals (business_id, day, product_id, kind, amount, quantity, entries)
       select business_id, occurred_on, product_id, kind, sum(amount_base), sum(coalesce(quantity, 0)), count(*)
       from transactions where product_id is not null ${businessId ? 'and business_id = ?' : ''} group by 1, 2, 3, 4`,
      params,
    );
    return { dailyRows: daily.rowCount ?? 0, productRows: product.rowCount ?? 0 };
  });
}

export type DailyTotal = { day: string; kind: LedgerKind; category_id: string | null; amount: number; quantity: number; entries: number };

/** Stored daily totals of a business over an inclusive range; rows a delete left at zero are skipped. */
export async function dailyTotals(db: Db, businessId: string, from: string, to: string): Promise<DailyTotal[]> {
  const rows = await db('daily_totals')
    .where('business_id', businessId)
    .whereBetween('day', [from, to])
    .where((q) => q.where('entries', '<>', 0).orWhere('amount', '<>', 0))
    .orderBy('day')
    .select('day', 'kind', 'category_id', 'amount', 'quantity', 'entries');
  return rows.map((r: DailyTotal) => ({ ...r, category_id: r.category_id === NIL_UUID ? null : r.category_id }));
}

/** Daily totals summed over categories: one row per day and kind. */
export async function dailyByKind(db: Db, businessId: string, from: string, to: string): Promise<{ day: string; kind: LedgerKind; amount: number; entries: number }[]> {
  return db('daily_totals')
    .where('business_id', businessId)
    .whereBetween('day', [from, to])
    .groupBy('day', 'kind')
    .orderBy('day')
    .select('day', 'kind', db.raw('sum(amount)::bigint as amount'), db.raw('sum(entries)::bigint as entries'));
}

/**
 * Where a business's ledger stands, in one round trip: its first and last day with rows
 * (null when it has none), and the sum of amount_base of all kinds but those excluded
 * from the first day through `through`. That sum is the all-time totals less the days
 * after `through`, so it costs the days after `through` (usually a few weeks), not the
 * business's whole history.
 */
export async function position(db: Db, businessId: string, through: string, excludeKinds: readonly string[]): Promise<{ span: { first: string; last: string } | null; sumThrough: number }> {
  const exclude = [...excludeKinds];
  const row = await db
    .select(
      db.raw(
        `(select min(day) from daily_totals where business_id = ? and entries <> 0) as first,
         (select max(day) from daily_totals where business_id = ? and entries <> 0) as last,
         (select coalesce(sum(amount), 0) from kind_totals where business_id = ? and kind <> all(?::text[]))
           - (select coalesce(sum(amount), 0) from daily_totals where business_id = ? and day > ? and kind <> all(?::text[])) as total`,
        [businessId, businessId, businessId, exclude, businessId, through, exclude],
      ),
    )
    .first();
  return { span: row.first ? { first: row.first, last: row.last } : null, sumThrough: Number(row.total) };
}

/** Sum of amount_base of all kinds but those excluded, from the first day through `to`. */
export async function sumThrough(db: Db, businessId: string, to: string, excludeKinds: readonly string[]): Promise<number> {
  return (await position(db, businessId, to, excludeKinds)).sumThrough;
}

/** The first and last day the business has any ledger row, or null when it has none. */
export async function span(db: Db, businessId: string): Promise<{ first: string; last: string } | null> {
  return (await position(db, businessId, '9999-12-31', [])).span;
}

export type ProductTotals = { product_id: string; sku: string; name: string; kind: LedgerKind; amount: number; quantity: number };

/** Per product and kind over a range. */
export async function productTotals(db: Db, businessId: string, from: string, to: string): Promise<ProductTotals[]> {
  return db('product_daily_totals as p')
    .join('products as pr', 'pr.id', 'p.product_id')
    .where('p.business_id', businessId)
    .whereBetween('p.day', [from, to])
    .groupBy('p.product_id', 'pr.sku', 'pr.name', 'p.kind')
    .select('p.product_id', 'pr.sku', 'pr.name', 'p.kind', db.raw('sum(p.amount)::bigint as amount'), db.raw('sum(p.quantity)::bigint as quantity'));
}

/** Rows of both aggregate tables for a business, non-zero only, in a stable order: for comparing with a rebuild. */
export async function snapshot(db: Db, businessId: string): Promise<{ daily: unknown[]; product: unknown[]; kinds: unknown[] }> {
  const daily = await db('daily_totals')
    .where('business_id', businessId)
    .where((q) => q.where('entries', '<>', 0).orWhere('amount', '<>', 0).orWhere('quantity', '<>', 0))
    .orderBy(['day', 'kind', 'category_id'])
    .select('day', 'kind', 'category_id', 'amount', 'quantity', 'entries');
  const product = await db('product_daily_totals')
    .where('business_id', businessId)
    .where((q) => q.where('entries', '<>', 0).orWhere('amount', '<>', 0).orWhere('quantity', '<>', 0))
    .orderBy(['day', 'product_id', 'kind'])
    .select('day', 'product_id', 'kind', 'amount', 'quantity', 'entries');
  const kinds = await db('kind_totals')
    .where('business_id', businessId)
    .where((q) => q.where('entries', '<>', 0).orWhere('amount', '<>', 0))
    .orderBy('kind')
    .select('kind', 'amount', 'entries');
  return { daily, product, kinds };
}
