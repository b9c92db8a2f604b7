import { Router } from 'express';
import * as businesses from '../../services/access/businesses.ts';
import * as receipts from '../../services/ledger/receipts/index.ts';
import { toDecimal } from '../../services/core/money.ts';
import type { AppDeps } from '../support/deps.ts';
import { redirectAfterPost, render } from '../support/render.ts';
import { parseForm } from '../support/validate.ts';
import { flash } from '../support/session.ts';
import { requireManager, requireRole } from '../support/tenant.ts';
import { Validation } from '../../services/core/errors.ts';

const view = { page: 'pages/business/settings.njk', partial: 'partials/businesses/form.njk' };

/** The business's own details; owners and admins change them. */
export function settingsRoutes({ db, config, logger }: AppDeps): Router {
  const router = Router({ mergeParams: true });
  const receiptStore = receipts.createReceiptStore(config.receipts);

  router.get('/settings', (req, res) => {
    const b = res.locals.business;
    const values = { ...b, revenue_estimate: b.revenue_estimate === null ? '' : toDecimal(b.revenue_estimate, b.currency, b.decimal_mark) };
    render(req, res, view, { values, errors: {}, industries: businesses.INDUSTRIES });
  });

  router.post('/settings', requireManager, async (req, res) => {
    const input = parseForm(businesses.businessInput, req.body);
    if (!input.ok) return render(req, res, { ...view, status: 422 }, { values: req.body, errors: input.errors, industries: businesses.INDUSTRIES });
    await businesses.update(db, res.locals.business.id, input.data);
    flash(req, 'success', 'Business details saved.');
    redirectAfterPost(req, res, `/b/${res.locals.business.id}/settings`);
  });

  // Deleting the business is the owners' alone, like billing.
  router.post('/settings/deletion', requireRole('owner'), async (req, res) => {
    const b = res.locals.business;
    const input = parseForm(businesses.deletionInput, req.body);
    // The receipts' rows go with the business by cascade; their files are deleted after it.
    const receiptFiles = await receipts.storageKeys(db, b.id);
    try {
      if (!input.ok) throw new Validation(input.errors);
      await businesses.remove(db, b, input.data.confirm_name);
    } catch (err) {
      if (!(err instanceof Validation)) throw err;
      const values = { ...b, revenue_estimate: b.revenue_estimate === null ? '' : toDecimal(b.revenue_estimate, b.currency, b.decimal_mark) };
      return render(req, res, { page: view.page, status: 422 }, { values, errors: {}, deleteErrors: err.details, industries: businesses.INDUSTRIES });
    }
    await receipts.deleteStored(receiptStore, receiptFiles, req.log ?? logger);
    flash(req, 'success', `${b.name} and all its data are deleted.`);
    redirectAfterPost(req, res, '/businesses');
  });

  return router;
}
