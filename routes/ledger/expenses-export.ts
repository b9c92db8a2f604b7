import type { Response } from 'express';
import type { Expense } from '../../services/ledger/expenses.ts';
import { toDecimal } from '../../services/core/money.ts';

function cell(value: string): string {
  // Quote every field, and defuse spreadsheet formulas in text a user or a bank wrote.
  const safe = /^[=+\-@\t\r]/.test(value) ? `'${value}` : value;
  return `"${safe.replace(/"/g, '""')}"`;
}

/**
 * Streams expenses as CSV, honouring back-pressure, so an export of any size holds
 * one page in memory. Amounts are positive amounts spent, as on the page.
 */
export async function writeExpensesCsv(res: Response, rows: AsyncIterable<Expense>, filename: string, baseCurrency: string): Promise<void> {
  res.status(200).type('text/csv; charset=utf-8').attachment(filename);
  res.write(`date,description,counterparty,category,amount,currency,amount_in_${baseCurrency}\r\n`);
  for await (const e of rows) {
    const line = [e.occurred_on, cell(e.description), cell(e.counterparty ?? ''), cell(e.category_name ?? ''), toDecimal(e.spent, e.currency), e.currency, toDecimal(e.spent_base, baseCurrency)].join(',');
    if (!res.write(`${line}\r\n`)) await new Promise((resolve) => res.once('drain', resolve));
  }
  res.end();
}
