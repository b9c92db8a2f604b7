import type { Db } from '../core/db.ts';
import * as aggregates from './aggregates.ts';
import { NIL_UUID } from './aggregates.ts';
import { csvRow } from '../core/csv.ts';
import type { LedgerKind, TransactionWithCategory } from '../ledger/transactions.ts';
import { monthsOf, monthEnd, type Range } from './periods.ts';
import { label, profitFigures, type KindSums, type ProfitFigures, type TermId } from './definitions.ts';

/**
 * A line of the P&L. Lines with `kinds` are sums of ledger rows (and can be drilled
 * into); the others are subtotals computed from lines above them.
 */
export type PnlLine = {
  key: string;
  label: string;
  /** The line's glossary entry, when it is a defined figure. */
  term?: TermId;
  kinds: LedgerKind[] | null;
  /** For an operating-expense line: its category (null = uncategorised). */
  categoryId?: string | null;
  level: 'line' | 'subtotal' | 'total';
  cells: number[];
  total: number;
};

export type Pnl = { range: Range; months: { key: string; from: string; to: string }[]; lines: PnlLine[]; hasData: boolean };

const LEAF_LINES: { key: string; term?: TermId; label: string; kinds: LedgerKind[] }[] = [
  { key: 'gross_sales', term: 'gross_sales', label: label('gross_sales'), kinds: ['sale'] },
  { key: 'refunds', term: 'refunds', label: label('refunds'), kinds: ['refund', 'chargeback'] },
  { key: 'cogs', term: 'cost_of_goods', label: label('cost_of_goods'), kinds: ['cogs'] },
  { key: 'fees', label: 'Payment fees', kinds: ['fee'] },
  { key: 'ad_spend', label: 'Ad spend', kinds: ['ad_spend'] },
  { key: 'other_income', term: 'other_income', label: label('other_income'), kinds: ['other_income'] },
];

/** The drillable line keys: the leaf lines and `opex` (with a category). */
export const DRILLABLE_LINES = [...LEAF_LINES.map((l) => l.key), 'opex'] as const;

/**
 * Profit and loss over a range, one column per calendar month it touches (the first
 * and last clipped to the range), read from the daily aggregates.
 */
export async function statement(db: Db, businessId: string, range: Range): Promise<Pnl> {
  const [rows, categories] = await Promise.all([aggregates.dailyTotals(db, businessId, range.from, range.to), db('categories').where('business_id', businessId).select('id', 'name')]);
  const months = monthsOf(range).map((m) => ({
    key: m,
    from: `${m}-01` < range.from ? range.from : `${m}-01`,
    to: monthEnd(`${m}-01`) > range.to ? range.to : monthEnd(`${m}-01`),
  }));
  const col = new Map(months.map((m, i) => [m.key, i]));
  const zero = () => months.map(() => 0);
  const byKind = new Map<string, number[]>();
  const byCategory = new Map<string, number[]>();
  for (const r of rows) {
    const i = col.get(r.day.slice(0, 7))!;
    if (r.kind === 'expense') {
      const k = r.category_id ?? NIL_UUID;
      if (!byCategory.has(k)) byCategory.set(k, zero());
      byCategory.get(k)![i] += Number(r.amount);
    } else {
      if (!byKind.has(r.kind)) byKind.set(r.kind, zero());
      byKind.get(r.kind)![i] += Number(r.amount);
    }
  }
  const line = (key: string, text: string, kinds: LedgerKind[] | null, level: PnlLine['level'], cells: number[], extra: { categoryId?: string | null; term?: TermId } = {}): PnlLine => ({
    key,
    label: text,
    kinds,
    level,
    cells,
    total: cells.reduce((s, v) => s + v, 0),
    ...extra,
  });
  const add = (...lists: number[][]) => months.map((_, i) => lists.reduce((s, l) => s + l[i], 0));
  const leaf = new Map(LEAF_LINES.map((l) => [l.key, line(l.key, l.label, l.kinds, 'line', add(...l.kinds.map((k) => byKind.get(k) ?? zero())), l.term ? { term: l.term } : {})]));
  const names = new Map(categories.map((c: { id: string; name: string }) => [c.id, c.name]));
  const opex = [...byCategory.entries()]
    .map(([id, cells]) => line('opex', id === NIL_UUID ? 'Uncategorised' : (names.get(id) ?? 'Deleted category'), ['expense'], 'line', cells, { categoryId: id === NIL_UUID ? null : id }))
    .sort((a, b) => a.total - b.total);
  // Subtotals come from the one definition of each figure, month by month.
  const expenseCells = add(zero(), ...opex.map((l) => l.cells));
  const perMonth = months.map((_, i) => {
    const sums: KindSums = { expense: expenseCells[i] };
    for (const [kind, cells] of byKind) sums[kind as LedgerKind] = cells[i];
    return profitFigures(sums);
  });
  const figure = (key: string, term: TermId, level: PnlLine['level'], pick: (f: ProfitFigures) => number) => line(key, label(term), null, level, perMonth.map(pick), { term });
  return {
    range,
    months,
    hasData: rows.length > 0,
    lines: [
      leaf.get('gross_sales')!,
      leaf.get('refunds')!,
      figure('net_revenue', 'net_revenue', 'subtotal', (f) => f.netRevenue),
      leaf.get('cogs')!,
      figure('gross_profit', 'gross_profit', 'subtotal', (f) => f.grossProfit),
      leaf.get('fees')!,
      leaf.get('ad_spend')!,
      ...opex,
      figure('opex_total', 'operating_expenses', 'subtotal', (f) => f.operatingExpenses),
      leaf.get('other_income')!,
      figure('net', 'net_profit', 'total', (f) => f.netProfit),
    ],
  };
}

/** The P&L as CSV: a header of months, one row per line, amounts in major units with a dot. */
export function toCsv(pnl: Pnl, digits: number): string {
  const fmt = (v: number) => (v / 10 ** digits).toFixed(digits);
  const out = [csvRow(['Line', ...pnl.months.map((m) => m.key), 'Total'])];
  for (const l of pnl.lines) out.push(csvRow([l.label, ...l.cells.map(fmt), fmt(l.total)]));
  return out.join('');
}

export type DrillQuery = { line: (typeof DRILLABLE_LINES)[number]; category?: string | null; from: string; to: string };

/** A transaction behind a P&L cell, as the drill-down lists it. */
export type CellTransaction = Omit<TransactionWithCategory, 'category_icon'>;

/**
 * The ledger rows behind one P&L cell, newest first, a page at a time. `after` is
 * the cursor of the last row of the previous page (keyset pagination: the cost of
 * a page does not grow with how deep it is).
 */
export async function rowsBehind(db: Db, businessId: string, q: DrillQuery, after: string | null, limit = 50): Promise<{ rows: CellTransaction[]; next: string | null; total: number }> {
  const kinds = q.line === 'opex' ? ['expense'] : LEAF_LINES.find((l) => l.key === q.line)!.kinds;
  const base = db('transactions as t').where('t.business_id', businessId).whereIn('t.kind', kinds).whereBetween('t.occurred_on', [q.from, q.to]);
  if (q.line === 'opex') {
    if (q.category) base.where('t.category_id', q.category);
    else base.whereNull('t.category_id');
  }
  const page = base
    .clone()
    .leftJoin('categories as c', 'c.id', 't.category_id')
    .orderBy([
      { column: 't.occurred_on', order: 'desc' },
      { column: 't.id', order: 'desc' },
    ])
    .limit(limit + 1)
    .select('t.id', 't.occurred_on', 't.kind', 't.description', 't.counterparty', 't.amount', 't.currency', 't.amount_base', 'c.name as category_name');
  if (after) {
    const [day, id] = after.split('_');
    page.whereRaw('(t.occurred_on, t.id) < (?::date, ?::uuid)', [day, id]);
  }
  const [rows, count] = await Promise.all([page, base.clone().first(db.raw('count(*)::bigint as n'))]);
  const more = rows.length > limit;
  const list = rows.slice(0, limit) as CellTransaction[];
  const last = list[list.length - 1];
  return { rows: list, next: more && last ? `${last.occurred_on}_${last.id}` : null, total: count.n };
}
