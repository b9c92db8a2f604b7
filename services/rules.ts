import { z } from 'zod';
import type { Db } from './core/db.ts';

/**
 * Categorisation rules: "description/counterparty contains or matches X (and amount
 * in a range) → category Y, counterparty Z", in order; the first rule that matches a
 * row wins. Applied as set-based SQL: one UPDATE per rule, never a loop over rows.
 */

export type Rule = {
  id: string;
  position: number;
  field: 'description' | 'counterparty' | 'any';
  match: 'contains' | 'regex';
  pattern: string;
  min_amount: number | null;
  max_amount: number | null;
  category_id: string | null;
  set_counterparty: string | null;
};

export const ruleInput = z.object({
  field: z.enum(['description', 'counterparty', 'any']).default('description'),
  match: z.enum(['contains', 'regex']).default('contains'),
  pattern: z.string().trim().min(1, 'Say what to look for.').max(200),
  min_amount: z.number().int().nullable().default(null),
  max_amount: z.number().int().nullable().default(null),
  category_id: z.uuid().nullable().default(null),
  set_counterparty: z.string().trim().max(200).nullable().default(null),
});

export async function list(db: Db, businessId: string): Promise<Rule[]> {
  return db('categorization_rules').where({ business_id: businessId }).orderBy(['position', 'created_at']).select('*');
}

/** The SQL condition of one rule over a table aliased `r`, with its bindings. */
function condition(rule: Rule): [string, (string | number)[]] {
  const parts: string[] = [];
  const bindings: (string | number)[] = [];
  const op = rule.match === 'regex' ? '~*' : 'ilike';
  const value = rule.match === 'regex' ? rule.pattern : `%${rule.pattern.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
  const fields = rule.field === 'any' ? ['description', 'counterparty'] : [rule.field];
  parts.push(`(${fields.map((f) => `coalesce(r.${f}, '') ${op} ?`).join(' or ')})`);
  bindings.push(...fields.map(() => value));
  // Amounts in rules are amounts spent in the base currency (positive), like the list's filter.
  if (rule.min_amount !== null) {
    parts.push('-r.amount_base >= ?');
    bindings.push(rule.min_amount);
  }
  if (rule.max_amount !== null) {
    parts.push('-r.amount_base <= ?');
    bindings.push(rule.max_amount);
  }
  return [parts.join(' and '), bindings];
}

/** Applies the business's rules to a staging table of an import (first match wins). */
export async function applyToStaging(trx: Db, businessId: string, table: string): Promise<void> {
  for (const rule of await list(trx, businessId)) {
    const [where, bindings] = condition(rule);
    await trx.raw(
      `update ${table} r set matched = true, category_id = coalesce(?, r.category_id), counterparty = coalesce(?, r.counterparty)
       where not r.matched and ${where}`,
      [rule.category_id, rule.set_counterparty, ...bindings],
    );
  }
}
