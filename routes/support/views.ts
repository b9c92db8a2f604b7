import path from 'node:path';
import type { Application, Express } from 'express';
import nunjucks from 'nunjucks';
import { formatMoney, formatMoneyCompact, numberFormat } from '../../services/core/money.ts';
import { ICONS } from '../../services/ledger/categories.ts';
import { answerHtml, escapeHtml } from '../../services/agent/markdown.ts';
import { formatBytes } from '../../services/ledger/receipts/index.ts';
import { categoryIconSvg, uiIconSvg } from './icons.ts';

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

// Built once: an Intl formatter per call was the largest cost of rendering a 50-row list.
const DAY = new Intl.DateTimeFormat('en-US', { timeZone: 'UTC', year: 'numeric', month: 'short', day: 'numeric' });

const ENV_SETTING = 'nunjucks environment';

function trendCell(v: number | null | undefined, unit: string, currency: string): string {
  if (v === null || v === undefined) return '—';
  if (unit === 'money') return formatMoney(v, currency);
  return unit === 'ratio' ? `${Math.round(v * 100 * 10) / 10}%` : String(Math.round(v * 10) / 10);
}

/**
 * Renders a template synchronously, with the same context res.render would give
 * (app.locals, res.locals, then `data`). Nunjucks' callback path schedules every
 * include through its async helpers, which cost more than the rendering itself.
 */
export function renderTemplate(app: Application, locals: Record<string, unknown>, name: string, data: Record<string, unknown>): string {
  const env = app.get(ENV_SETTING) as nunjucks.Environment;
  return env.render(name.endsWith('.njk') ? name : `${name}.njk`, { ...app.locals, ...locals, ...data });
}

/** Nunjucks with autoescape, and the few filters every template shares. */
export function configureViews(app: Express, root: string, watch: boolean): nunjucks.Environment {
  const env = new nunjucks.Environment(new nunjucks.FileSystemLoader(path.join(root, 'views'), { noCache: watch }), {
    autoescape: true,
    throwOnUndefined: false,
  });
  env.addFilter('money', (amount: number | null | undefined, currency: string) => (amount === null || amount === undefined ? '—' : formatMoney(amount, currency)));
  env.addFilter('moneyCompact', (amount: number, currency: string) => formatMoneyCompact(amount, currency));
  env.addFilter('kindLabel', (kind: string) => KIND_LABELS[kind] ?? kind);
  // A calendar day ('2026-11-25') or a timestamp (a Date from a timestamptz column), as 'Nov 25, 2026'.
  env.addFilter('date', (value: string | Date | null | undefined) => {
    if (!value) return '';
    const day = value instanceof Date ? value : new Date(`${String(value).slice(0, 10)}T00:00:00Z`);
    return Number.isNaN(day.getTime()) ? String(value) : DAY.format(day);
  });
  env.addFilter('isoTime', (value: string | Date) => (value instanceof Date ? value.toISOString() : String(value ?? '')));
  env.addFilter('number', (n: number) => numberFormat('en-US').format(n));
  // The cells of one row of a report's trend table, a figure each: money, a ratio as percent,
  // or a number to one decimal; a dash where there is no value. Made here rather than by a
  // loop in the template: a quarter by day is 630 cells, and a template loop sets seven
  // loop variables for each.
  env.addFilter('trendCells', (series: Record<string, (number | null)[]>, figures: { key: string; unit: string }[], i: number, currency: string) => {
    let html = '';
    // A figure of today (burn, runway) has no series: it has no value on a day of the range.
    for (const f of figures) if (series[f.key]) html += `<td class="num">${escapeHtml(trendCell(series[f.key][i], f.unit, currency))}</td>`;
    return new nunjucks.runtime.SafeString(html);
  });
  env.addFilter('bytes', (n: number) => formatBytes(Number(n)));
  env.addFilter('answer', (text: string) => new nunjucks.runtime.SafeString(answerHtml(text ?? '')));
  env.addGlobal('kindLabels', KIND_LABELS);
  // A drawn icon rather than the emoji: servers and kiosks often lack an emoji font.
  env.addFilter('categoryIcon', (icon: string) => new nunjucks.runtime.SafeString(categoryIconSvg(ICONS[icon] ? icon : 'tag')));
  env.addGlobal('uiIcon', (name: string) => new nunjucks.runtime.SafeString(uiIconSvg(name)));
  env.addGlobal('categoryIcons', ICONS);
  env.express(app);
  app.set('view engine', 'njk');
  app.set(ENV_SETTING, env);
  return env;
}
