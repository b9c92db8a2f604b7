import path from 'node:path';
import type { Express } from 'express';
import nunjucks from 'nunjucks';
import { formatMoney, formatMoneyCompact } from '../../services/core/money.ts';
import { ICONS } from '../../services/categories.ts';
import { answerHtml } from '../../services/agent/markdown.ts';
import { formatBytes } from '../../services/receipts/index.ts';

const KIND_LABELS: Record<string, string> = {
  sale: 'Sale',
  refund: 'Refund',
  fee: 'Fee',
  chargeback: 'Chargeback',
  payout: 'Payout',
  ad_spend: 'Ad spend',
  cogs: 'Cost of goods',
  expense: 'Expense',
  other_income: 'Other income',
  transfer: 'Transfer',
};

/** Nunjucks with autoescape, and the few filters every template shares. */
export function configureViews(app: Express, root: string, watch: boolean): nunjucks.Environment {
  const env = new nunjucks.Environment(new nunjucks.FileSystemLoader(path.join(root, 'views'), { noCache: watch }), {
    autoescape: true,
    throwOnUndefined: false,
  });
  env.addFilter('money', (amount: number | null | undefined, currency: string) =>
    amount === null || amount === undefined ? '—' : formatMoney(amount, currency),
  );
  env.addFilter('moneyCompact', (amount: number, currency: string) => formatMoneyCompact(amount, currency));
  env.addFilter('kindLabel', (kind: string) => KIND_LABELS[kind] ?? kind);
  env.addFilter('date', (iso: string | Date) => {
    if (!iso) return '';
    // A timestamptz arrives as a Date; its day is the UTC one, as for every other date shown.
    const day = iso instanceof Date ? iso.toISOString().slice(0, 10) : String(iso).slice(0, 10);
    return new Date(`${day}T00:00:00Z`).toLocaleDateString('en-US', { timeZone: 'UTC', year: 'numeric', month: 'short', day: 'numeric' });
  });
  env.addFilter('percentChange', (current: number, previous: number) => {
    if (!previous) return null;
    return Math.round(((current - previous) / Math.abs(previous)) * 1000) / 10;
  });
  env.addFilter('number', (n: number) => new Intl.NumberFormat('en-US').format(n));
  env.addFilter('bytes', (n: number) => formatBytes(Number(n)));
  env.addFilter('answer', (text: string) => new nunjucks.runtime.SafeString(answerHtml(text ?? '')));
  env.addGlobal('kindLabels', KIND_LABELS);
  // A letter badge rather than the emoji: servers and kiosks often lack an emoji font.
  env.addFilter('categoryIcon', (icon: string) => (ICONS[icon] ? icon : 'tag').charAt(0).toUpperCase());
  env.addGlobal('categoryIcons', ICONS);
  env.express(app);
  app.set('view engine', 'njk');
  return env;
}
