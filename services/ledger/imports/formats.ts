/**
 * Pure readers for what bank statements put in their cells: dates in day.js-style
 * formats (and which format a column is in), which decimal mark a file uses, and the
 * normalised description used for fingerprints. Amounts are read by the one amount
 * reader in core/money.ts. No I/O here; tested on real-shaped values.
 */
import { type DecimalMark, parseAmount, readAmount } from '../../core/money.ts';

export { parseAmount };

const MONTHS = ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'];

type Token = 'YYYY' | 'YY' | 'MMMM' | 'MMM' | 'MM' | 'M' | 'DD' | 'D' | 'HH' | 'H' | 'mm' | 'ss' | 'A' | 'Z';
const TOKENS: Token[] = ['YYYY', 'YY', 'MMMM', 'MMM', 'MM', 'M', 'DD', 'D', 'HH', 'H', 'mm', 'ss', 'A', 'Z'];
const TOKEN_RE: Record<Token, string> = {
  YYYY: '(\\d{4})',
  YY: '(\\d{2})',
  MMMM: '([A-Za-z]{3,9})',
  MMM: '([A-Za-z]{3,4})\\.?',
  MM: '(\\d{2})',
  M: '(\\d{1,2})',
  DD: '(\\d{2})',
  D: '(\\d{1,2})',
  HH: '(\\d{2})',
  H: '(\\d{1,2})',
  mm: '(\\d{2})',
  // Seconds may carry a fraction (2026-08-19T10:00:00.123Z); the time is only read to be sure of the day.
  ss: '(\\d{2}(?:\\.\\d{1,9})?)',
  A: '([AaPp][Mm])',
  Z: '(Z|[+-]\\d{2}(?::?\\d{2})?)',
};

const compiled = new Map<string, { re: RegExp; tokens: Token[] }>();

function compile(format: string) {
  let hit = compiled.get(format);
  if (hit) return hit;
  let re = '';
  const tokens: Token[] = [];
  for (let i = 0; i < format.length; ) {
    const token = TOKENS.find((t) => format.startsWith(t, i));
    if (token) {
      re += TOKEN_RE[token];
      tokens.push(token);
      i += token.length;
    } else {
      re += format[i] === ' ' ? '\\s+' : format[i].replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
      i++;
    }
  }
  hit = { re: new RegExp(`^\\s*${re}\\s*$`), tokens };
  compiled.set(format, hit);
  return hit;
}

/** Reads a date in a day.js-style format (YYYY YY MMMM MMM MM M DD D HH mm ss) as YYYY-MM-DD; null when it does not fit or does not exist. */
export function parseDate(text: string, format: string): string | null {
  const { re, tokens } = compile(format);
  const m = re.exec(text);
  if (!m) return null;
  let y = NaN;
  let mo = NaN;
  let d = NaN;
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i];
    const v = m[i + 1];
    if (t === 'YYYY') y = Number(v);
    else if (t === 'YY') y = 2000 + Number(v) - (Number(v) > 69 ? 100 : 0);
    else if (t === 'MMM' || t === 'MMMM') mo = MONTHS.indexOf(v.slice(0, 3).toLowerCase()) + 1 || NaN;
    else if (t === 'MM' || t === 'M') mo = Number(v);
    else if (t === 'DD' || t === 'D') d = Number(v);
  }
  if (!(mo >= 1 && mo <= 12 && d >= 1 && d <= daysInMonth(y, mo) && y >= 1900 && y <= 2200)) return null;
  return `${y}-${mo < 10 ? '0' : ''}${mo}-${d < 10 ? '0' : ''}${d}`;
}

function daysInMonth(year: number, month: number): number {
  if (month === 2) return year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0) ? 29 : 28;
  return month === 4 || month === 6 || month === 9 || month === 11 ? 30 : 31;
}

/** Formats tried, in order, when a file does not say; every one that reads all the samples is a candidate. */
export const DATE_FORMATS = [
  'YYYY-MM-DD',
  'YYYY-MM-DD HH:mm',
  'YYYY-MM-DD HH:mm:ss',
  'YYYY-MM-DD HH:mm:ss Z',
  'YYYY-MM-DDTHH:mm:ss',
  'YYYY-MM-DDTHH:mm:ssZ',
  'YYYY/MM/DD',
  'YYYY.MM.DD',
  'DD.MM.YYYY',
  'DD.MM.YYYY HH:mm',
  'DD.MM.YYYY HH:mm:ss',
  'DD.MM.YY',
  'D.M.YYYY',
  'M/D/YYYY',
  'M/D/YYYY H:mm',
  'M/D/YYYY H:mm:ss',
  'M/D/YYYY H:mm A',
  'M/D/YY',
  'D/M/YYYY',
  'D/M/YYYY H:mm',
  'D/M/YYYY H:mm:ss',
  'D/M/YY',
  'DD-MM-YYYY',
  'MM-DD-YYYY',
  'MMM D, YYYY',
  'D MMM YYYY',
  'DD MMM YYYY',
  'D-MMM-YYYY',
  'D-MMM-YY',
  'YYYYMMDD',
];

/** A format with day and month swapped (D/M/YYYY for M/D/YYYY), or null when it has no twin. */
function twinOf(format: string): string | null {
  const m = /^(D+|M+)([./-])(D+|M+)/.exec(format);
  if (!m || m[1][0] === m[3][0]) return null;
  return `${m[3]}${m[2]}${m[1]}${format.slice(m[0].length)}`;
}

/** How many neighbouring values go backwards in time: a statement is sorted, one way or the other. */
function disorder(days: string[]): number {
  let up = 0;
  let down = 0;
  for (let i = 1; i < days.length; i++) {
    if (days[i] > days[i - 1]) up++;
    else if (days[i] < days[i - 1]) down++;
  }
  return Math.min(up, down);
}

/**
 * The format that reads every sample, or null. When day-first and month-first both read
 * them (no day above 12), the values decide when they can: the reading that keeps the
 * rows in date order wins; else a file with decimal commas is taken as day-first
 * (European), one with decimal points as month-first.
 */
export function detectDateFormat(samples: string[], decimal: DecimalMark = '.'): string | null {
  const values = samples.filter((s) => s.trim() !== '');
  if (!values.length) return null;
  const fits = DATE_FORMATS.filter((f) => values.every((v) => parseDate(v, f) !== null));
  if (!fits.length) return null;
  const first = fits[0];
  const twin = twinOf(first);
  if (!twin || !fits.includes(twin)) return first;
  const a = disorder(values.map((v) => parseDate(v, first)!));
  const b = disorder(values.map((v) => parseDate(v, twin)!));
  if (a !== b) return a < b ? first : twin;
  const dayFirst = /^D/.test(first) ? first : twin;
  const monthFirst = dayFirst === first ? twin : first;
  return decimal === ',' ? dayFirst : monthFirst;
}

/**
 * "," when more samples read only with decimal commas (1.234,56 or 12,50 €) than only with
 * decimal points; values that read either way (1,234 or 12) do not vote.
 */
export function detectDecimal(samples: string[]): DecimalMark {
  let comma = 0;
  let point = 0;
  for (const v of samples) {
    if (!v.trim()) continue;
    const withPoint = readAmount(v, '.', false);
    const withComma = readAmount(v, ',', false);
    if (withComma && !withPoint) comma++;
    else if (withPoint && !withComma) point++;
  }
  return comma > point ? ',' : '.';
}

/** The description as it is compared: lower case, digits of card numbers and extra spaces gone. */
export function normalizeDescription(text: string): string {
  // Plain ASCII (most statements) needs no Unicode decomposition, and letters and digits are [a-z0-9].
  if (/^[\x00-\x7f]*$/.test(text))
    return text
      .toLowerCase()
      .replace(/[^a-z0-9]+/g, ' ')
      .trim()
      .slice(0, 200);
  return text
    .toLowerCase()
    .normalize('NFKD')
    .replace(/[^\p{L}\p{N}]+/gu, ' ')
    .trim()
    .slice(0, 200);
}
