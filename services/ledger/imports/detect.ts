import { parse } from 'csv-parse/sync';
import { z } from 'zod';
import { detectDateFormat, detectDecimal } from './formats.ts';
import { Validation } from '../../core/errors.ts';
import { currencyNamed, type DecimalMark, isCurrency, readAmount } from '../../core/money.ts';

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
    /** A column saying which way the money went (S/H, DR/CR, Debit/Credit) beside an unsigned amount. */
    sign: column.optional(),
    /** The running balance; recognised so it is never taken for the amount, and shown in the preview. */
    balance: column.optional(),
    /** The currency of rows with none of their own, when the file names it (a header "Betrag (EUR)"). */
    default_currency: z
      .string()
      .regex(/^[A-Z]{3}$/)
      .refine(isCurrency)
      .optional(),
    /** day.js tokens; `auto` reads the format off the date column's values. */
    date_format: z.string().min(2).max(40).default('auto'),
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
  const headerIndex = findHeader(records.map((r) => r.record));
  if (headerIndex === -2) throw new UnreadableFile('No rows with at least two columns were found; is this a CSV file?');
  if (headerIndex < 0) throw new UnreadableFile('No header row was found: the first row of the table should name its columns.');
  const width = records[headerIndex].record.length;
  const samples = records
    .slice(headerIndex + 1)
    .filter((r) => r.record.length >= width - 1)
    .slice(0, 50)
    .map((r) => r.record);
  if (!samples.length) throw new UnreadableFile('The file has a header but no rows.');
  return { encoding, delimiter, headerLine: records[headerIndex].info.lines, header: records[headerIndex].record, samples };
}

const naming = (cell: string) => /\p{L}/u.test(cell);

/**
 * The header row: the table is the longest run of rows with the same number of fields
 * (weighted by how many fields), so a bank's preamble (account, period, balance) and its
 * footer are left out; its header is the first row of the run, or the row just before it,
 * whose fields are mostly names. -2 when no row has two fields; -1 when no header is found.
 */
function findHeader(rows: string[][]): number {
  let best = { start: -1, end: -1, width: 0, score: 0 };
  for (let i = 0; i < rows.length; ) {
    const width = rows[i].length;
    let j = i + 1;
    while (j < rows.length && rows[j].length === width) j++;
    if (width >= 2 && (j - i) * width > best.score) best = { start: i, end: j, width, score: (j - i) * width };
    i = j;
  }
  if (best.start < 0) return -2;
  const isHeader = (r: string[]) => r.filter(naming).length >= Math.ceil(best.width / 2);
  const before = best.start - 1;
  if (before >= 0 && Math.abs(rows[before].length - best.width) <= 1 && isHeader(rows[before]) && !isHeader(rows[best.start])) return before;
  for (let i = best.start; i < best.end; i++) if (isHeader(rows[i])) return i;
  return -1;
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

/** A header as compared: lower case, accents and punctuation gone ("Date d'opération" → "date d operation"). */
export function normalizeHeader(name: string): string {
  return name
    .normalize('NFKD')
    .replace(/\p{M}/gu, '')
    .toLowerCase()
    .replace(/ß/g, 'ss')
    .replace(/[^\p{L}\p{N}]+/gu, ' ')
    .trim();
}

type Role = 'date' | 'amount' | 'debit' | 'credit' | 'description' | 'counterparty' | 'currency' | 'external_id' | 'category' | 'balance' | 'fee' | 'sign';

/**
 * What column names say, in English, German, French and Spanish (and the Dutch, Nordic
 * and Polish words real exports carry), best first. Names are compared normalised.
 */
const NAMES: Record<Role, RegExp[]> = {
  date: [
    /^((booking|transaction|trans|posting|posted|post|operation|op)\s?date|date( de l| d)? ?operation|date comptable|fecha( de)? operacion|buchungs?(tag|datum)|buchung|datum|date|fecha|data( operacji| ksiegowania)?|bokforingsdag|transaktionsdatum|dato)$/,
    /\b(date|datum|fecha|data|created|dato)\b|datum|date$/,
    /^valuta$|wertstellung|valutadatum|\bvalor\b|value date/,
  ],
  amount: [
    /^(net|netto|neto|net amount|montant net|importe neto|nettobetrag)$/,
    /\b(amount|betrag|montant|importe|importo|bedrag|belopp|kwota|castka|umsatz|gross|brutto|bruto|value|summe|sum|valor|beloeb)\b|^(soll haben|debit credit|cargo abono|debe haber)$/,
  ],
  debit: [/\b(debit|debits|debet|soll|cargos?|debe|withdrawals?|outflow|money out|paid out|ausgang|ausgaben?|belastung|sortie|retrait|uitgaven?)\b/],
  credit: [/\b(credit|credits|haben|abonos?|haber|deposits?|inflow|money in|paid in|eingang|einnahmen?|gutschrift|entree|versement|ingresos?|inkomsten)\b/],
  description: [
    /verwendungszweck|^vwz|\b(description|descripcion|libelle|concepto|omschrijving|beskrivning|opis|memo|narrative|purpose|payment reference|details?|detalle|observaciones|particulars|mitteilung|motif|zprava|text|tekst)\b/,
    /buchungstext|\b(libelle|label)\b/,
    /\b(umsatzart|vorgang|type|typ|tipo|transaction type|art|nature|reference|referenz|referencia|referens|subject|betreff)\b/,
  ],
  counterparty: [
    /tegenpartij|counter ?party|\b(payee|payer|merchant|beneficiary|beneficiario|ordenante|empfanger|empfaenger|auftraggeber|zahlungsbeteiligter|zahlungsempfanger|zahlungsempfangerin|zahlungspflichtige|zahlungspflichtiger|beguenstigter|begunstigter|tiers|contrepartie|destinatario|remitente|vendor|supplier)\b/,
    /\b(name|naam|nom|nombre|navn|namn)\b/,
  ],
  currency: [/^(currency|ccy|curr|wahrung|waehrung|devise|moneda|divisa|munt|valuta|waluta|mena|currency code|valuta konto)$/],
  external_id: [
    /^(transaction id|transaktions ?id|transaktionscode|transaction code|id|fitid|reference number|ref no|unique id|txn id|id de transaction|numero de transaction|id transakce|transaction reference|transaktionsreferenz|balance transaction id)$/,
  ],
  category: [/^(category|kategorie|categorie|categoria|kategoria|category group category|kategorie transakce)$/],
  balance: [/saldo|balance|kontostand|solde|guthaben|disponible|running bal/],
  fee: [/^(fee|fees|gebuhr|gebuehr|gebuhren|frais|comision|commission|poplatek|fee amount)$/],
  sign: [/^(soll haben|s h|dr cr|cr dr|debit credit|d c|sign|vorzeichen|sens)$/],
};

/** Never these, whatever else the name says: a running balance's "impact", an account or bank of our own, an e-mail. */
const NOT_FOR: Partial<Record<Role, RegExp>> = {
  amount: /date|datum|fecha|foreign|original|local|fremdw|ursprung|impact|auswirkung|wahrung|currency|rate|kurs/,
  balance: /impact|auswirkung/,
  counterparty: /account|konto|rekening|iban|bic|bank|mail|adress|address|own|auftragskonto|kontoinhaber/,
  debit: /credit|haben|abono|haber|impact|auswirkung|card|karte|date|datum|id\b|glaubiger|glaeubiger/,
  credit: /debit|soll|cargo|debe|impact|auswirkung|card|karte|date|datum|id\b|glaubiger|glaeubiger/,
  description: /date|datum|iban|bic|account|konto|email|mail/,
};

// Only letters: a column of bare + and - says too little to be taken for a sign by its values alone.
const SIGN_VALUE = /^(s|h|d|c|dr|cr|db|soll|haben|debit|credit|debet|af|bij)$/i;

/** The currency a header names for its column: "Betrag (EUR)", "Umsatz in EUR", "Amount(GBP)", "Betrag (€)". */
export function headerCurrency(name: string): string | undefined {
  const m = /\(\s*([^()]{1,4})\s*\)|\b(?:in|en)\s+([A-Z]{3})\b|\s([A-Z]{3})$/.exec(name.trim());
  const found = m ? currencyNamed((m[1] ?? m[2] ?? m[3]).trim()) : undefined;
  return found ?? undefined;
}

/** What detection could tell about the columns, whole or not: the form shows it to be completed. */
export type Guess = Partial<Mapping> & { decimal: DecimalMark; missing: string[] };

/**
 * The columns read from their names (in several languages) and checked against their
 * values, then the rest found by the shape of the values: the first column of dates, of
 * amounts, of words. Also the date format and the decimal mark the values are written
 * in (a day/month order the values leave open follows the file's decimal mark). Whatever
 * could not be found is listed in `missing`.
 */
export function guessMapping(d: Detected): Guess {
  const used = new Set<number>();
  const values = (i: number) => d.samples.map((r) => (r[i] ?? '').trim()).filter((v) => v !== '');
  const names = d.header.map(normalizeHeader);
  const named = (role: Role, check: (i: number) => boolean = () => true): number | undefined => {
    for (const pattern of NAMES[role]) {
      const i = names.findIndex((n, idx) => !used.has(idx) && pattern.test(n) && !NOT_FOR[role]?.test(n) && check(idx));
      if (i >= 0) {
        used.add(i);
        return i;
      }
    }
    return undefined;
  };
  const shaped = (check: (i: number) => boolean): number | undefined => {
    const i = d.header.findIndex((_, idx) => !used.has(idx) && check(idx));
    if (i < 0) return undefined;
    used.add(i);
    return i;
  };
  const isDates = (i: number) => values(i).length > 0 && detectDateFormat(values(i)) !== null;
  const decimalOf = (i: number) => detectDecimal(values(i));
  const isAmounts = (i: number) => {
    const v = values(i);
    const decimal = decimalOf(i);
    return v.length > 0 && v.every((x) => readAmount(x, decimal) !== null);
  };
  // Money, not a count or an account number: some value has decimals, a sign or a currency.
  const looksLikeMoney = (i: number) => isAmounts(i) && values(i).some((x) => /[.,]\d{1,3}\s*\D*$|^\s*[-−(+]|[-)]\s*$|\p{Sc}|\b[A-Z]{3}\b/u.test(x));
  const isCurrencies = (i: number) => values(i).length > 0 && values(i).every((v) => isCurrency(v.toUpperCase()));
  // By its values alone a column is the currency only when every row has one (not a foreign currency now and then).
  const isCurrencyOfEveryRow = (i: number) => isCurrencies(i) && values(i).length === d.samples.length;
  const isSigns = (i: number) => values(i).length > 0 && values(i).every((v) => SIGN_VALUE.test(v));
  const isIds = (i: number) => {
    const v = values(i);
    return new Set(v).size === v.length;
  };
  const isWords = (i: number) => {
    const v = values(i);
    return v.length > 0 && v.filter((x) => /\p{L}{2}/u.test(x) && !isCurrency(x)).length >= Math.ceil(v.length / 2);
  };

  const date = named('date', isDates) ?? shaped(isDates);
  const external_id = named('external_id', isIds);
  named('fee');
  const balance = named('balance', isAmounts);
  const currency = named('currency', isCurrencies) ?? shaped(isCurrencyOfEveryRow);
  let amount = named('amount', isAmounts);
  let debit: number | undefined;
  let credit: number | undefined;
  if (amount === undefined) {
    debit = named('debit', isAmounts);
    credit = debit !== undefined ? named('credit', isAmounts) : undefined;
    if (debit === undefined || credit === undefined) {
      for (const c of [debit, credit]) if (c !== undefined) used.delete(c);
      debit = credit = undefined;
      amount = shaped(looksLikeMoney);
    }
  }
  const sign = amount !== undefined ? (named('sign', isSigns) ?? shaped(isSigns)) : undefined;
  let description = named('description', isWords);
  let counterparty = named('counterparty');
  if (description === undefined) [description, counterparty] = [counterparty, undefined];
  if (description === undefined) description = shaped(isWords);
  const category = named('category');

  const moneyCols = [amount, debit, credit, balance].filter((c): c is number => c !== undefined);
  const decimal = detectDecimal(d.samples.flatMap((r) => moneyCols.map((c) => r[c] ?? '')));
  const date_format = date !== undefined ? (detectDateFormat(values(date), decimal) ?? undefined) : undefined;
  const amountHeader = [amount, debit].find((c) => c !== undefined);
  const default_currency = currency === undefined && amountHeader !== undefined ? headerCurrency(d.header[amountHeader]) : undefined;
  const missing: string[] = [];
  if (date === undefined) missing.push('date');
  if (amount === undefined && debit === undefined) missing.push('amount');
  if (description === undefined) missing.push('description');
  return {
    date,
    amount,
    debit,
    credit,
    description,
    counterparty,
    currency,
    external_id,
    category,
    sign,
    balance,
    default_currency,
    date_format,
    decimal,
    skip_footer_rows: 0,
    negate: false,
    missing,
  };
}

/** A whole mapping guessed from the header names and the sample values; null when the date, amount or description column is not recognisable. */
export function suggestMapping(d: Detected): Mapping | null {
  const { missing, ...guess } = guessMapping(d);
  if (missing.length) return null;
  const checked = mappingSchema.safeParse(guess);
  return checked.success ? checked.data : null;
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
    sign: index(mapping.sign, 'sign'),
    balance: index(mapping.balance, 'balance'),
  };
}
