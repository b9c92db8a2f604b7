import { z } from 'zod';
import type { Db } from '../core/db.ts';
import type { Knex } from 'knex';
import { NotFound, Validation } from '../core/errors.ts';
import { scopedQuery, type Filter } from './expenses.ts';
import { type DecimalMark, parseMoney } from '../core/money.ts';
import * as audit from './audit.ts';
import type { Actor } from './audit.ts';
import { isUuid, uuid } from '../core/ids.ts';

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
  /** A disabled rule keeps its place in the order and is skipped wherever rules are applied. */
  enabled: boolean;
};

export const ruleInput = z.object({
  field: z.enum(['description', 'counterparty', 'any']).default('description'),
  match: z.enum(['contains', 'regex']).default('contains'),
  pattern: z.string().trim().min(1, 'Say what to look for.').max(200),
  min_amount: z.number().int().nullable().default(null),
  max_amount: z.number().int().nullable().default(null),
  category_id: uuid().nullable().default(null),
  set_counterparty: z.string().trim().max(200).nullable().default(null),
});

export async function list(db: Db, businessId: string): Promise<Rule[]> {
  return db('categorization_rules').where({ business_id: businessId }).orderBy(['position', 'created_at', 'id']).select('*');
}

/** The SQL condition of one rule over a table aliased `r`, with its bindings. */
function condition(rule: Rule, lowered = false): [string, (string | number)[]] {
  const parts: string[] = [];
  const bindings: (string | number)[] = [];
  const fields = rule.field === 'any' ? ['description', 'counterparty'] : [rule.field];
  // strpos on lower-cased text is the cheapest "contains" PostgreSQL has without an index.
  // With `lowered`, the table carries the texts lower-cased once (ld, lc) instead of once per rule.
  const lower = (f: string) => (lowered ? `r.${f === 'description' ? 'ld' : 'lc'}` : `lower(coalesce(r.${f}, ''))`);
  // A regex matches without regard to case (~*), so the lower-cased copy serves it too.
  const test = (f: string) => (rule.match === 'regex' ? `${lowered ? lower(f) : `coalesce(r.${f}, '')`} ~* ?` : `strpos(${lower(f)}, ?) > 0`);
  parts.push(`(${fields.map(test).join(' or ')})`);
  bindings.push(...fields.map(() => (rule.match === 'regex' ? rule.pattern : rule.pattern.toLowerCase())));
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

/**
 * The position of the first rule that matches a row of a table aliased `r`, as one
 * CASE expression: a single pass over the rows evaluates the rules in order and
 * stops at the first match.
 */
function firstMatch(all: Rule[]): [string, (string | number)[]] {
  const whens: string[] = [];
  const bindings: (string | number)[] = [];
  all.forEach((rule, pos) => {
    const [where, b] = condition(rule, true);
    whens.push(`when ${where} then ${pos}`);
    bindings.push(...b);
  });
  return [`(case ${whens.join(' ')} end)`, bindings];
}

/**
 * `key, rule_pos` of the rows of `source` (columns key, ld, lc, amount_base) that some
 * rule matches. Statements repeat their texts (the same shop, the same landlord), so
 * the rules run once per distinct text, and per amount only when a rule has a range.
 */
function matchedRows(all: Rule[], source: string, key: string): [string, (string | number)[]] {
  const [match, bindings] = firstMatch(all);
  const on = [
    ...(all.some((r) => r.field !== 'counterparty') ? ['ld'] : []),
    ...(all.some((r) => r.field !== 'description') ? ['lc'] : []),
    ...(all.some((r) => r.min_amount !== null || r.max_amount !== null) ? ['amount_base'] : []),
  ];
  // d is materialized so the planner cannot push "some rule matched" below the DISTINCT,
  // which would run the rules on every row again.
  const sql = `with s as materialized (${source}),
     d as materialized (select ${on.map((c) => `r.${c}`).join(', ')}, ${match} as rule_pos from (select distinct ${on.join(', ')} from s) r)
     select s.${key}, d.rule_pos from s join d using (${on.join(', ')}) where d.rule_pos is not null`;
  return [sql, bindings];
}

function ruleValues(db: Db, all: Rule[]) {
  return db.raw(
    `(values ${all.map(() => '(?::int, ?::uuid, ?::text)').join(', ')})`,
    all.flatMap((r, pos) => [pos, r.category_id, r.set_counterparty]),
  );
}

/** Applies the business's rules to a staging table of an import (first match wins), in one UPDATE. */
export async function applyToStaging(trx: Db, businessId: string, table: string): Promise<void> {
  const all = await usable(trx, await list(trx, businessId));
  if (!all.length) return;
  const [matched, bindings] = matchedRows(all, `select line, ld, lc, amount_base from ${table}`, 'line');
  await trx.raw(
    `update ${table} r set matched = true, category_id = coalesce(ru.category_id, r.category_id), counterparty = coalesce(ru.set_counterparty, r.counterparty)
     from (${matched}) m join ? as ru (pos, category_id, set_counterparty) on ru.pos = m.rule_pos where r.line = m.line`,
    [...bindings, ruleValues(trx, all)],
  );
}

export type Scope = { importBatchId?: string; filter?: Omit<Filter, 'sort' | 'cursor' | 'limit'> };

/** The ledger rows a scope covers, as a query over `transactions as t` of the business. */
function scopeQuery(db: Db, businessId: string, scope: Scope): Knex.QueryBuilder {
  if (scope.importBatchId) return db('transactions as t').where({ 't.business_id': businessId, 't.import_batch_id': scope.importBatchId });
  return scopedQuery(db, businessId, scope.filter ?? {});
}

/**
 * Applies every rule, in order, to the rows of a scope (a filter of the expense list,
 * or one import): each row gets the first rule that matches it. Set-based: the rows
 * are copied once into a scratch table, each rule is one UPDATE of it, and one UPDATE
 * of the ledger writes the changes (the database audits each row it changes).
 * Returns how many ledger rows changed.
 */
export async function applyToLedger(db: Db, businessId: string, actor: Actor, scope: Scope): Promise<number> {
  return applyRules(db, businessId, actor, scope, await list(db, businessId));
}

/**
 * Adds a rule and applies that rule alone to the business's expenses, in one
 * transaction: the rows changed are the ones `preview` showed for it. Returns the
 * rule and how many rows changed; throws Validation as `create` does, writing nothing.
 */
export async function createAndApply(db: Db, businessId: string, actor: Actor, input: z.output<typeof ruleInput>): Promise<{ rule: Rule; changed: number }> {
  return db.transaction(async (trx) => {
    const rule = await create(trx, businessId, input);
    return { rule, changed: await applyRules(trx, businessId, actor, {}, [rule]) };
  });
}

async function applyRules(db: Db, businessId: string, actor: Actor, scope: Scope, saved: Rule[]): Promise<number> {
  const all = await usable(db, saved);
  if (!all.length) return 0;
  return db.transaction(async (trx) => {
    await audit.actAs(trx, actor);
    // A pathological pattern over a large ledger stops here instead of holding the connection.
    await trx.raw(`set local statement_timeout = '60s'`);
    const scope_ = scopeQuery(trx, businessId, scope)
      .clearSelect()
      .clearOrder()
      .select('t.id', 't.description', 't.counterparty', 't.amount_base', trx.raw('lower(t.description) as ld'), trx.raw("lower(coalesce(t.counterparty, '')) as lc"));
    // The rows a rule touches are a small part of the ledger, found by primary key; on the SSDs
    // Bursar runs on a random read costs about what a sequential one does, and with the default
    // cost the planner scanned all million rows to find ten thousand.
    await trx.raw('set local random_page_cost = 1.1');
    const [matched, bindings] = matchedRows(all, scope_.toQuery(), 'id');
    await trx.raw(`create temp table rule_scope on commit drop as ${matched}`, bindings);
    await trx.raw('analyze rule_scope');
    const result = await trx.raw(
      `with rules (pos, category_id, set_counterparty) as (select * from ? as v (pos, category_id, set_counterparty))
       update transactions t set category_id = coalesce(ru.category_id, t.category_id), counterparty = coalesce(ru.set_counterparty, t.counterparty), updated_at = ?
       from rule_scope s join rules ru on ru.pos = s.rule_pos
       where t.id = s.id and t.business_id = ?
         and (coalesce(ru.category_id, t.category_id) is distinct from t.category_id
           or coalesce(ru.set_counterparty, t.counterparty) is distinct from t.counterparty)`,
      [ruleValues(trx, all), actor.now, businessId],
    );
    return result.rowCount ?? 0;
  });
}

export type PreviewRow = { id: string; occurred_on: string; description: string; counterparty: string | null; amount_base: number; category_name: string | null };

/** The rows of a scope that one rule (saved or not) would change, and how many there are in all. */
export async function preview(db: Db, businessId: string, rule: Omit<Rule, 'id' | 'position' | 'enabled'>, scope: Scope, limit = 50): Promise<{ count: number; rows: PreviewRow[] }> {
  await assertUsablePattern(db, rule);
  const [where, bindings] = condition({ ...rule, id: '', position: 0, enabled: true });
  const base = scopeQuery(db, businessId, scope)
    .clearSelect()
    .clearOrder()
    .whereRaw(where.replace(/\br\./g, 't.'), bindings)
    .where((q: Knex.QueryBuilder) => {
      if (rule.category_id) q.orWhereRaw('t.category_id is distinct from ?', [rule.category_id]);
      if (rule.set_counterparty) q.orWhereRaw('t.counterparty is distinct from ?', [rule.set_counterparty]);
      if (!rule.category_id && !rule.set_counterparty) q.whereRaw('false');
    });
  const [{ count }] = await base.clone().count({ count: '*' });
  const rows = await base
    .leftJoin('categories as c', 'c.id', 't.category_id')
    .orderBy([
      { column: 't.occurred_on', order: 'desc' },
      { column: 't.id', order: 'desc' },
    ])
    .limit(limit)
    .select('t.id', 't.occurred_on', 't.description', 't.counterparty', 't.amount_base', 'c.name as category_name');
  return { count: Number(count), rows };
}

/**
 * Why PostgreSQL cannot compile a pattern as a regular expression, or null when it can.
 * Rules run in PostgreSQL, whose dialect is not JavaScript's (no \\p{L}, no (?<name>...)):
 * a pattern checked in JavaScript was saved, then failed every import and rule run.
 */
export async function regexProblem(db: Db, pattern: string): Promise<string | null> {
  try {
    // In a savepoint: a caller's transaction survives the failed statement.
    await db.transaction((trx) => trx.raw(`select '' ~* ?`, [pattern]));
    return null;
  } catch (err) {
    if ((err as { code?: string }).code !== '2201B') throw err;
    return String((err as Error).message).replace(/^.*invalid regular expression:\s*/s, '');
  }
}

/** Throws Validation on `pattern` when the rule's regular expression cannot run in PostgreSQL. */
async function assertUsablePattern(db: Db, rule: { match: Rule['match']; pattern: string }): Promise<void> {
  const problem = rule.match === 'regex' ? await regexProblem(db, rule.pattern) : null;
  if (problem) throw new Validation({ pattern: [`This pattern cannot be used (${problem}). Rules match with PostgreSQL's regular expressions, which have no \\p{…} classes or named groups.`] });
}

/**
 * The rules to apply: the enabled ones PostgreSQL can run (a pattern saved before patterns
 * were checked at save time is left out, not a failed import or run).
 */
async function usable(db: Db, rules: Rule[]): Promise<Rule[]> {
  const out: Rule[] = [];
  for (const rule of rules) if (rule.enabled !== false && (rule.match !== 'regex' || !(await regexProblem(db, rule.pattern)))) out.push(rule);
  return out;
}

async function assertOwnCategory(db: Db, businessId: string, categoryId: string | null): Promise<void> {
  if (!categoryId) return;
  const found = await db('categories').where({ id: categoryId, business_id: businessId }).first('id');
  if (!found) throw new Validation({ category_id: ['Pick a category from the list.'] });
}

/** One rule of the business. Throws NotFound for another business's rule or a malformed id. */
export async function get(db: Db, businessId: string, id: string): Promise<Rule> {
  const rule = isUuid(id) ? await db('categorization_rules').where({ id, business_id: businessId }).first() : undefined;
  if (!rule) throw new NotFound('There is no such rule.');
  return rule;
}

/** Adds a rule at the end of the business's list. Throws Validation when the category is not the business's. */
export async function create(db: Db, businessId: string, input: z.output<typeof ruleInput>): Promise<Rule> {
  await assertOwnCategory(db, businessId, input.category_id);
  await assertUsablePattern(db, input);
  const [{ next }] = await db('categorization_rules').where({ business_id: businessId }).select(db.raw('coalesce(max(position), -1) + 1 as next'));
  const [rule] = await db('categorization_rules')
    .insert({ ...input, business_id: businessId, position: next })
    .returning('*');
  return rule;
}

/**
 * Changes what a rule looks for and what it sets; its place in the order stays. Throws
 * NotFound for another business's rule, Validation as `create` does.
 */
export async function update(db: Db, businessId: string, id: string, input: z.output<typeof ruleInput>): Promise<Rule> {
  await get(db, businessId, id);
  await assertOwnCategory(db, businessId, input.category_id);
  await assertUsablePattern(db, input);
  const [rule] = await db('categorization_rules').where({ id, business_id: businessId }).update(input).returning('*');
  return rule;
}

/** Switches a rule on or off. Throws NotFound for another business's rule. */
export async function setEnabled(db: Db, businessId: string, id: string, enabled: boolean): Promise<Rule> {
  await get(db, businessId, id);
  const [rule] = await db('categorization_rules').where({ id, business_id: businessId }).update({ enabled }).returning('*');
  return rule;
}

/**
 * Moves a rule to a place in the order (1 is first; past the end means last) and numbers
 * the business's rules 0, 1, 2… in one statement. Throws NotFound for another business's rule.
 */
export async function move(db: Db, businessId: string, id: string, place: number): Promise<Rule[]> {
  return db.transaction(async (trx) => {
    const all = await list(trx, businessId);
    const from = all.findIndex((r) => r.id === id);
    if (from < 0) throw new NotFound('There is no such rule.');
    const [rule] = all.splice(from, 1);
    all.splice(Math.min(Math.max(place - 1, 0), all.length), 0, rule);
    await trx.raw(`update categorization_rules r set position = v.pos from (values ${all.map(() => '(?::uuid, ?::int)').join(', ')}) as v (id, pos) where r.id = v.id and r.business_id = ?`, [
      ...all.flatMap((r, pos) => [r.id, pos]),
      businessId,
    ]);
    return list(trx, businessId);
  });
}

export async function remove(db: Db, businessId: string, id: string): Promise<void> {
  if (!isUuid(id)) throw new NotFound('There is no such rule.');
  const n = await db('categorization_rules').where({ id, business_id: businessId }).delete();
  if (!n) throw new NotFound('There is no such rule.');
}

/** The rule form: amounts typed in the base currency ("100", "1,250.00"), empty fields meaning "any". */
export function ruleForm(baseCurrency: string, decimal: DecimalMark = '.') {
  const amount = z
    .string()
    .trim()
    .optional()
    .transform((s, ctx) => {
      if (!s) return null;
      const v = parseMoney(s, baseCurrency, decimal);
      if (v === null || v < 0) {
        ctx.addIssue({ code: 'custom', message: 'Enter an amount such as 100.00.' });
        return z.NEVER;
      }
      return v;
    });
  return z.object({
    field: z.enum(['description', 'counterparty', 'any']).default('description'),
    match: z.enum(['contains', 'regex']).default('contains'),
    pattern: z.string().trim().min(1, 'Say what to look for.').max(200),
    min_amount: amount,
    max_amount: amount,
    category_id: z
      .union([uuid(), z.literal('')])
      .optional()
      .transform((v) => v || null),
    set_counterparty: z
      .string()
      .trim()
      .max(200)
      .optional()
      .transform((v) => v || null),
  });
}
