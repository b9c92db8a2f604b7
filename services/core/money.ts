/**
 * Money is an integer count of minor units plus an ISO 4217 currency; never a float.
 * Formatting goes through Intl so every currency gets its own digits and symbol.
 */
export type Money = { amount: number; currency: string };

const formatters = new Map<string, Intl.NumberFormat>();
const currencyFormats = new Map<string, Intl.NumberFormat>();

// signDisplay 'negative' (ES2023 Intl; Node 20 has it) is not in the ES2022 library this
// project compiles against.
declare global {
  namespace Intl {
    interface NumberFormatOptionsSignDisplayRegistry {
      negative: never;
    }
  }
}

/**
 * One Intl.NumberFormat per locale and options, built once: building one costs tens of
 * microseconds, and a page formats hundreds of numbers.
 */
export function numberFormat(locale: string, options: Intl.NumberFormatOptions = {}): Intl.NumberFormat {
  const key = `${locale}:${JSON.stringify(options)}`;
  let f = formatters.get(key);
  if (!f) {
    f = new Intl.NumberFormat(locale, options);
    formatters.set(key, f);
  }
  return f;
}

const digitsByCurrency = new Map<string, number>();
let currencies: Set<string> | undefined;

/** Number of minor-unit digits of a currency (2 for USD, 0 for JPY, 3 for KWD). */
export function minorDigits(currency: string): number {
  let digits = digitsByCurrency.get(currency);
  if (digits === undefined) {
    digits = new Intl.NumberFormat('en-US', { style: 'currency', currency }).resolvedOptions().maximumFractionDigits ?? 2;
    digitsByCurrency.set(currency, digits);
  }
  return digits;
}

export function isCurrency(code: string): boolean {
  if (!/^[A-Z]{3}$/.test(code)) return false;
  currencies ??= new Set((Intl as unknown as { supportedValuesOf(k: string): string[] }).supportedValuesOf('currency'));
  return currencies.has(code);
}

/** Formats minor units for display, e.g. formatMoney(123456, 'USD') === '$1,234.56'. */
export function formatMoney(amount: number, currency: string, locale = 'en-US'): string {
  // The hottest formatter gets a key without JSON: a report page formats hundreds of amounts.
  const key = `${locale}:${currency}`;
  let f = currencyFormats.get(key);
  if (!f) {
    // 'negative': no minus on an amount that is zero once rounded (a day without expenses sums to -0).
    f = numberFormat(locale, { style: 'currency', currency, signDisplay: 'negative' });
    currencyFormats.set(key, f);
  }
  return f.format(amount / 10 ** minorDigits(currency));
}

/** A compact form for cards and charts: $1.2M, $34.5K. */
export function formatMoneyCompact(amount: number, currency: string, locale = 'en-US'): string {
  return numberFormat(locale, { style: 'currency', currency, notation: 'compact', maximumFractionDigits: 1, signDisplay: 'negative' }).format(amount / 10 ** minorDigits(currency));
}

/** Which mark separates the decimals: "1,234.56" ('.') or "1.234,56" (','). */
export type DecimalMark = '.' | ',';

/** An amount as written, before it is counted in a currency's minor units. */
export type WrittenAmount = { negative: boolean; units: string; fraction: string; currency: string | null };

// Direction marks that right-to-left text carries around numbers (LRM, RLM, ALM, embeddings, isolates, BOM).
const BIDI_MARKS = /[\u200e\u200f\u061c\u202a-\u202e\u2066-\u2069\ufeff]/g;
const SPACES = /[\s\u00a0\u2007\u202f]+/g;
const ARABIC_DIGITS = /[\u0660-\u0669\u06f0-\u06f9]/g;

/** Symbols written for a currency; null when the symbol is shared by several (the row or the business says which). */
const SYMBOLS: Record<string, string | null> = {
  '€': 'EUR',
  '£': 'GBP',
  '₹': 'INR',
  '₺': 'TRY',
  '₽': 'RUB',
  '₩': 'KRW',
  '₪': 'ILS',
  '₫': 'VND',
  '₱': 'PHP',
  '₦': 'NGN',
  '₴': 'UAH',
  '₸': 'KZT',
  '₼': 'AZN',
  '₾': 'GEL',
  '฿': 'THB',
  R$: 'BRL',
  US$: 'USD',
  C$: 'CAD',
  CA$: 'CAD',
  A$: 'AUD',
  AU$: 'AUD',
  NZ$: 'NZD',
  HK$: 'HKD',
  S$: 'SGD',
  MX$: 'MXN',
  ZŁ: 'PLN',
  KČ: 'CZK',
  FT: 'HUF',
  'FR.': 'CHF',
  LEI: 'RON',
  KR: null,
  'KR.': null,
  $: null,
  '¥': null,
  '￥': null,
  '﷼': null,
  // Arabic-script abbreviations, as banks in the Gulf and North Africa print them.
  'ر.س': 'SAR',
  'ر.س.': 'SAR',
  'د.إ': 'AED',
  'د.ك': 'KWD',
  'ر.ق': 'QAR',
  'د.ب': 'BHD',
  'ر.ع': 'OMR',
  'ر.ع.': 'OMR',
  'د.أ': 'JOD',
  'د.ا': 'JOD',
  'ج.م': 'EGP',
  'د.م': 'MAD',
  'د.م.': 'MAD',
  'د.ج': 'DZD',
  'د.ت': 'TND',
  'ل.ل': 'LBP',
  'ع.د': 'IQD',
  'ل.د': 'LYD',
  ريال: null,
  درهم: null,
  دينار: null,
};

/** The currency an affix beside a number names: an ISO code, a symbol; null for a symbol several share; undefined when it is not a currency at all. */
export function currencyNamed(affix: string): string | null | undefined {
  if (/^[A-Z]{3}$/.test(affix) && isCurrency(affix)) return affix;
  const key = affix.toUpperCase();
  if (key in SYMBOLS) return SYMBOLS[key];
  if (/^[A-Z]{0,3}\p{Sc}$/u.test(affix)) return null;
  return undefined;
}

const PREFIX = /^([\p{L}\p{Sc}][\p{L}\p{M}\p{Sc}.]*)\s?/u;
const SUFFIX = /\s?([\p{L}\p{Sc}][\p{L}\p{M}\p{Sc}.]*)$/u;

/**
 * Reads how an amount is written, the one reader for every amount Bursar is given (forms,
 * the API and statement imports): "1,234.56", "1.234,56", "1 234,56", "1'234.50",
 * "(12.00)", "12.00-", "-€ 5", "12.00 DR", "EUR 5", "‏1,234.50 ر.س" (with or without
 * direction marks, in Arabic-Indic digits too). Thousands go in groups of three (or the
 * Indian 1,23,456). With one kind of mark the number is read with `decimal`; with both
 * ("1.234,56") the marks themselves say which is which, and where the decimal is a comma
 * a point that cannot group thousands ("1250.00") is a decimal point (unless
 * `bothMarksDecide` is false, as when a file's convention is being found out). Null when
 * it is not an amount.
 */
const PLAIN = { '.': /^(-?)(\d+)(?:\.(\d+))?$/, ',': /^(-?)(\d+)(?:,(\d+))?$/ };

export function readAmount(text: string, decimal: DecimalMark, bothMarksDecide = true): WrittenAmount | null {
  // Most cells of a large statement are plain ("-12.50"): read those without the general path.
  const plain = PLAIN[decimal].exec(text);
  if (plain) return { negative: plain[1] === '-', units: plain[2], fraction: plain[3] ?? '', currency: null };
  let s = text
    .replace(BIDI_MARKS, '')
    .replace(ARABIC_DIGITS, (d) => String(d.charCodeAt(0) & 0xf))
    .replace(/\u066b/g, decimal)
    .replace(/\u066c/g, ' ')
    .replace(/[\u2212\u2013]/g, '-')
    .replace(SPACES, ' ')
    .trim();
  let negative = false;
  let currency: string | null = null;
  let named = false;
  for (let guard = 0; guard < 6; guard++) {
    const before = s;
    if (/^\(.*\)$/.test(s)) {
      negative = !negative;
      s = s.slice(1, -1).trim();
    }
    const mark = /^(.*?)\s?(CR|DR)\.?$/i.exec(s);
    if (mark && /\d/.test(mark[1])) {
      if (mark[2].toUpperCase() === 'DR') negative = !negative;
      s = mark[1].trim();
    }
    if (/^[-+]/.test(s)) {
      if (s[0] === '-') negative = !negative;
      s = s.slice(1).trim();
    } else if (/[-+]$/.test(s)) {
      if (s.endsWith('-')) negative = !negative;
      s = s.slice(0, -1).trim();
    }
    for (const affix of [PREFIX, SUFFIX]) {
      const m = affix.exec(s);
      if (!m || named) continue;
      const found = currencyNamed(m[1]);
      if (found === undefined) continue;
      currency = found;
      named = true;
      s = (affix === PREFIX ? s.slice(m[0].length) : s.slice(0, s.length - m[0].length)).trim();
    }
    if (s === before) break;
  }
  const read = readNumber(s, decimal) ?? (bothMarksDecide && (bothMarks(s) || machinePoint(s, decimal)) ? readNumber(s, decimal === '.' ? ',' : '.') : null);
  if (!read) return null;
  return { negative, units: read.units, fraction: read.fraction, currency };
}

const bothMarks = (s: string) => s.includes('.') && s.includes(',');

/**
 * Where a decimal comma is the custom, a decimal point that cannot be a thousands
 * separator ("1250.00", "12.5") is still a decimal point: it is how machines, number
 * fields and spreadsheets write numbers. (The other way round, "12,50" where the point is
 * the custom stays a typo: it might mean 1250.)
 */
const machinePoint = (s: string, decimal: DecimalMark) => decimal === ',' && /^\d*\.\d+$/.test(s) && !/^\d{1,3}\.\d{3}$/.test(s);

const grammars = new Map<DecimalMark, RegExp>();

function readNumber(s: string, decimal: DecimalMark): { units: string; fraction: string } | null {
  let re = grammars.get(decimal);
  if (!re) {
    const group = `[${decimal === '.' ? ',' : '.'} '’]`;
    const units = `\\d{1,3}(?:${group}\\d{3})+|\\d{1,2}(?:${group}\\d{2})+${group}\\d{3}|\\d+`;
    re = new RegExp(`^(${units})?(?:\\${decimal}(\\d+))?$`);
    grammars.set(decimal, re);
  }
  const m = re.exec(s);
  if (!m || (m[1] === undefined && m[2] === undefined)) return null;
  return { units: (m[1] ?? '0').replace(/\D/g, ''), fraction: m[2] ?? '' };
}

/** An amount as minor units with `digits` decimals; null when it is not an amount or has more decimals than that. */
export function parseAmount(text: string, decimal: DecimalMark, digits = 2): number | null {
  const written = readAmount(text, decimal);
  return written ? toMinor(written, digits) : null;
}

/** A written amount in minor units with `digits` decimals; null when it has more decimals than that. */
export function toMinor(written: WrittenAmount, digits: number): number | null {
  if (written.fraction.length > digits) return null;
  const minor = Number(written.units) * 10 ** digits + Number(written.fraction.padEnd(digits, '0') || '0');
  if (!Number.isSafeInteger(minor)) return null;
  return written.negative && minor !== 0 ? -minor : minor;
}

/**
 * Parses an amount typed by a person ("1,234.56", or "1.234,56" where the business writes
 * numbers that way) into minor units of `currency`. Null when the text is not an amount
 * with at most the currency's digits.
 */
export function parseMoney(text: string, currency: string, decimal: DecimalMark = '.'): number | null {
  return parseAmount(text, decimal, minorDigits(currency));
}

/** Converts minor units of one currency at a rate (quote per base unit), rounding half away from zero. */
export function convert(amount: number, from: string, to: string, rate: number): number {
  const scaled = (amount / 10 ** minorDigits(from)) * rate * 10 ** minorDigits(to);
  return Math.sign(scaled) * Math.round(Math.abs(scaled));
}

/**
 * Currencies whose countries mostly write a decimal comma: the number format a new business
 * starts with, until it says otherwise.
 */
const COMMA_CURRENCIES = new Set(['EUR', 'ARS', 'BGN', 'BRL', 'CLP', 'COP', 'CZK', 'DKK', 'HUF', 'IDR', 'ISK', 'NOK', 'PLN', 'RON', 'RSD', 'RUB', 'SEK', 'TRY', 'UAH', 'UYU', 'VND']);

/** The decimal mark a business with this base currency most likely writes. */
export function defaultDecimalMark(currency: string): DecimalMark {
  return COMMA_CURRENCIES.has(currency) ? ',' : '.';
}

/** Minor units as a plain decimal string for a form field: toDecimal(123456, 'USD') === '1234.56', with ',' '1234,56'. */
export function toDecimal(amount: number, currency: string, decimal: DecimalMark = '.'): string {
  const digits = minorDigits(currency);
  const sign = amount < 0 ? '-' : '';
  const abs = Math.abs(amount);
  if (digits === 0) return `${sign}${abs}`;
  const s = String(abs).padStart(digits + 1, '0');
  return `${sign}${s.slice(0, -digits)}${decimal}${s.slice(-digits)}`;
}
