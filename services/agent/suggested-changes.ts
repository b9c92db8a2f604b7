import { z } from 'zod';
import type { Db } from '../core/db.ts';
import { Validation } from '../core/errors.ts';
import * as rules from '../ledger/rules.ts';
import * as expenses from '../ledger/expenses.ts';
import type { PreviewRow } from '../ledger/rules.ts';
import { uuid } from '../core/ids.ts';

/**
 * A change the AI CFO suggested, as the user's confirm form sends it back. The agent
 * only proposes (services/agent/reply.ts); the change is made here, by the rules and
 * expenses services, once the user has seen the preview and confirmed. The form's
 * values are untrusted: every id is checked against the business before anything is read
 * or written.
 */
const categoryId = uuid('Pick a category from the list.');
const transactionIds = z
  .string()
  .trim()
  .transform((s) =>
    s
      .split(',')
      .map((id) => id.trim())
      .filter(Boolean),
  )
  .pipe(z.array(uuid('Some of these expenses are not in this business.')).min(1, 'Name at least one expense.').max(50, 'At most 50 expenses at a time.'));

export const suggestedChangeForm = z.discriminatedUnion(
  'kind',
  [
    z.object({
      kind: z.literal('rule'),
      field: z.enum(['description', 'counterparty', 'any']),
      pattern: z.string().trim().min(1, 'Say what to look for.').max(200),
      category_id: categoryId,
      confirm: z.literal('yes').optional(),
    }),
    z.object({ kind: z.literal('recategorise'), transaction_ids: transactionIds, category_id: categoryId, confirm: z.literal('yes').optional() }),
  ],
  { error: 'There is no such kind of change.' },
);
export type SuggestedChange = z.output<typeof suggestedChangeForm>;

type Business = { id: string; currency: string };
type Actor = { userId: string | null; now: Date };

export type ChangePreview = { title: string; category: string; count: number; rows: PreviewRow[] };

async function categoryName(db: Db, businessId: string, id: string): Promise<string> {
  const row = await db('categories').where({ id, business_id: businessId }).first('name');
  if (!row) throw new Validation({ category_id: ['Pick a category from the list.'] });
  return row.name;
}

const asRule = (c: Extract<SuggestedChange, { kind: 'rule' }>) => ({
  field: c.field,
  match: 'contains' as const,
  pattern: c.pattern,
  min_amount: null,
  max_amount: null,
  category_id: c.category_id,
  set_counterparty: null,
});

/**
 * What confirming would change: for a rule, the rules page's own preview of the
 * expenses it would recategorise; for a recategorisation, the named expenses not yet
 * in that category. Reads only. Throws Validation for another business's category or expense.
 */
export async function preview(db: Db, businessId: string, change: SuggestedChange): Promise<ChangePreview> {
  const category = await categoryName(db, businessId, change.category_id);
  if (change.kind === 'rule') {
    const p = await rules.preview(db, businessId, asRule(change), {});
    const field = { description: 'description', counterparty: 'vendor', any: 'description or vendor' }[change.field];
    return { title: `Create a rule: ${field} contains '${change.pattern}' → ${category}`, category, ...p };
  }
  const ids = [...new Set(change.transaction_ids)];
  const found = await db('transactions').where({ business_id: businessId, kind: 'expense' }).whereIn('id', ids).count({ n: '*' }).first();
  if (Number(found!.n) !== ids.length) throw new Validation({ transaction_ids: ['Some of these expenses are not in this business.'] });
  const rows: PreviewRow[] = await db('transactions as t')
    .leftJoin('categories as c', 'c.id', 't.category_id')
    .where({ 't.business_id': businessId, 't.kind': 'expense' })
    .whereIn('t.id', ids)
    .whereRaw('t.category_id is distinct from ?', [change.category_id])
    .orderBy([
      { column: 't.occurred_on', order: 'desc' },
      { column: 't.id', order: 'desc' },
    ])
    .select('t.id', 't.occurred_on', 't.description', 't.counterparty', 't.amount_base', 'c.name as category_name');
  return { title: `Move ${ids.length} expense${ids.length === 1 ? '' : 's'} to ${category}`, category, count: rows.length, rows };
}

/**
 * Makes the confirmed change as `actor`: creates the rule and applies it to the
 * expenses the preview showed, or recategorises the named expenses. Throws
 * Validation (nothing written) for another business's category or expense.
 */
export async function apply(db: Db, business: Business, actor: Actor, change: SuggestedChange): Promise<{ changed: number; message: string; next: string }> {
  if (change.kind === 'rule') {
    const { changed } = await rules.createAndApply(db, business.id, actor, asRule(change));
    return { changed, message: `Rule created; ${changed} expense${changed === 1 ? '' : 's'} recategorised.`, next: `/b/${business.id}/rules` };
  }
  const changed = await expenses.recategorise(db, business, actor, change.transaction_ids, change.category_id);
  return { changed, message: `${changed} expense${changed === 1 ? '' : 's'} recategorised.`, next: `/b/${business.id}/expenses?category=${change.category_id}` };
}
