/**
 * The one way Bursar writes CSV (RFC 4180): a field is quoted when it holds a comma, a
 * quote or a line break, with quotes doubled. Text that a spreadsheet would run as a
 * formula (starting with = + - @, a tab or a carriage return) gets a leading apostrophe;
 * a plain number such as -12.50 is a number, not a formula, and is written as it is.
 */
export function csvCell(value: string | number): string {
  const text = String(value);
  if (/^-?\d+(\.\d+)?$/.test(text)) return text;
  const safe = /^[=+\-@\t\r]/.test(text) ? `'${text}` : text;
  return /[",\r\n]|^\s|\s$/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
}

/** One CSV record, ended by the CRLF that RFC 4180 asks for. */
export function csvRow(values: (string | number)[]): string {
  return `${values.map(csvCell).join(',')}\r\n`;
}
