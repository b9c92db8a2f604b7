import type { Response } from 'express';
import type { Expense } from '../../services/ledger/expenses.ts';
import { toDecimal } from '../../services/core/money.ts';
import { csvRow } from '../../services/core/csv.ts';

/**
 * Streams expenses as CSV, honouring back-pressure, so an export of any size holds
 * one page in memory. Amounts are positive amounts spent, as on the page.
 */
export async function writeExpensesCsv(res: Response, rows: AsyncIterable<Expense>, filename: string, baseCurrency: string): Promise<void> {
  res.status(200).type('text/csv; charset=utf-8').attachment(filename);
  res.write(csvRow(['date', 'description', 'counterparty', 'category', 'amount', 'currency', `amount_in_${baseCurrency}`]));
  for await (const e of rows) {
    const line = csvRow([e.occurred_on, e.description, e.counterparty ?? '', e.category_name ?? '', toDecimal(e.spent, e.currency), e.currency, toDecimal(e.spent_base, baseCurrency)]);
    if (!res.write(line)) await new Promise((resolve) => res.once('drain', resolve));
  }
  res.end();
}
