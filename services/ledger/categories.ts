import { z } from 'zod';
import type { Db } from '../core/db.ts';
import { NotFound, Validation } from '../core/errors.ts';
import * as audit from './audit.ts';
import type { Actor } from './audit.ts';
import { isUuid } from '../core/ids.ts';

/** Every new business starts with these; users rename, re-icon and add to them. */
export const DEFAULT_CATEGORIES: { name: string; icon: string; kind: 'expense' | 'income' }[] = [
  { name: 'Sales', icon: 'cart', kind: 'income' },
  { name: 'Other income', icon: 'coins', kind: 'income' },
  { name: 'Cost of goods', icon: 'box', kind: 'expense' },
  { name: 'Advertising', icon: 'megaphone', kind: 'expense' },
  { name: 'Payment fees', icon: 'card', kind: 'expense' },
  { name: 'Rent', icon: 'building', kind: 'expense' },
  { name: 'Payroll', icon: 'people', kind: 'expense' },
  { name: 'Software', icon: 'laptop', kind: 'expense' },
  { name: 'Shipping', icon: 'truck', kind: 'expense' },
  { name: 'Travel', icon: 'plane', kind: 'expense' },
  { name: 'Meals', icon: 'cup', kind: 'expense' },
  { name: 'Office supplies', icon: 'paperclip', kind: 'expense' },
  { name: 'Professional services', icon: 'briefcase', kind: 'expense' },
  { name: 'Taxes and licences', icon: 'receipt', kind: 'expense' },
  { name: 'Utilities', icon: 'bolt', kind: 'expense' },
  { name: 'Other', icon: 'tag', kind: 'expense' },
];

export async function seedDefaults(db: Db, businessId: string): Promise<void> {
  await db('categories')
    .insert(DEFAULT_CATEGORIES.map((c) => ({ ...c, business_id: businessId })))
    .onConflict(['business_id', 'name'])
    .ignore();
}

export type Category = { id: string; name: string; icon: string; kind: string };

export async function list(db: Db, businessId: string): Promise<Category[]> {
  return db('categories').where({ business_id: businessId }).orderBy('name').select('id', 'name', 'icon', 'kind');
}

/** Category ids by name, for importers and the demo seed. */
export async function idsByName(db: Db, businessId: string): Promise<Map<string, string>> {
  const rows = await list(db, businessId);
  return new Map(rows.map((r) => [r.name, r.id]));
}

/** The icons a category can have, with the glyph the pages show for each. */
export const ICONS: Record<string, string> = {
  tag: '🏷️',
  cart: '🛒',
  coins: '🪙',
  box: '📦',
  megaphone: '📣',
  card: '💳',
  building: '🏢',
  people: '👥',
  laptop: '💻',
  truck: '🚚',
  plane: '✈️',
  cup: '☕',
  paperclip: '📎',
  briefcase: '💼',
  receipt: '🧾',
  bolt: '⚡',
  car: '🚗',
  phone: '📱',
  book: '📚',
  gift: '🎁',
};

export const categoryInput = z.object({
  name: z.string().trim().min(1, 'Give the category a name.').max(80),
  icon: z.enum(Object.keys(ICONS) as [string, ...string[]], { message: 'Pick an icon from the list.' }).default('tag'),
  kind: z.enum(['expense', 'income']).default('expense'),
});
export type CategoryInput = z.output<typeof categoryInput>;

export type CategoryWithCount = Category & { rows: number };

/** Categories with how many ledger rows each holds. */
export async function listWithCounts(db: Db, businessId: string): Promise<CategoryWithCount[]> {
  return db('categories as c')
    .where('c.business_id', businessId)
    .orderBy('c.name')
    .select('c.id', 'c.name', 'c.icon', 'c.kind', db.raw('(select count(*) from transactions t where t.business_id = c.business_id and t.category_id = c.id)::bigint as rows'));
}

export async function get(db: Db, businessId: string, id: string): Promise<Category> {
  if (!isUuid(id)) throw new NotFound('There is no such category.');
  const found = await db('categories').where({ id, business_id: businessId }).first('id', 'name', 'icon', 'kind');
  if (!found) throw new NotFound('There is no such category.');
  return found;
}

/** Adds a category; throws Validation on `name` when the business already has one so named. */
export async function create(db: Db, businessId: string, input: CategoryInput): Promise<Category> {
  const [row] = await db('categories')
    .insert({ ...input, business_id: businessId })
    .onConflict(['business_id', 'name'])
    .ignore()
    .returning(['id', 'name', 'icon', 'kind']);
  if (!row) throw new Validation({ name: ['There is already a category with this name.'] });
  return row;
}

/** Renames or re-icons a category; NotFound for another business's id, Validation for a taken name. */
export async function update(db: Db, businessId: string, id: string, input: CategoryInput): Promise<Category> {
  await get(db, businessId, id);
  const clash = await db('categories').where({ business_id: businessId, name: input.name }).whereNot({ id }).first('id');
  if (clash) throw new Validation({ name: ['There is already a category with this name.'] });
  const [row] = await db('categories').where({ id, business_id: businessId }).update(input).returning(['id', 'name', 'icon', 'kind']);
  return row;
}

/**
 * Merges `fromId` into `intoId`: its ledger rows (each change audited) and rules move
 * over, then it is deleted. Returns how many ledger rows moved.
 */
export async function merge(db: Db, businessId: string, actor: Actor, fromId: string, intoId: string): Promise<number> {
  if (fromId === intoId) throw new Validation({ into: ['Pick a different category to merge into.'] });
  return db.transaction(async (trx) => {
    await audit.actAs(trx, actor);
    await get(trx, businessId, fromId);
    await get(trx, businessId, intoId);
    const moved = await trx('transactions').where({ business_id: businessId, category_id: fromId }).update({ category_id: intoId, updated_at: actor.now });
    await trx('categorization_rules').where({ business_id: businessId, category_id: fromId }).update({ category_id: intoId });
    await trx('categories').where({ id: fromId, business_id: businessId }).delete();
    return moved;
  });
}
