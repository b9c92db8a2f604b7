import { z } from 'zod';
import type { Knex } from 'knex';
import type { Db } from '../core/db.ts';
import { Conflict, NotFound, Validation } from '../core/errors.ts';
import { day } from '../core/dates.ts';
import { type DecimalMark, isCurrency, parseMoney, readAmount } from '../core/money.ts';
import * as audit from './audit.ts';
import type { Actor } from './audit.ts';
import { toBase } from './exchange-rates.ts';
import { NIL_UUID } from '../reports/aggregates.ts';
import { isUuid, uuid } from '../core/ids.ts';

/**
 * Expenses are ledger rows of kind `expense`, stored signed from the business's side
 * (money out is negative). People type and read them as positive amounts spent; this
 * module turns one into the other, so routes and views never flip a sign.
 */

export type Expense = {
  id: string;
  occurred_on: string;
  description: string;
  counterparty: string | null;
  category_id: string | null;
  category_name: string | null;
  category_icon: string | null;
  /** Positive amount spent, minor units of `currency`. */
  spent: number;
  currency: string;
  /** Positive amount spent in the business's base currency. */
  spent_base: number;
  source: string;
  import_batch_id: string | null;
  /** The receipt the list shows (the first with a thumbnail, else the first); null when there is none. */
  receipt_id: string | null;
  receipt_has_thumbnail: boolean | null;
  receipt_content_type: string | null;
  receipt_count: number | null;
};

export type ExpenseInput = {
  occurred_on: string;
  description: string;
  /** Positive minor units spent (a negative one records money coming back, e.g. a refund). */
  amount: number;
  currency: string;
  category_id: string | null;
  counterparty: string | null;
};

const isoDay = day();
/** An optional text field of a form: trimmed, at most `max` characters, null when empty. */
export const optionalText = (max: number) =>
  z
    .string()
    .trim()
    .max(max)
    .optional()
    .transform((s) => (s ? s : null));

/** "12.50" or "12,50": an example amount in the business's number format, for messages. */
export const exampleAmount = (decimal: DecimalMark) => `12${decimal}50`;

/**
 * The add/edit form: amounts as typed in the business's number format ("1,234.56", or
 * "1.234,56" where it writes a decimal comma), in the business currency unless another is chosen.
 */
export function expenseForm(baseCurrency: string, decimal: DecimalMark = '.') {
  const typo = `Enter an amount such as ${exampleAmount(decimal)}.`;
  return z
    .object({
      occurred_on: isoDay,
      description: z.string().trim().min(1, 'Say what it was for.').max(500),
      amount: z
        .string()
        .trim()
        .min(1, 'Enter the amount spent.')
        .max(40, typo)
        // Checked here too, so a bad amount is named beside the other fields' mistakes.
        .refine((t) => readAmount(t, decimal) !== null, typo),
      currency: z
        .string()
        .trim()
        .toUpperCase()
        .optional()
        .transform((c) => c || baseCurrency)
        .refine(isCurrency, 'Use an ISO currency code such as USD or EUR.'),
      category_id: z
        .union([uuid('Pick a category from the list.'), z.literal('')])
        .optional()
        .transform((c) => c || null),
      counterparty: optionalText(200),
    })
    .transform((v, ctx) => {
      const minor = parseMoney(v.amount, v.currency, decimal);
      if (minor === null || minor === 0) {
        ctx.addIssue({ code: 'custom', path: ['amount'], message: typo });
        return z.NEVER;
      }
      return { ...v, amount: minor } satisfies ExpenseInput;
    });
}

/**
 * The JSON API body (DESIGN.md): integer minor units, or the amount as a person types it
 * in the business's number format ("1.234,56" where it writes a decimal comma);
 * `spent_on`, `vendor`, `category` as id or name.
 */
export const expenseApiBody = z.object({
  business_id: z.string().optional(),
  amount: z.union([
    z
      .number()
      .int('Use integer minor units, e.g. 1234 for 12.34.')
      .refine((n) => n !== 0, 'The amount cannot be zero.'),
    z.string().trim().min(1, 'Enter the amount spent.').max(40),
  ]),
  currency: z.string().trim().toUpperCase().refine(isCurrency, 'Use an ISO currency code such as USD or EUR.').optional(),
  description: z.string().trim().min(1).max(500),
  category: z.string().trim().max(120).nullable().optional(),
  spent_on: isoDay,
  vendor: z.string().trim().max(200).nullable().optional(),
});

// ---- listing -----------------------------------------------------------------

const SORTS = {
  date_desc: { column: 't.occurred_on', dir: 'desc' },
  date_asc: { column: 't.occurred_on', dir: 'asc' },
  // "Largest first" is the most negative ledger amount first.
  amount_desc: { column: 't.amount_base', dir: 'asc' },
  amount_asc: { column: 't.amount_base', dir: 'desc' },
} as const;
export type Sort = keyof typeof SORTS;

const moneyText = z
  .string()
  .trim()
  .optional()
  .transform((s) => s || undefined);

/** Filters from a query string; amounts are in the base currency, as typed. */
export const filterQuery = z.object({
  from: z
    .union([isoDay, z.literal('')])
    .optional()
    .transform((s) => s || undefined),
  to: z
    .union([isoDay, z.literal('')])
    .optional()
    .transform((s) => s || undefined),
  category: z
    .union([uuid(), z.literal('none'), z.literal('')])
    .optional()
    .transform((s) => s || undefined),
  q: z
    .string()
    .trim()
    .max(200)
    .optional()
    .transform((s) => s || undefined),
  min: moneyText,
  max: moneyText,
  sort: z
    .enum(Object.keys(SORTS) as [Sort, ...Sort[]])
    .optional()
    .default('date_desc'),
  cursor: z
    .string()
    .max(200)
    .optional()
    .transform((s) => s || undefined),
  limit: z.coerce.number().int().min(1).max(500).optional().default(50),
});
export type FilterQuery = z.output<typeof filterQuery>;

export type Filter = {
  from?: string;
  to?: string;
  category?: string;
  q?: string;
  /** Minor units of the base currency, as positive amounts spent. */
  min?: number;
  max?: number;
  sort: Sort;
  cursor?: string;
  limit: number;
};

/** Turns the typed filter into minor units; throws Validation naming the field when an amount does not read. */
export function toFilter(query: FilterQuery, baseCurrency: string, decimal: DecimalMark = '.'): Filter {
  const out: Filter = { ...query, min: undefined, max: undefined };
  for (const key of ['min', 'max'] as const) {
    if (query[key] === undefined) continue;
    const v = parseMoney(query[key], baseCurrency, decimal);
    if (v === null) throw new Validation({ [key]: [`Enter an amount such as ${exampleAmount(decimal)}.`] });
    out[key] = v;
  }
  return out;
}

/** The texts a filter's words are found in: every distinct description and counterparty of the business's expenses that contains them. */
type Texts = { description: string[]; counterparty: string[] };

/** More distinct texts than this and the words are common: scanning rows in date order finds a page sooner. */
const MAX_TEXTS = 500;

const likePattern = (q: string) => `%${q.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;

/**
 * The distinct expense texts that contain the filter's words (expense_texts), or null
 * when there are too many for a lookup by value to pay. Same matches as ILIKE on the rows.
 */
async function matchingTexts(db: Db, businessId: string, q: string): Promise<Texts | null> {
  const rows: { field: keyof Texts; text: string }[] = await db('expense_texts')
    .where('business_id', businessId)
    .whereILike('text', likePattern(q))
    .limit(MAX_TEXTS + 1)
    .select('field', 'text');
  if (rows.length > MAX_TEXTS) return null;
  const texts: Texts = { description: [], counterparty: [] };
  for (const r of rows) texts[r.field].push(r.text);
  return texts;
}

function applyFilter(q: Knex.QueryBuilder, businessId: string, f: Omit<Filter, 'sort' | 'cursor' | 'limit'>, texts: Texts | null = null): Knex.QueryBuilder {
  q.where('t.business_id', businessId).where('t.kind', 'expense');
  if (f.from) q.where('t.occurred_on', '>=', f.from);
  if (f.to) q.where('t.occurred_on', '<=', f.to);
  if (f.category === 'none') q.whereNull('t.category_id');
  else if (f.category) q.where('t.category_id', f.category);
  if (f.q && texts) {
    q.where((w) => w.whereIn('t.description', texts.description).orWhereIn('t.counterparty', texts.counterparty));
  } else if (f.q) {
    const like = likePattern(f.q);
    q.where((w) => w.whereILike('t.description', like).orWhereILike('t.counterparty', like));
  }
  if (f.min !== undefined) q.where('t.amount_base', '<=', -f.min);
  if (f.max !== undefined) q.where('t.amount_base', '>=', -f.max);
  return q;
}

export function encodeCursor(value: string | number, id: string): string {
  return Buffer.from(JSON.stringify([value, id])).toString('base64url');
}

export function decodeCursor(cursor: string): [string | number, string] {
  try {
    const v = JSON.parse(Buffer.from(cursor, 'base64url').toString());
    if (Array.isArray(v) && v.length === 2 && (typeof v[0] === 'string' || typeof v[0] === 'number') && isUuid(v[1])) return v as [string, string];
  } catch {
    // fall through to the validation error: a cursor is opaque and only ever ours
  }
  throw new Validation({ cursor: ['This page link is no longer valid; start from the first page.'] });
}

const COLUMNS = [
  't.id',
  't.occurred_on',
  't.description',
  't.counterparty',
  't.category_id',
  'c.name as category_name',
  'c.icon as category_icon',
  't.amount',
  't.currency',
  't.amount_base',
  't.source',
  't.import_batch_id',
  'rc.id as receipt_id',
  'rc.has_thumbnail as receipt_has_thumbnail',
  'rc.content_type as receipt_content_type',
  'rc.count as receipt_count',
];

/**
 * Each row's first receipt (one with a thumbnail when there is one) and how many it
 * has, looked up per row of the page on the
 * receipts (business_id, ledger_entry_id, created_at) index: the page's cost does not
 * grow with the number of receipts in the business.
 */
function withReceipt(q: Knex.QueryBuilder): Knex.QueryBuilder {
  return q.joinRaw(
    `left join lateral (
       select r.id, r.thumbnail_key is not null as has_thumbnail, r.content_type, count(*) over ()::int as count
       from receipts r where r.business_id = t.business_id and r.ledger_entry_id = t.id
       order by r.thumbnail_key is null, r.created_at, r.id limit 1
     ) rc on true`,
  );
}

type Row = Omit<Expense, 'spent' | 'spent_base'> & { amount: number; amount_base: number };

function toExpense({ amount, amount_base, ...r }: Row): Expense {
  return { ...r, spent: -amount, spent_base: -amount_base };
}

/**
 * One page of expenses, keyset-paginated on (sort column, id): never OFFSET, and the
 * database returns only the page. `nextCursor` is null on the last page.
 */
export async function list(db: Db, businessId: string, f: Filter): Promise<{ expenses: Expense[]; nextCursor: string | null }> {
  return listPage(db, businessId, f, f.q ? await matchingTexts(db, businessId, f.q) : null);
}

async function listPage(db: Db, businessId: string, f: Filter, texts: Texts | null): Promise<{ expenses: Expense[]; nextCursor: string | null }> {
  const sort = SORTS[f.sort];
  const q = applyFilter(withReceipt(db('transactions as t').leftJoin('categories as c', 'c.id', 't.category_id')), businessId, f, texts);
  if (f.cursor) {
    const [value, id] = decodeCursor(f.cursor);
    q.whereRaw(`(${sort.column}, t.id) ${sort.dir === 'desc' ? '<' : '>'} (?, ?)`, [value, id]);
  }
  const rows: Row[] = await q
    .orderBy([
      { column: sort.column, order: sort.dir },
      { column: 't.id', order: sort.dir },
    ])
    .limit(f.limit + 1)
    .select(COLUMNS);
  const more = rows.length > f.limit;
  const page = rows.slice(0, f.limit);
  const last = page.at(-1);
  const nextCursor = more && last ? encodeCursor(f.sort.startsWith('date') ? last.occurred_on : last.amount_base, last.id) : null;
  return { expenses: page.map(toExpense), nextCursor };
}

/** The filter as a query over `transactions as t` (the rules' scope); the caller selects. */
export function scopedQuery(db: Db, businessId: string, f: Omit<Filter, 'sort' | 'cursor' | 'limit'>) {
  return applyFilter(db('transactions as t'), businessId, f);
}

/**
 * Count and sum (base currency, positive = spent) of everything the filter matches.
 * A filter of dates and category alone is answered from the stored daily totals, so
 * its cost does not grow with the ledger; text and amount filters read the rows.
 */
export async function totals(db: Db, businessId: string, f: Omit<Filter, 'sort' | 'cursor' | 'limit'>): Promise<{ count: number; spent_base: number }> {
  const byDay = f.q === undefined && f.min === undefined && f.max === undefined;
  const texts = f.q ? await matchingTexts(db, businessId, f.q) : null;
  const q = byDay ? dailyTotalsScope(db, businessId, f) : applyFilter(db('transactions as t'), businessId, f, texts);
  const row: { count: number; spent_base: number } = await q.first(
    db.raw(byDay ? 'coalesce(sum(t.entries), 0)::bigint as count' : 'count(*)::bigint as count'),
    db.raw(`coalesce(-sum(t.${byDay ? 'amount' : 'amount_base'}), 0)::bigint as spent_base`),
  );
  return { count: row.count, spent_base: row.spent_base };
}

/** The stored daily expense totals a date and category filter covers. */
function dailyTotalsScope(db: Db, businessId: string, f: Pick<Filter, 'from' | 'to' | 'category'>): Knex.QueryBuilder {
  const q = db('daily_totals as t').where('t.business_id', businessId).where('t.kind', 'expense');
  if (f.from) q.where('t.day', '>=', f.from);
  if (f.to) q.where('t.day', '<=', f.to);
  if (f.category) q.where('t.category_id', f.category === 'none' ? NIL_UUID : f.category);
  return q;
}

/**
 * Every expense the filter matches, in pages of `chunk`, for a streamed export:
 * no row limit, and never more than one page in memory.
 */
export async function* each(db: Db, businessId: string, f: Filter, chunk = 2000): AsyncGenerator<Expense> {
  // The filter's words are looked up once for the whole export, not once per page.
  const texts = f.q ? await matchingTexts(db, businessId, f.q) : null;
  let cursor: string | undefined;
  do {
    const page = await listPage(db, businessId, { ...f, cursor, limit: chunk }, texts);
    yield* page.expenses;
    cursor = page.nextCursor ?? undefined;
  } while (cursor);
}

/** One expense of the business, or null (also for another business's id or a non-expense row). */
export async function get(db: Db, businessId: string, id: string): Promise<Expense | null> {
  if (!isUuid(id)) return null;
  const row = await withReceipt(db('transactions as t').leftJoin('categories as c', 'c.id', 't.category_id'))
    .where({ 't.business_id': businessId, 't.id': id, 't.kind': 'expense' })
    .first(COLUMNS);
  return row ? toExpense(row) : null;
}

/** Like get(), but throws NotFound. */
export async function find(db: Db, businessId: string, id: string): Promise<Expense> {
  const found = await get(db, businessId, id);
  if (!found) throw new NotFound('There is no such expense in this business.');
  return found;
}

// ---- changes; the database's triggers audit each one as the actor set here ------

type Business = { id: string; currency: string; decimal_mark?: DecimalMark };

async function ledgerValues(db: Db, business: Business, input: ExpenseInput) {
  if (input.category_id) {
    const category = await db('categories').where({ id: input.category_id, business_id: business.id }).first('id');
    if (!category) throw new Validation({ category_id: ['Pick a category from the list.'] });
  }
  const amount = -input.amount;
  return {
    occurred_on: input.occurred_on,
    description: input.description,
    counterparty: input.counterparty,
    category_id: input.category_id,
    amount,
    currency: input.currency,
    amount_base: await toBase(db, business.id, amount, input.currency, business.currency, input.occurred_on),
  };
}

/** Records a new expense. Throws Validation when the category is not the business's or no rate exists. */
export async function create(db: Db, business: Business, actor: Actor, input: ExpenseInput): Promise<Expense> {
  return db.transaction(async (trx) => {
    await audit.actAs(trx, actor);
    const values = await ledgerValues(trx, business, input);
    const [row] = await trx('transactions')
      .insert({ ...values, business_id: business.id, kind: 'expense', source: 'manual', created_by: actor.userId, created_at: actor.now, updated_at: actor.now })
      .returning('*');
    return find(trx, business.id, row.id);
  });
}

/** Changes an expense. Throws NotFound for an id that is not one of the business's expenses. */
export async function update(db: Db, business: Business, actor: Actor, id: string, input: ExpenseInput): Promise<Expense> {
  return db.transaction(async (trx) => {
    await audit.actAs(trx, actor);
    await find(trx, business.id, id);
    const values = await ledgerValues(trx, business, input);
    await trx('transactions')
      .where({ id, business_id: business.id })
      .update({ ...values, updated_at: actor.now });
    return find(trx, business.id, id);
  });
}

/**
 * Files the given expenses of the business under one category, each change audited.
 * Throws Validation (writing nothing) when the category is not the business's or an id
 * is not one of its expenses. Returns how many rows changed (those already there are left).
 */
export async function recategorise(db: Db, business: Business, actor: Actor, ids: string[], categoryId: string): Promise<number> {
  return db.transaction(async (trx) => {
    await audit.actAs(trx, actor);
    const category = await trx('categories').where({ id: categoryId, business_id: business.id }).first('id');
    if (!category) throw new Validation({ category_id: ['Pick a category from the list.'] });
    const unique = [...new Set(ids)];
    const rows = await trx('transactions').where({ business_id: business.id, kind: 'expense' }).whereIn('id', unique).forUpdate().select('id', 'category_id');
    if (rows.length !== unique.length) throw new Validation({ transaction_ids: ['Some of these expenses are not in this business.'] });
    const changing = rows.filter((r: { category_id: string | null }) => r.category_id !== categoryId);
    if (!changing.length) return 0;
    const changed: number = await trx('transactions')
      .where({ business_id: business.id })
      .whereIn(
        'id',
        changing.map((r: { id: string }) => r.id),
      )
      .update({ category_id: categoryId, updated_at: actor.now });
    return changed;
  });
}

/** Deletes an expense for real (reports' triggers see a plain DELETE); the audit trail keeps its image for a restore. */
export async function remove(db: Db, businessId: string, actor: Actor, id: string): Promise<Expense> {
  return db.transaction(async (trx) => {
    await audit.actAs(trx, actor);
    const expense = await find(trx, businessId, id);
    await trx('transactions').where({ id, business_id: businessId }).delete();
    return expense;
  });
}

/**
 * Puts a deleted expense back with its old id and values. Throws NotFound when the
 * row's last audit entry is not a deletion in this business, Conflict when an
 * import has since brought in the same bank row.
 */
export async function restore(db: Db, businessId: string, actor: Actor, id: string): Promise<Expense> {
  return db.transaction(async (trx) => {
    if (!isUuid(id)) throw new NotFound('There is no deleted expense to restore.');
    await audit.actAs(trx, actor);
    const image = await audit.lastDeleted(trx, businessId, id);
    if (image?.kind !== 'expense') throw new NotFound('There is no deleted expense to restore.');
    const inserted = await audit.restoring(trx, () =>
      trx('transactions')
        .insert({ ...image, business_id: businessId, updated_at: actor.now })
        .onConflict(['business_id', 'source', 'external_id'])
        .ignore()
        .returning('id'),
    );
    if (!inserted.length) throw new Conflict('The same row is in the ledger again (imported since); nothing to restore.');
    return find(trx, businessId, id);
  });
}

/** An expense's audit trail; NotFound when the business never had that row. */
export async function history(db: Db, businessId: string, id: string) {
  if (!isUuid(id)) throw new NotFound('There is no such expense in this business.');
  const entries = await audit.history(db, businessId, id);
  if (!entries.length && !(await get(db, businessId, id))) throw new NotFound('There is no such expense in this business.');
  return entries;
}

/** A query string for the list with some parameters replaced (sort links, next page, export). */
export function filterLink(query: Partial<Record<keyof FilterQuery, unknown>>, overrides: Record<string, string | undefined> = {}): string {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries({ ...query, cursor: undefined, limit: undefined, ...overrides })) {
    if (value !== undefined && value !== null && value !== '' && !(key === 'sort' && value === 'date_desc')) params.set(key, String(value));
  }
  const s = params.toString();
  return s ? `?${s}` : '';
}

/**
 * An API body as an ExpenseInput: `category` may be a category id or name of the
 * business. Throws Validation on `category` when it names none.
 */
export async function fromApi(db: Db, business: Business, body: z.output<typeof expenseApiBody>): Promise<ExpenseInput> {
  let categoryId: string | null = null;
  if (body.category) {
    const isId = isUuid(body.category);
    const found = await db('categories')
      .where({ business_id: business.id })
      .where((q) => (isId ? q.where('id', body.category!) : q.whereRaw('lower(name) = lower(?)', [body.category!])))
      .first('id');
    if (!found) throw new Validation({ category: ['No category of this business has that id or name.'] });
    categoryId = found.id;
  }
  const currency = body.currency ?? business.currency;
  let amount = body.amount;
  if (typeof amount === 'string') {
    const decimal = business.decimal_mark ?? '.';
    const minor = parseMoney(amount, currency, decimal);
    if (minor === null || minor === 0) throw new Validation({ amount: [`Use integer minor units (1234 for 12.34), or the amount as written in this business, such as "${exampleAmount(decimal)}".`] });
    amount = minor;
  }
  return {
    occurred_on: body.spent_on,
    description: body.description,
    amount,
    currency,
    category_id: categoryId,
    counterparty: body.vendor ?? null,
  };
}

export type DeletedExpense = {
  id: string;
  auditId: number;
  deletedAt: string;
  deletedBy: string | null;
  occurred_on: string;
  description: string;
  counterparty: string | null;
  spent: number;
  currency: string;
};

/** The trash: deleted expenses, most recently deleted first, 50 at a time (`beforeId` pages on); each can be restored. */
export async function deleted(db: Db, businessId: string, beforeId?: number): Promise<{ rows: DeletedExpense[]; next: number | null }> {
  const rows = await audit.deletedRows(db, businessId, 'expense', { limit: 50, beforeId });
  return {
    rows: rows.map((r) => ({
      id: r.transaction_id,
      auditId: r.audit_id,
      deletedAt: r.at,
      deletedBy: r.actor_name ?? r.actor_label,
      occurred_on: String(r.before.occurred_on ?? '').slice(0, 10),
      description: String(r.before.description ?? ''),
      counterparty: (r.before.counterparty as string | null) ?? null,
      spent: -Number(r.before.amount ?? 0),
      currency: String(r.before.currency ?? ''),
    })),
    next: rows.length === 50 ? rows[rows.length - 1].audit_id : null,
  };
}
