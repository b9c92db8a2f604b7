import { Router } from 'express';
import { z } from 'zod';
import * as pnl from '../../../services/reports/pnl.ts';
import type { AppDeps } from '../../support/deps.ts';
import { parseOrThrow } from '../../support/validate.ts';
import { day } from '../../../services/core/dates.ts';

const pnlQuery = z.object({ start_date: day(), end_date: day() }).refine((q) => q.start_date <= q.end_date, { message: 'start_date must not be after end_date', path: ['end_date'] });

/** The P&L by month as JSON. Money is integer minor units of the business's base currency, named in `currency`. */
export function pnlApiRoutes(deps: AppDeps): Router {
  const { db } = deps;
  const router = Router();

  router.get('/pnl', async (req, res) => {
    const { business } = res.locals;
    const q = parseOrThrow(pnlQuery, req.query);
    const s = await pnl.statement(db, business.id, { from: q.start_date, to: q.end_date });
    res.json({
      business_id: business.id,
      currency: business.currency,
      start_date: q.start_date,
      end_date: q.end_date,
      months: s.months.map((m) => ({ month: m.key, start_date: m.from, end_date: m.to })),
      lines: s.lines.map((l) => ({ key: l.key, label: l.label, level: l.level, category_id: l.categoryId ?? null, cells: l.cells, total: l.total })),
      totals: Object.fromEntries(s.lines.filter((l) => l.level !== 'line').map((l) => [l.key, l.total])),
    });
  });

  return router;
}
