import { readFile } from 'node:fs/promises';
import { Router, type Request, type Response } from 'express';
import { htmlToPdf } from '../../services/reports/pdf.ts';
import { renderTemplate } from '../support/views.ts';
import { limitHeavy } from '../support/heavy.ts';
import { z } from 'zod';
import * as pnl from '../../services/reports/pnl.ts';
import { isoDate } from '../../services/core/clock.ts';
import { minorDigits } from '../../services/core/money.ts';
import { PRESET_LABELS } from '../../services/reports/periods.ts';
import type { AppDeps } from '../support/deps.ts';
import { render, renderCached } from '../support/render.ts';
import { parseOrThrow } from '../support/validate.ts';
import { rangeQuery, rangeOf } from '../support/range.ts';
import { day } from '../../services/core/dates.ts';
import { uuid, UUID_PATTERN } from '../../services/core/ids.ts';

const query = rangeQuery('last_12_months');
const CSS = new URL('../../public/css/app.css', import.meta.url);
const PRINTED = new Intl.DateTimeFormat('en-US', { dateStyle: 'medium', timeStyle: 'short', timeZone: 'UTC' });
const PNL_PRESETS = ['this_month', 'last_month', 'quarter', 'year_to_date', 'last_12_months', 'custom'] as const;

const drillQuery = z.object({
  line: z.enum(pnl.DRILLABLE_LINES),
  category: uuid().optional(),
  from: day(),
  to: day(),
  after: z
    .string()
    .regex(new RegExp(`^\\d{4}-\\d{2}-\\d{2}_${UUID_PATTERN}$`, 'i'))
    .optional(),
});

/** Profit and loss by month, its CSV, and the ledger rows behind a cell. */
export function pnlRoutes(deps: AppDeps): Router {
  const { db, clock } = deps;
  const router = Router({ mergeParams: true });
  // Literal paths before /pnl so "rows" and ".csv" are never read as something else.
  router.get('/pnl/rows', async (req, res) => {
    const q = parseOrThrow(drillQuery, req.query);
    const page = await pnl.rowsBehind(db, res.locals.business.id, { ...q, category: q.category ?? null }, q.after ?? null);
    render(req, res, { page: 'pages/business/pnl-rows.njk', partial: q.after ? 'partials/pnl/rows-page.njk' : 'partials/pnl/rows.njk' }, { q, page });
  });
  router.get('/pnl.csv', async (req, res) => {
    const { range } = rangeOf(parseOrThrow(query, req.query), isoDate(clock.now()));
    const statement = await pnl.statement(db, res.locals.business.id, range);
    res
      .type('text/csv')
      .attachment(`pnl-${range.from}-${range.to}.csv`)
      .send(pnl.toCsv(statement, minorDigits(res.locals.business.currency)));
  });
  // The P&L on paper: a PDF from headless Chromium when there is one, else the print view.
  async function printView(req: Request, res: Response, inline: boolean): Promise<string> {
    const now = clock.now();
    const { preset, range } = rangeOf(parseOrThrow(query, req.query), isoDate(now));
    const statement = await pnl.statement(db, res.locals.business.id, range);
    const fragment = renderTemplate(req.app, { business: res.locals.business }, 'partials/pnl/statement.njk', { statement, preset, presets: PNL_PRESETS, presetLabels: PRESET_LABELS });
    const inlineCss = inline ? await readFile(CSS, 'utf8') : null;
    return renderTemplate(req.app, res.locals, 'pages/business/pnl-print.njk', { fragment, statement, inlineCss, printedAt: `${PRINTED.format(now)} UTC` });
  }
  router.get('/pnl/print', async (req, res) => {
    res.type('html').send(await printView(req, res, false));
  });
  router.get('/pnl.pdf', limitHeavy(deps, 'export'), async (req, res) => {
    const pdf = await htmlToPdf(await printView(req, res, true), deps.config.pdfChromium);
    if (!pdf) return res.redirect(303, `/b/${res.locals.business.id}/pnl/print${req.originalUrl.includes('?') ? req.originalUrl.slice(req.originalUrl.indexOf('?')) : ''}`);
    const { range } = rangeOf(parseOrThrow(query, req.query), isoDate(clock.now()));
    res.type('application/pdf').attachment(`pnl-${range.from}-${range.to}.pdf`).send(pdf);
  });
  router.get('/pnl', async (req, res) => {
    const { preset, range } = rangeOf(parseOrThrow(query, req.query), isoDate(clock.now()));
    await renderCached(req, res, { page: 'pages/business/pnl.njk', partial: 'partials/pnl/statement.njk' }, `${preset}|${range.from}|${range.to}`, async () => ({
      statement: await pnl.statement(db, res.locals.business.id, range),
      preset,
      presets: PNL_PRESETS,
      presetLabels: PRESET_LABELS,
    }));
  });
  return router;
}
