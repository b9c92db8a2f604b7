import { z } from 'zod';
import type { Db } from '../core/db.ts';
import { day } from '../core/dates.ts';
import { decodeCursor, encodeCursor } from './expenses.ts';
import { actAs, type Actor } from './audit.ts';

/** What a ledger row records; the database's CHECK on `transactions.kind` allows exactly these. */
export const LEDGER_KINDS = ['sale', 'refund', 'fee', 'chargeback', 'payout', 'ad_spend', 'cogs', 'expense', 'other_income', 'transfer'] as const;
export type LedgerKind = (typeof LEDGER_KINDS)[number];

/** Kinds that move money between the business's own accounts: no effect on cash in total. */
export const CASH_NEUTRAL_KINDS: LedgerKind[] = ['payout'];

/** A transaction to write: amounts in minor units, money in positive (see README.md). */
export type NewTransaction = {
  business_id: string;
  kind: LedgerKind;
  amount: number;
  currency: string;
  amount_base: number;
  occurred_on: string;
  description: string;
  counterparty?: string | null;
  category_id?: string | null;
  product_id?: string | null;
  campaign_id?: string | null;
  quantity?: number | null;
  source: string;
  external_id?: string | null;
  created_by?: string | null;
};

const CHUNK = 1000;

/**
 * Inserts ledger rows in chunks, in one transaction, audited as `actor` (a sync or job
 * passes `systemActor(name, now)`); rows whose (source, external_id) the business
 * already has are skipped, so replaying an import or sync adds nothing.
 * Returns how many rows were new.
 */
export async function insertMany(db: Db, actor: Actor, rows: NewTransaction[]): Promise<number> {
  return db.transaction(async (trx) => {
    await actAs(trx, actor);
    let inserted = 0;
    for (let i = 0; i < rows.length; i += CHUNK) {
      const result = await trx('transactions')
        .insert(rows.slice(i, i + CHUNK))
        .onConflict(['business_id', 'source', 'external_id'])
        .ignore()
        .returning('id');
      inserted += result.length;
    }
    return inserted;
  });
}

export type KindTotals = Partial<Record<LedgerKind, number>>;

/** Sums of amount_base by kind over an inclusive date range. */
export async function totalsByKind(db: Db, businessId: string, from: string, to: string): Promise<KindTotals> {
  const rows = await db('transactions').where('business_id', businessId).whereBetween('occurred_on', [from, to]).groupBy('kind').select('kind', db.raw('sum(amount_base)::bigint as total'));
  return Object.fromEntries(rows.map((r: { kind: LedgerKind; total: number }) => [r.kind, r.total]));
}

/** Cash on hand at the end of a day: every movement except transfers between own accounts. */
export async function cashBalanceOn(db: Db, businessId: string, date: string): Promise<number> {
  const row = await db('transactions')
    .where('business_id', businessId)
    .where('occurred_on', '<=', date)
    .whereNotIn('kind', CASH_NEUTRAL_KINDS)
    .first(db.raw('coalesce(sum(amount_base), 0)::bigint as total'));
  return row.total;
}

/** A transaction as lists show it: its money, day and texts, with its category's name and icon. */
export type TransactionWithCategory = Pick<NewTransaction, 'kind' | 'amount' | 'currency' | 'amount_base' | 'occurred_on' | 'description'> & {
  id: string;
  counterparty: string | null;
  category_name: string | null;
  category_icon: string | null;
};

/** The newest rows of the ledger, newest first. */
export async function recent(db: Db, businessId: string, limit = 10): Promise<TransactionWithCategory[]> {
  return db('transactions as t')
    .leftJoin('categories as c', 'c.id', 't.category_id')
    .where('t.business_id', businessId)
    .orderBy([
      { column: 't.occurred_on', order: 'desc' },
      { column: 't.id', order: 'desc' },
    ])
    .limit(limit)
    .select('t.id', 't.kind', 't.amount', 't.currency', 't.amount_base', 't.occurred_on', 't.description', 't.counterparty', 'c.name as category_name', 'c.icon as category_icon');
}

export async function countRows(db: Db, businessId: string): Promise<number> {
  const row = await db('transactions').where('business_id', businessId).first(db.raw('count(*)::bigint as n'));
  return row.n;
}

/** What the ledger API filters by; dates inclusive, newest first, `cursor` from the previous page. */
export const ledgerQuery = z.object({
  kind: z.enum(LEDGER_KINDS).optional(),
  source: z.string().trim().min(1).max(50).optional(),
  start_date: day().optional(),
  end_date: day().optional(),
  limit: z.coerce.number().int().min(1).max(500).default(100),
  cursor: z.string().max(200).optional(),
});

export type LedgerRow = Pick<NewTransaction, 'kind' | 'amount' | 'currency' | 'amount_base' | 'occurred_on' | 'description' | 'source'> & {
  id: string;
  counterparty: string | null;
  external_id: string | null;
};

/** One page of a business's ledger, whatever wrote it (typed, imported, synced), newest first. */
export async function listPage(db: Db, businessId: string, q: z.output<typeof ledgerQuery>): Promise<{ rows: LedgerRow[]; nextCursor: string | null }> {
  const query = db('transactions').where('business_id', businessId);
  if (q.kind) query.where('kind', q.kind);
  if (q.source) query.where('source', q.source);
  if (q.start_date) query.where('occurred_on', '>=', q.start_date);
  if (q.end_date) query.where('occurred_on', '<=', q.end_date);
  if (q.cursor) {
    const [on, id] = decodeCursor(q.cursor);
    query.whereRaw('(occurred_on, id) < (?, ?)', [on, id]);
  }
  const rows: LedgerRow[] = await query
    .orderBy([
      { column: 'occurred_on', order: 'desc' },
      { column: 'id', order: 'desc' },
    ])
    .limit(q.limit + 1)
    .select('id', 'kind', 'amount', 'currency', 'amount_base', 'occurred_on', 'description', 'counterparty', 'source', 'external_id');
  const more = rows.length > q.limit;
  const page = rows.slice(0, q.limit);
  const last = page.at(-1);
  return { rows: page.map((r) => ({ ...r, amount: Number(r.amount), amount_base: Number(r.amount_base) })), nextCursor: more && last ? encodeCursor(last.occurred_on, last.id) : null };
}
