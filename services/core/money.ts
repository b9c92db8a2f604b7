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

/**
 * Parses a decimal string typed by a person ("1,234.56", "12") into minor units.
 * Returns null when the text is not a number with at most the currency's digits.
 */
export function parseMoney(text: string, currency: string): number | null {
  // Thousands separated by commas or spaces only in groups of three: "1,2,3" is a typo, not 123.
  const typed = text.trim().replace(/[\u00A0\u202F]/g, ' ');
  const grouped = /^(-)?(\d{1,3}(?:,\d{3})+|\d{1,3}(?: \d{3})+|\d+)(?:\.(\d+))?$/.exec(typed);
  if (!grouped) return null;
  const [, minus, whole, frac = ''] = grouped;
  const digits = minorDigits(currency);
  if (frac.length > digits) return null;
  const minor = Number(whole.replace(/[, ]/g, '')) * 10 ** digits + Number(frac.padEnd(digits, '0') || '0');
  if (!Number.isSafeInteger(minor)) return null;
  return minus ? -minor : minor;
}

/** Converts minor units of one currency at a rate (quote per base unit), rounding half away from zero. */
export function convert(amount: number, from: string, to: string, rate: number): number {
  const scaled = (amount / 10 ** minorDigits(from)) * rate * 10 ** minorDigits(to);
  return Math.sign(scaled) * Math.round(Math.abs(scaled));
}

/** Minor units as a plain decimal string for a form field: toDecimal(123456, 'USD') === '1234.56'. */
export function toDecimal(amount: number, currency: string): string {
  const digits = minorDigits(currency);
  const sign = amount < 0 ? '-' : '';
  const abs = Math.abs(amount);
  if (digits === 0) return `${sign}${abs}`;
  const s = String(abs).padStart(digits + 1, '0');
  return `${sign}${s.slice(0, -digits)}.${s.slice(-digits)}`;
}
