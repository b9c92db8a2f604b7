import type { Db } from './core/db.ts';

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
