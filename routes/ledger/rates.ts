import { readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Router } from 'express';
import * as rates from '../../services/ledger/exchange-rates.ts';
import { Validation } from '../../services/core/errors.ts';
import type { AppDeps } from '../support/deps.ts';
import { redirectAfterPost, render } from '../support/render.ts';
import { parseForm } from '../support/validate.ts';
import { flash } from '../support/session.ts';
import { requireManager } from '../support/tenant.ts';
import { requireFile, singleFileUpload } from '../support/upload.ts';

const view = { page: 'pages/rates/index.njk' };

/**
 * The business's own exchange rates, entered by hand or imported from a CSV, beside the
 * synced reference rates (read-only). Owners and admins change them.
 */
export function rateRoutes({ db }: AppDeps): Router {
  const router = Router({ mergeParams: true });
  const upload = singleFileUpload(path.join(os.tmpdir(), 'bursar-rates'), 5 * 1024 * 1024);
  const home = (businessId: string) => `/b/${businessId}/rates`;

  router.get('/rates', async (req, res) => {
    render(req, res, view, { rates: await rates.recentRates(db, res.locals.business.id), values: { quote: res.locals.business.currency }, errors: {} });
  });

  router.post('/rates', requireManager, async (req, res) => {
    const input = parseForm(rates.rateForm, req.body);
    if (!input.ok) return render(req, res, { ...view, status: 422 }, { rates: await rates.recentRates(db, res.locals.business.id), values: req.body, errors: input.errors });
    await rates.upsertRates(db, res.locals.business.id, [input.data]);
    flash(req, 'success', 'Rate saved.');
    redirectAfterPost(req, res, home(res.locals.business.id));
  });

  // An import of rates is its own resource (a file of them), separate from one rate typed in.
  router.post('/rate-imports', requireManager, upload, async (req, res) => {
    try {
      const file = requireFile(req.file);
      const parsed = rates.parseRatesCsv(await readFile(file.path, 'utf8'));
      const n = await rates.upsertRates(db, res.locals.business.id, parsed, 'csv');
      flash(req, 'success', `${n} rate${n === 1 ? '' : 's'} imported.`);
      redirectAfterPost(req, res, home(res.locals.business.id));
    } catch (err) {
      if (!(err instanceof Validation)) throw err;
      render(req, res, { ...view, status: 422 }, { rates: await rates.recentRates(db, res.locals.business.id), values: {}, errors: err.details });
    } finally {
      if (req.file) await rm(req.file.path, { force: true });
    }
  });

  return router;
}
