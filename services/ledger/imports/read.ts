import type { Readable } from 'node:stream';
import { parse } from 'csv-parse';
import { isCurrency, minorDigits, readAmount, toMinor } from '../../core/money.ts';
import { normalizeDescription, parseDate } from './formats.ts';
import { resolveColumns, type Detected, type Mapping } from './detect.ts';

/**
 * Streams an uploaded statement through csv-parse and turns each row into a ledger
 * row to be: date, signed amount in minor units, texts and the keys that make
 * re-imports idempotent. The file itself is never held in memory.
 */

export type ReadRow = {
  line: number;
  occurred_on: string;
  amount: number;
  currency: string;
  description: string;
  counterparty: string | null;
  category: string | null;
  /** The bank's own id of the row, when the file has a column for it. */
  bankId: string | null;
  /** Date, amount, currency and normalised description: what two copies of one row share. */
  matchKey: string;
};

export type Failure = { line: number; reason: string };

/** A statement's own balance lines (opening and closing balance) are not transactions. */
const BALANCE_LINE =
  /^(anfangssaldo|endsaldo|alter kontostand|neuer kontostand|opening balance|closing balance|balance brought forward|balance carried forward|saldo (inicial|final|anterior)|solde (initial|final|pr[eé]c[eé]dent)|saldo iniziale|saldo finale)$/i;
const MONEY_OUT = /^(s|d|dr|db|debit|debet|soll|af|-)$/i;
const MONEY_IN = /^(h|c|cr|credit|haben|bij|\+)$/i;

/**
 * The key two copies of one bank row share (a bank id aside). The ledger's fingerprint
 * of a row (external_id under source `import`) is the bank's id when the file has one,
 * else this key and its occurrence so far in the file, so two genuine identical rows both
 * survive and a re-import matches them one to one; the import computes it in SQL.
 */
export function matchKey(r: { occurred_on: string; amount: number; currency: string; description: string }): string {
  return `${r.occurred_on}|${r.amount}|${r.currency}|${normalizeDescription(r.description)}`;
}

export type ReadHandlers = {
  row(row: ReadRow): void;
  failure(failure: Failure): void;
  /** After each record, with the bytes read so far; awaited, so a handler can write a chunk and hold the stream meanwhile. */
  after?(bytes: number, line: number): Promise<void> | void;
};

/**
 * Streams a statement through csv-parse, handing each data row (or its failure) to the
 * handlers in file order; nothing but the few footer rows held back stays in memory.
 * Rows at or before `afterLine` are skipped (a resumed import). Stops after `limit`
 * rows and failures. Returns the bytes read.
 */
export async function readRows(
  source: Readable,
  detected: Detected,
  mapping: Mapping,
  baseCurrency: string,
  handlers: ReadHandlers,
  opts: { limit?: number; afterLine?: number } = {},
): Promise<number> {
  const cols = resolveColumns(mapping, detected.header);
  const parser = source.pipe(
    parse({
      bom: true,
      encoding: detected.encoding,
      delimiter: detected.delimiter,
      from_line: detected.headerLine + 1,
      relax_column_count: true,
      relax_quotes: true,
      skip_empty_lines: true,
      info: true,
      trim: true,
    }),
  );
  // Footer rows (closing balances and the like) are only known at the end, so the last few wait here.
  const held: { record: string[]; line: number }[] = [];
  let bytes = 0;
  let taken = 0;
  const take = (record: string[], line: number) => {
    taken++;
    const fail = (reason: string) => handlers.failure({ line, reason });
    const cell = (i: number | undefined) => (i === undefined ? '' : (record[i] ?? '').trim());
    const dateText = cell(cols.date);
    const occurred_on = parseDate(dateText, mapping.date_format);
    if (!occurred_on) return fail(`“${dateText}” is not a date in the format ${mapping.date_format}.`);
    const amountText = cols.amount !== undefined ? cell(cols.amount) : '';
    const written = cols.amount !== undefined ? readAmount(amountText, mapping.decimal) : null;
    // The row's currency column, else the one written beside its amount ("-30,00 PLN"), else the file's, else the business's.
    const currency = (cell(cols.currency) || written?.currency || mapping.default_currency || baseCurrency).toUpperCase();
    if (!isCurrency(currency)) return fail(`“${currency}” is not a currency code.`);
    const digits = minorDigits(currency);
    const minorOf = (text: string) => {
      const w = readAmount(text, mapping.decimal);
      return w ? toMinor(w, digits) : null;
    };
    let amount: number | null;
    if (cols.amount !== undefined) {
      amount = written ? toMinor(written, digits) : null;
      if (amount === null) return fail(`“${amountText}” is not an amount.`);
      if (cols.sign !== undefined) {
        const sign = cell(cols.sign);
        if (MONEY_OUT.test(sign)) amount = -Math.abs(amount);
        else if (MONEY_IN.test(sign)) amount = Math.abs(amount);
        else if (sign) return fail(`“${sign}” does not say whether money went out or came in.`);
      }
    } else {
      const debitText = cell(cols.debit);
      const creditText = cell(cols.credit);
      const debit = debitText ? minorOf(debitText) : 0;
      const credit = creditText ? minorOf(creditText) : 0;
      if (debit === null) return fail(`“${debitText}” is not an amount.`);
      if (credit === null) return fail(`“${creditText}” is not an amount.`);
      if (!debitText && !creditText) return fail('Neither the debit nor the credit column has an amount.');
      amount = Math.abs(credit) - Math.abs(debit);
    }
    // A row that moves no money is a notice from the bank (new terms, a statement closed), not a transaction.
    if (amount === 0) return;
    if (mapping.negate) amount = -amount;
    // A row with no description of its own is described by who was paid or paid us.
    const description = (cell(cols.description) || cell(cols.counterparty)).replace(/\s+/g, ' ').slice(0, 500);
    handlers.row({
      line,
      occurred_on,
      amount,
      currency,
      description,
      counterparty: cell(cols.counterparty).slice(0, 200) || null,
      category: cell(cols.category) || null,
      bankId: cell(cols.external_id) || null,
      matchKey: matchKey({ occurred_on, amount, currency, description }),
    });
  };
  for await (const { record, info } of parser as AsyncIterable<{ record: string[]; info: { lines: number; bytes: number } }>) {
    bytes = info.bytes;
    if (record.every((c) => c === '')) continue;
    // Rows far shorter than the header are a summary under the table ("Alter Kontostand;16,89 EUR"), and
    // balance lines are the statement's own totals: neither is a transaction.
    // (A balance line has no description of its own, so only such rows are searched for one.)
    if (record.length < Math.ceil(detected.header.length / 2) || (!record[cols.description]?.trim() && record.some((c) => BALANCE_LINE.test(c.trim())))) continue;
    held.push({ record, line: info.lines });
    if (held.length > mapping.skip_footer_rows) {
      const next = held.shift()!;
      if (next.line > (opts.afterLine ?? 0)) take(next.record, next.line);
    }
    if (opts.limit && taken >= opts.limit) {
      parser.destroy();
      source.destroy();
      break;
    }
    await handlers.after?.(bytes, info.lines);
  }
  return bytes;
}

/** The first `limit` rows as they will land, and the failures among them: the preview. */
export async function readSome(source: Readable, detected: Detected, mapping: Mapping, baseCurrency: string, limit: number): Promise<{ rows: ReadRow[]; failed: Failure[] }> {
  const rows: ReadRow[] = [];
  const failed: Failure[] = [];
  await readRows(source, detected, mapping, baseCurrency, { row: (r) => rows.push(r), failure: (f) => failed.push(f) }, { limit });
  return { rows, failed };
}
