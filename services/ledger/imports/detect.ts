import { parse } from 'csv-parse/sync';
import { z } from 'zod';
import { detectDateFormat, detectDecimal } from './formats.ts';
import { Validation } from '../../core/errors.ts';

/**
 * Reading the first part of an uploaded file: is it text, which encoding and
 * delimiter, where the header row is (after any preamble lines), and which
 * columns hold what. Pure: works on the bytes it is given.
 */

export const HEAD_BYTES = 64 * 1024;

/** A file that cannot be imported as it is: a 422 whose message names the line when there is one. */
export class UnreadableFile extends Validation {
  constructor(
    message: string,
    public line?: number,
  ) {
    super({ file: [message] }, message);
  }
}

const column = z.union([z.string().min(1), z.number().int().min(0)]);

/** A column mapping (DESIGN.md's `mapping`): columns by header name or 0-based index. */
export const mappingSchema = z
  .object({
    date: column,
    amount: column.optional(),
    debit: column.optional(),
    credit: column.optional(),
    description: column,
    counterparty: column.optional(),
    currency: column.optional(),
    external_id: column.optional(),
    category: column.optional(),
    date_format: z.string().min(2).max(40),
    decimal: z.enum(['.', ',']).default('.'),
    skip_rows: z.number().int().min(0).max(100).optional(),
    skip_footer_rows: z.number().int().min(0).max(100).default(0),
    negate: z.boolean().default(false),
  })
  .refine((m) => m.amount !== undefined || (m.debit !== undefined && m.credit !== undefined), {
    message: 'Map either an amount column or both a debit and a credit column.',
    path: ['amount'],
  });
export type Mapping = z.output<typeof mappingSchema>;

export type Detected = {
  encoding: 'utf8' | 'latin1';
  delimiter: string;
  /** 1-based line number of the header row; lines before it are preamble. */
  headerLine: number;
  header: string[];
  /** A few data rows after the header, for detection and the preview. */
  samples: string[][];
};

/** Throws UnreadableFile when the bytes are not a delimited text file with a header and at least one row. */
export function detect(head: Buffer): Detected {
  if (head.length === 0) throw new UnreadableFile('The file is empty.');
  let text: string;
  let encoding: Detected['encoding'] = 'utf8';
  const body = head[0] === 0xef && head[1] === 0xbb && head[2] === 0xbf ? head.subarray(3) : head;
  if (body.includes(0)) throw new UnreadableFile('This is not a CSV text file (it contains binary data). Export the statement as CSV and try again.');
  try {
    // A cut multi-byte character at the end of the head is not a reason to call it latin1.
    text = new TextDecoder('utf-8', { fatal: true }).decode(body.subarray(0, lastCompleteUtf8(body)));
  } catch {
    encoding = 'latin1';
    text = body.toString('latin1');
  }
  const controls = (text.match(/[\u0001-\u0008\u000e-\u001f]/g) ?? []).length;
  if (controls > 0) throw new UnreadableFile('This is not a CSV text file (it contains binary data). Export the statement as CSV and try again.');
  // The head may end mid-line; only whole lines are read here.
  const cut = head.length >= HEAD_BYTES ? text.slice(0, text.lastIndexOf('\n') + 1) : text;
  const delimiter = detectDelimiter(cut);
  let records: { record: string[]; info: { lines: number } }[];
  try {
    records = parse(cut, { delimiter, relax_column_count: true, relax_quotes: true, skip_empty_lines: true, info: true, trim: true }) as unknown as typeof records;
  } catch (err) {
    throw new UnreadableFile(`The file could not be read as CSV: ${(err as Error).message}`);
  }
  const widths = new Map<number, number>();
  for (const r of records) if (r.record.length >= 2) widths.set(r.record.length, (widths.get(r.record.length) ?? 0) + 1);
  const width = [...widths.entries()].sort((a, b) => b[1] - a[1] || b[0] - a[0])[0]?.[0];
  if (!width) throw new UnreadableFile('No rows with at least two columns were found; is this a CSV file?');
  const headerIndex = records.findIndex((r) => r.record.length === width && r.record.filter((c) => /[A-Za-z]/.test(c)).length >= Math.ceil(width / 2));
  if (headerIndex < 0) throw new UnreadableFile('No header row was found: the first row of the table should name its columns.');
  const samples = records
    .slice(headerIndex + 1)
    .filter((r) => r.record.length >= width - 1)
    .slice(0, 50)
    .map((r) => r.record);
  if (!samples.length) throw new UnreadableFile('The file has a header but no rows.');
  return { encoding, delimiter, headerLine: records[headerIndex].info.lines, header: records[headerIndex].record, samples };
}

function lastCompleteUtf8(buf: Buffer): number {
  const i = buf.length;
  for (let back = 1; back <= 3 && i - back >= 0; back++) {
    const b = buf[i - back];
    if ((b & 0xc0) === 0x80) continue;
    const need = b >= 0xf0 ? 4 : b >= 0xe0 ? 3 : b >= 0xc0 ? 2 : 1;
    return need > back ? i - back : i;
  }
  return i;
}

/** The delimiter (, ; tab |) that splits the most lines into the same number of fields. */
export function detectDelimiter(text: string): string {
  const lines = text
    .split(/\r?\n/)
    .filter((l) => l.trim() !== '')
    .slice(0, 40);
  let best = ',';
  let bestScore = -1;
  for (const d of [',', ';', '\t', '|']) {
    const counts = lines.map((l) => countOutsideQuotes(l, d)).filter((n) => n > 0);
    if (!counts.length) continue;
    const freq = new Map<number, number>();
    for (const n of counts) freq.set(n, (freq.get(n) ?? 0) + 1);
    const [n, times] = [...freq.entries()].sort((a, b) => b[1] - a[1])[0];
    const score = times * 100 + n;
    if (score > bestScore) {
      best = d;
      bestScore = score;
    }
  }
  return best;
}

function countOutsideQuotes(line: string, d: string): number {
  let n = 0;
  let quoted = false;
  for (const c of line) {
    if (c === '"') quoted = !quoted;
    else if (c === d && !quoted) n++;
  }
  return n;
}

/** A key for "the same kind of file": the header names, normalised. */
export function headerKey(header: string[]): string {
  return header.map((h) => h.trim().toLowerCase().replace(/\s+/g, ' ')).join('|');
}

const NAMES: Record<string, RegExp> = {
  date: /^(booking |transaction |value |posting )?date|^datum|^buchungstag|^valuta|^fecha|^posted|^date/i,
  debit: /debit|withdrawal|money out|paid out|soll|ausgang/i,
  credit: /credit|deposit|money in|paid in|haben|eingang/i,
  amount: /amount|betrag|importe|montant|value|sum/i,
  description: /description|details|memo|narrative|verwendungszweck|purpose|reference|text|concepto|libellé/i,
  counterparty: /counterparty|payee|merchant|beneficiary|vendor|empfänger|auftraggeber|name/i,
  currency: /^(currency|ccy|währung|waehrung|moneda|devise)$/i,
  external_id: /transaction id|^id$|reference number|ref\.? ?no|fitid|unique id|transaktions-?id/i,
  category: /^category|kategorie/i,
};

/** A mapping guessed from the header names and the sample values; null when no date or amount column is recognisable. */
export function suggestMapping(d: Detected): Mapping | null {
  const used = new Set<number>();
  const find = (key: string, pred?: (i: number) => boolean) => {
    const i = d.header.findIndex((h, idx) => !used.has(idx) && NAMES[key].test(h.trim()) && (!pred || pred(idx)));
    if (i >= 0) used.add(i);
    return i >= 0 ? i : undefined;
  };
  let date = find('date');
  // No recognisable name: the first column whose values all read as dates.
  if (date === undefined) {
    date = d.header.findIndex((_, i) => !used.has(i) && detectDateFormat(d.samples.map((r) => r[i] ?? '')) !== null);
    if (date < 0) date = undefined;
    else used.add(date);
  }
  const external_id = find('external_id');
  const currency = find('currency');
  const debit = find('debit');
  const credit = debit !== undefined ? find('credit') : undefined;
  const amount = debit === undefined || credit === undefined ? find('amount') : undefined;
  let description = find('description');
  let counterparty = find('counterparty');
  if (description === undefined) [description, counterparty] = [counterparty, undefined];
  const category = find('category');
  if (date === undefined || description === undefined || (amount === undefined && (debit === undefined || credit === undefined))) return null;
  const amountCols = [amount, debit, credit].filter((c): c is number => c !== undefined);
  const decimal = detectDecimal(d.samples.flatMap((r) => amountCols.map((c) => r[c] ?? '')));
  const dateFormat = detectDateFormat(
    d.samples.map((r) => r[date] ?? ''),
    decimal,
  );
  if (!dateFormat) return null;
  return {
    date,
    amount,
    debit: amount === undefined ? debit : undefined,
    credit: amount === undefined ? credit : undefined,
    description,
    counterparty,
    currency,
    external_id,
    category,
    date_format: dateFormat,
    decimal,
    skip_footer_rows: 0,
    negate: false,
  };
}

/** Resolves a mapping's columns (names or indexes) to indexes in the header; throws UnreadableFile naming a missing column. */
export function resolveColumns(mapping: Mapping, header: string[]) {
  const index = (c: string | number | undefined, what: string): number | undefined => {
    if (c === undefined) return undefined;
    if (typeof c === 'number') {
      if (c >= header.length) throw new UnreadableFile(`The ${what} column ${c} is past the last column (${header.length - 1}).`);
      return c;
    }
    const i = header.findIndex((h) => h.trim().toLowerCase() === c.trim().toLowerCase());
    if (i < 0) throw new UnreadableFile(`The file has no column named “${c}” for the ${what}.`);
    return i;
  };
  return {
    date: index(mapping.date, 'date')!,
    amount: index(mapping.amount, 'amount'),
    debit: index(mapping.debit, 'debit'),
    credit: index(mapping.credit, 'credit'),
    description: index(mapping.description, 'description')!,
    counterparty: index(mapping.counterparty, 'counterparty'),
    currency: index(mapping.currency, 'currency'),
    external_id: index(mapping.external_id, 'external id'),
    category: index(mapping.category, 'category'),
  };
}
