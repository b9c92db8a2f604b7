import { isDay } from '../core/dates.ts';
import { z } from 'zod';
import type { Db } from '../core/db.ts';
import { type DecimalMark, defaultDecimalMark, isCurrency, parseMoney } from '../core/money.ts';
import * as categories from '../ledger/categories.ts';
import { Validation } from '../core/errors.ts';

export const ROLES = ['owner', 'admin', 'member', 'viewer'] as const;
export type Role = (typeof ROLES)[number];

export type Business = {
  id: string;
  name: string;
  legal_entity: string | null;
  industry: string | null;
  currency: string;
  revenue_estimate: number | null;
  founded_on: string | null;
  is_demo: boolean;
  /** How the business writes numbers: '.' for 1,234.56, ',' for 1.234,56. */
  decimal_mark: DecimalMark;
};

export const INDUSTRIES = ['E-commerce', 'Software / SaaS', 'Professional services', 'Construction and trades', 'Retail', 'Hospitality', 'Health', 'Creative and media', 'Other'];

const optionalText = (max: number) =>
  z
    .string()
    .trim()
    .max(max, `Keep it under ${max} characters`)
    .transform((v) => (v === '' ? null : v))
    .nullable()
    .optional();

/** The business form and API body; the revenue estimate is typed in major units of the chosen currency. */
export const businessInput = z
  .object({
    name: z.string({ error: 'Enter a name' }).trim().min(1, 'Enter a name').max(120, 'Keep it under 120 characters'),
    legal_entity: optionalText(160),
    industry: optionalText(80),
    currency: z.string({ error: 'Choose a currency' }).trim().toUpperCase().refine(isCurrency, 'Choose a known ISO 4217 currency, e.g. USD or EUR'),
    revenue_estimate: z.union([z.string(), z.number()]).optional().nullable(),
    // Left out (or empty), a new business writes numbers as its currency's countries mostly do; one that exists keeps its own.
    decimal_mark: z
      .union([z.enum(['.', ',']), z.literal('')], { error: 'Choose 1,234.56 or 1.234,56' })
      .optional()
      .transform((v) => v || undefined),
    founded_on: z
      .string()
      .trim()
      .optional()
      .nullable()
      .refine((v) => !v || isDay(v), 'Use a date like 2021-03-15, between 1900 and 2100')
      .transform((v) => (v ? v : null)),
  })
  .transform((v, ctx) => {
    let revenue_estimate: number | null = null;
    const raw = v.revenue_estimate;
    if (raw !== undefined && raw !== null && String(raw).trim() !== '') {
      revenue_estimate = parseMoney(String(raw), v.currency, v.decimal_mark ?? '.');
      if (revenue_estimate === null || revenue_estimate < 0) {
        ctx.addIssue({ code: 'custom', path: ['revenue_estimate'], message: 'Enter an amount like 250000 or 250,000.00' });
        return z.NEVER;
      }
    }
    return { ...v, legal_entity: v.legal_entity ?? null, industry: v.industry ?? null, revenue_estimate };
  });
export type BusinessInput = Omit<z.output<typeof businessInput>, 'decimal_mark'> & { decimal_mark?: DecimalMark };

/** Creates a business owned by the user, with its default categories, in one transaction. */
export async function create(db: Db, ownerId: string, input: BusinessInput, opts: { isDemo?: boolean } = {}): Promise<Business> {
  return db.transaction(async (trx) => {
    const [business] = await trx('businesses')
      .insert({ ...input, decimal_mark: input.decimal_mark ?? defaultDecimalMark(input.currency), is_demo: opts.isDemo ?? false })
      .returning('*');
    await trx('memberships').insert({ business_id: business.id, user_id: ownerId, role: 'owner' });
    await categories.seedDefaults(trx, business.id);
    return business;
  });
}

const withoutUndefined = <T extends object>(o: T) => Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;

export async function update(db: Db, businessId: string, input: BusinessInput): Promise<Business> {
  const [business] = await db('businesses')
    .where({ id: businessId })
    .update({ ...withoutUndefined(input), updated_at: db.fn.now() })
    .returning('*');
  return business;
}

export async function listForUser(db: Db, userId: string): Promise<(Business & { role: Role })[]> {
  return db('memberships as m').join('businesses as b', 'b.id', 'm.business_id').where('m.user_id', userId).orderBy('b.name').select('b.*', 'm.role');
}

/** Roles allowed to change a business's data; viewers only read. The one definition: pages, API and MCP use it. */
export function canWrite(role: Role): boolean {
  return role !== 'viewer';
}

/** Roles allowed to change the business itself (details, members, rates). */
export function canManage(role: Role): boolean {
  return role === 'owner' || role === 'admin';
}

export const deletionInput = z.object({ confirm_name: z.string().trim().min(1, 'Type the business name to confirm') });

/**
 * Deletes the business and, through cascades, everything it owns. The typed name
 * must match, so a stray click cannot do it; throws Validation otherwise.
 */
export async function remove(db: Db, business: { id: string; name: string }, confirmName: string): Promise<void> {
  if (confirmName.trim() !== business.name.trim()) throw new Validation({ confirm_name: ['That is not the name of this business.'] });
  await db('businesses').where({ id: business.id }).delete();
}
