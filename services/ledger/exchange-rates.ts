import type { Knex } from 'knex';
import type { Db } from '../core/db.ts';
import { z } from 'zod';
import { parse as parseCsv } from 'csv-parse/sync';
import { convert, isCurrency } from '../core/money.ts';
import { Validation } from '../core/errors.ts';
import { day } from '../core/dates.ts';
import { detectDelimiter } from './imports/detect.ts';

/**
 * Rates are stored as quote units per one base unit for a day. A business converts with
 * its own rates (typed or imported by its owners, `business_exchange_rates`) and the
 * reference rates a job syncs (`exchange_rates`, read-only to users): the rate of the
 * day or the nearest earlier day, in either direction of the pair; on the same day the
 * business's own rate wins. No business's rate ever converts another's money.
 */

/** Every rate of a pair (either direction) a business may use up to a day; own rates sort after reference rates of the same day. */
function ratesOfPair(db: Db, businessId: string, from: string, to: string, lastDay: string) {
  const pair = (q: Knex.QueryBuilder) => q.where({ base: from, quote: to }).orWhere({ base: to, quote: from });
  const own = db('business_exchange_rates').where('business_id', businessId).where('day', '<=', lastDay).where(pair).select('base', 'day', 'rate', db.raw('1 as own'));
  const reference = db('exchange_rates').where('day', '<=', lastDay).where(pair).select('base', 'day', 'rate', db.raw('0 as own'));
  return db.unionAll([own, reference], true);
}

/** The rate that turns one `from` unit into `to` units on a day for the business; null when no rate exists on or before it. */
export async function rateOn(db: Db, businessId: string, from: string, to: string, day: string): Promise<number | null> {
  if (from === to) return 1;
  const row = await db
    .from(ratesOfPair(db, businessId, from, to, day).as('r'))
    .orderBy([
      { column: 'day', order: 'desc' },
      { column: 'own', order: 'desc' },
    ])
    .first('base', 'rate');
  if (!row) return null;
  const rate = Number(row.rate);
  return row.base === from ? rate : 1 / rate;
}

/**
 * Converts minor units of `currency` into the business's currency at the day's rate.
 * Throws Validation on the `currency` field when there is no rate on or before the day.
 */
export async function toBase(db: Db, businessId: string, amount: number, currency: string, base: string, day: string): Promise<number> {
  if (currency === base) return amount;
  const rate = await rateOn(db, businessId, currency, base, day);
  if (rate === null) {
    throw new Validation({ currency: [`There is no ${currency}→${base} exchange rate on or before ${day}. Add one under Rates first.`] });
  }
  return convert(amount, currency, base, rate);
}

/**
 * A converter for many days at once (imports): loads every rate of the pair up to the
 * last day in one query, then answers each day from memory. Returns null for a day
 * with no earlier rate.
 */
export async function converterFor(db: Db, businessId: string, currency: string, base: string, lastDay: string): Promise<(amount: number, day: string) => number | null> {
  if (currency === base) return (amount) => amount;
  const rows: { base: string; day: string; rate: string }[] = await db
    .from(ratesOfPair(db, businessId, currency, base, lastDay).as('r'))
    .orderBy([
      { column: 'day', order: 'asc' },
      { column: 'own', order: 'asc' },
    ])
    .select('base', 'day', 'rate');
  const days = rows.map((r) => r.day);
  const rates = rows.map((r) => (r.base === currency ? Number(r.rate) : 1 / Number(r.rate)));
  return (amount, day) => {
    // The last rate on or before the day: with two on one day, the business's own (sorted last).
    let lo = 0;
    let hi = days.length - 1;
    let found = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (days[mid] <= day) {
        found = mid;
        lo = mid + 1;
      } else hi = mid - 1;
    }
    return found < 0 ? null : convert(amount, currency, base, rates[found]);
  };
}

export type RateInput = { base: string; quote: string; day: string; rate: number };

/** Stores the business's own rates, replacing any of the same pair and day; returns how many were written. */
export async function upsertRates(db: Db, businessId: string, rates: RateInput[], source: 'manual' | 'csv' = 'manual'): Promise<number> {
  for (let i = 0; i < rates.length; i += 1000) {
    await db('business_exchange_rates')
      .insert(rates.slice(i, i + 1000).map((r) => ({ ...r, business_id: businessId, source })))
      .onConflict(['business_id', 'base', 'quote', 'day'])
      .merge(['rate', 'source']);
  }
  return rates.length;
}

/** Stores synced reference rates (the rates job), shared by every business; returns how many were written. */
async function upsertReferenceRates(db: Db, rates: RateInput[]): Promise<number> {
  for (let i = 0; i < rates.length; i += 1000) {
    await db('exchange_rates')
      .insert(rates.slice(i, i + 1000).map((r) => ({ ...r, source: 'sync' })))
      .onConflict(['base', 'quote', 'day'])
      .merge(['rate', 'source']);
  }
  return rates.length;
}

export type ListedRate = RateInput & { own: boolean };

/** The newest rates the business converts with, its own and the reference ones, newest first. */
export async function recentRates(db: Db, businessId: string, limit = 50): Promise<ListedRate[]> {
  const own = db('business_exchange_rates').where('business_id', businessId).select('base', 'quote', 'day', 'rate', db.raw('true as own'));
  const reference = db('exchange_rates').select('base', 'quote', 'day', 'rate', db.raw('false as own'));
  const rows = await db
    .from(db.unionAll([own, reference], true).as('r'))
    .orderBy([{ column: 'day', order: 'desc' }, { column: 'own', order: 'desc' }, 'base', 'quote'])
    .limit(limit)
    .select('*');
  return rows.map((r: ListedRate & { rate: string }) => ({ ...r, rate: Number(r.rate) }));
}

const isoDay = day();
const code = z.string().trim().toUpperCase().refine(isCurrency, 'Use an ISO currency code such as USD or EUR.');

/** One rate typed on the rates page: "1 BASE = RATE QUOTE on DAY". */
export const rateForm = z
  .object({
    base: code,
    quote: code,
    day: isoDay,
    rate: z.coerce.number({ message: 'Enter the rate, e.g. 1.0825.' }).min(0.000001, 'The rate must be at least 0.000001.').max(1e9, 'The rate must be at most 1,000,000,000.'),
  })
  .refine((r) => r.base !== r.quote, { path: ['quote'], message: 'Pick two different currencies.' });

/**
 * Reads a rates CSV (header naming day or date, base, quote, rate; comma or semicolon).
 * Throws Validation naming the first line that does not read.
 */
export function parseRatesCsv(text: string): RateInput[] {
  const body = text.replace(/^\uFEFF/, '');
  const delimiter = detectDelimiter(body);
  let records: Record<string, string>[];
  try {
    records = parseCsv(body, { columns: (h: string[]) => h.map((c) => c.trim().toLowerCase()), delimiter, skip_empty_lines: true, trim: true });
  } catch (err) {
    throw new Validation({ file: [`The file could not be read as CSV: ${(err as Error).message}`] });
  }
  if (!records.length) throw new Validation({ file: ['The file has no rates.'] });
  return records.map((r, i) => {
    const parsed = rateForm.safeParse({ base: r.base, quote: r.quote, day: r.day ?? r.date, rate: r.rate });
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      throw new Validation({ file: [`Line ${i + 2}: ${String(issue.path[0] ?? '')} ${issue.message}`] }, `Line ${i + 2}: ${issue.message}`);
    }
    return parsed.data;
  });
}

const ratesPayload = z.object({
  base: code,
  date: isoDay,
  rates: z.record(z.string(), z.number().positive()),
});

/** A rates endpoint's answer as rate rows; codes that are not ISO currencies are left out. Pure. */
export function normalizeRatesPayload(json: unknown): RateInput[] {
  const p = ratesPayload.parse(json);
  return (
    Object.entries(p.rates)
      .map(([quote, rate]) => ({ base: p.base, quote: quote.toUpperCase(), day: p.date, rate }))
      // A rate too small or too large to store is left out, not a failed sync.
      .filter((r) => r.quote !== r.base && isCurrency(r.quote) && r.rate >= 0.000001 && r.rate <= 1e9)
  );
}

/** Fetches the day's rates from the configured endpoint and stores them; returns how many. Throws on an HTTP error or a payload of another shape. */
export async function syncRates(db: Db, url: string, fetchImpl: typeof fetch = fetch): Promise<number> {
  const res = await fetchImpl(url, { headers: { accept: 'application/json' }, signal: AbortSignal.timeout(15_000) });
  if (!res.ok) throw new Error(`rates endpoint answered ${res.status}`);
  return upsertReferenceRates(db, normalizeRatesPayload(await res.json()));
}
