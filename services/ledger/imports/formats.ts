/**
 * Pure readers for what bank statements put in their cells: dates in day.js-style
 * formats, amounts in either decimal convention with parentheses or trailing
 * minus for negatives, and the normalised description used for fingerprints.
 * No I/O here; tested on real-shaped values.
 */

const MONTHS = ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'];

type Token = 'YYYY' | 'YY' | 'MMMM' | 'MMM' | 'MM' | 'M' | 'DD' | 'D' | 'HH' | 'H' | 'mm' | 'ss';
const TOKENS: Token[] = ['YYYY', 'YY', 'MMMM', 'MMM', 'MM', 'M', 'DD', 'D', 'HH', 'H', 'mm', 'ss'];
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
  ss: '(\\d{2})',
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

/** Formats tried, in order, when a file does not say; the first that reads every sample wins. */
export const DATE_FORMATS = [
  'YYYY-MM-DD',
  'YYYY-MM-DD HH:mm:ss',
  'YYYY-MM-DDTHH:mm:ss',
  'YYYY/MM/DD',
  'DD.MM.YYYY',
  'DD.MM.YY',
  'D.M.YYYY',
  'M/D/YYYY',
  'M/D/YY',
  'D/M/YYYY',
  'D/M/YY',
  'DD-MM-YYYY',
  'MMM D, YYYY',
  'D MMM YYYY',
  'DD MMM YYYY',
  'YYYYMMDD',
];

/**
 * The format that reads every sample. When both M/D and D/M fit (no day above 12),
 * a file with decimal commas is taken as European.
 */
export function detectDateFormat(samples: string[], decimal: '.' | ',' = '.'): string | null {
  const values = samples.filter((s) => s.trim() !== '');
  if (!values.length) return null;
  const fits = DATE_FORMATS.filter((f) => values.every((v) => parseDate(v, f) !== null));
  if (!fits.length) return null;
  if (decimal === ',') {
    const european = fits.find((f) => f.startsWith('D'));
    if (european) return european;
  }
  return fits[0];
}

const AMOUNT_RE = {
  '.': /^(\d{1,3}(?:,\d{3})+|\d+)(?:\.(\d+))?$/,
  ',': /^(\d{1,3}(?:\.\d{3})+|\d+)(?:,(\d+))?$/,
};

/**
 * Reads an amount as minor units with `digits` decimals: "1,234.56", "1.234,56",
 * "(12.00)", "12.00-", "-€ 5", "1'234.50". Returns null when it is not a number.
 */
export function parseAmount(text: string, decimal: '.' | ',', digits = 2): number | null {
  let s = text.trim();
  if (s === '') return null;
  let negative = false;
  if (/^\(.*\)$/.test(s)) {
    negative = true;
    s = s.slice(1, -1);
  }
  s = s
    .replace(/[\s\u00a0'’]/g, '')
    .replace(/^[A-Z]{3}|[A-Z]{3}$/g, '')
    .replace(/[$€£¥₹]/g, '');
  if (s.endsWith('-')) {
    negative = !negative;
    s = s.slice(0, -1);
  } else if (s.startsWith('-')) {
    negative = !negative;
    s = s.slice(1);
  } else if (s.startsWith('+')) s = s.slice(1);
  const thousands = decimal === '.' ? ',' : '.';
  const m = AMOUNT_RE[decimal].exec(s);
  if (!m) return null;
  const whole = m[1].split(thousands).join('');
  const frac = m[2] ?? '';
  if (frac.length > digits) return null;
  const minor = Number(whole) * 10 ** digits + Number(frac.padEnd(digits, '0') || '0');
  if (!Number.isSafeInteger(minor)) return null;
  return negative ? -minor : minor;
}

/** "," when the samples read as decimal commas (1.234,56 or 12,50) and not as decimal points. */
export function detectDecimal(samples: string[]): '.' | ',' {
  let comma = 0;
  let point = 0;
  for (const v of samples) {
    if (/\d,\d{1,2}\)?-?$/.test(v.trim())) comma++;
    if (/\d\.\d{1,2}\)?-?$/.test(v.trim())) point++;
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
