import { createReadStream } from 'node:fs';
import { parse } from 'csv-parse';
import { isCurrency, minorDigits } from '../../core/money.ts';
import { normalizeDescription, parseAmount, parseDate } from './formats.ts';
import { resolveColumns, type Detected, type Mapping } from './detect.ts';

/**
 * Streams an uploaded statement through csv-parse and turns each row into a ledger
 * row to be: date, signed amount in minor units, texts and the fingerprint that
 * makes re-imports idempotent. The file itself is never held in memory.
 */

export type ReadRow = {
  line: number;
  occurred_on: string;
  amount: number;
  currency: string;
  description: string;
  counterparty: string | null;
  category: string | null;
  /** The fingerprint, stored as the ledger row's external_id under source `import`. */
  fingerprint: string;
};

export type Failure = { line: number; reason: string };

export type ReadResult = { rows: ReadRow[]; failed: Failure[]; bytes: number };

/**
 * Fingerprint of a row: the bank's id when the file has one, else date + amount +
 * normalised description + the occurrence of that key so far in the file, so two
 * genuine identical rows both survive and a re-import matches them one to one.
 */
export function fingerprinter() {
  const seen = new Map<string, number>();
  return (r: { occurred_on: string; amount: number; currency: string; description: string; bankId: string | null }): string => {
    if (r.bankId) return `id:${r.bankId}`;
    const key = `${r.occurred_on}|${r.amount}|${r.currency}|${normalizeDescription(r.description)}`;
    const n = (seen.get(key) ?? 0) + 1;
    seen.set(key, n);
    return `fp:${key}#${n}`;
  };
}

/** Reads every data row; rows that do not read become failures with their line number. */
export async function readFile(
  path: string,
  detected: Detected,
  mapping: Mapping,
  baseCurrency: string,
  opts: { limit?: number; onProgress?: (bytes: number, rows: number) => Promise<void> | void } = {},
): Promise<ReadResult> {
  const cols = resolveColumns(mapping, detected.header);
  const fingerprint = fingerprinter();
  const rows: ReadRow[] = [];
  const failed: Failure[] = [];
  const parser = createReadStream(path).pipe(
    parse({
      bom: true,
      encoding: detected.encoding,
      delimiter: detected.delimiter,
      from_line: detected.headerLine + 1,
      relax_column_count: true,
      skip_empty_lines: true,
      info: true,
      trim: true,
    }),
  );
  // Footer rows (closing balances and the like) are only known at the end, so the last few wait here.
  const held: { record: string[]; info: { lines: number; bytes: number } }[] = [];
  let lastProgress = 0;
  let bytes = 0;
  const take = (record: string[], line: number) => {
    const cell = (i: number | undefined) => (i === undefined ? '' : (record[i] ?? '').trim());
    const dateText = cell(cols.date);
    const occurred_on = parseDate(dateText, mapping.date_format);
    if (!occurred_on) return failed.push({ line, reason: `“${dateText}” is not a date in the format ${mapping.date_format}.` });
    const currency = (cell(cols.currency) || baseCurrency).toUpperCase();
    if (!isCurrency(currency)) return failed.push({ line, reason: `“${currency}” is not a currency code.` });
    const digits = minorDigits(currency);
    let amount: number | null;
    if (cols.amount !== undefined) {
      amount = parseAmount(cell(cols.amount), mapping.decimal, digits);
      if (amount === null) return failed.push({ line, reason: `“${cell(cols.amount)}” is not an amount.` });
    } else {
      const debitText = cell(cols.debit);
      const creditText = cell(cols.credit);
      const debit = debitText ? parseAmount(debitText, mapping.decimal, digits) : 0;
      const credit = creditText ? parseAmount(creditText, mapping.decimal, digits) : 0;
      if (debit === null) return failed.push({ line, reason: `“${debitText}” is not an amount.` });
      if (credit === null) return failed.push({ line, reason: `“${creditText}” is not an amount.` });
      if (!debitText && !creditText) return failed.push({ line, reason: 'Neither the debit nor the credit column has an amount.' });
      amount = Math.abs(credit) - Math.abs(debit);
    }
    if (mapping.negate) amount = -amount;
    const description = cell(cols.description).replace(/\s+/g, ' ').slice(0, 500);
    const counterparty = cell(cols.counterparty).slice(0, 200) || null;
    const bankId = cell(cols.external_id) || null;
    rows.push({
      line,
      occurred_on,
      amount,
      currency,
      description,
      counterparty,
      category: cell(cols.category) || null,
      fingerprint: fingerprint({ occurred_on, amount, currency, description, bankId }),
    });
  };
  for await (const { record, info } of parser as AsyncIterable<{ record: string[]; info: { lines: number; bytes: number } }>) {
    bytes = info.bytes;
    if (record.every((c) => c === '')) continue;
    held.push({ record, info });
    if (held.length > mapping.skip_footer_rows) {
      const next = held.shift()!;
      take(next.record, next.info.lines);
    }
    if (opts.limit && rows.length + failed.length >= opts.limit) {
      parser.destroy();
      break;
    }
    if (opts.onProgress && bytes - lastProgress > 256 * 1024) {
      lastProgress = bytes;
      await opts.onProgress(bytes, rows.length);
    }
  }
  return { rows, failed, bytes };
}
