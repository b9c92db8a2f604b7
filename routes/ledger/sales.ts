import { Router } from 'express';
import * as sales from '../../services/ledger/sales.ts';
import { isoDate } from '../../services/core/clock.ts';
import { Validation } from '../../services/core/errors.ts';
import type { AppDeps } from '../support/deps.ts';
import { redirectAfterPost, render } from '../support/render.ts';
import { parseForm } from '../support/validate.ts';
import { flash } from '../support/session.ts';
import { requireWriter } from '../support/tenant.ts';

const page = { page: 'pages/sales/new.njk' };

/** A sale entered by hand (with a SKU and quantity when the business has products). */
export function saleRoutes({ db, clock }: AppDeps): Router {
  const router = Router({ mergeParams: true });

  router.get('/sales/new', requireWriter, async (req, res) => {
    const products = await sales.products(db, res.locals.business.id);
    render(req, res, page, { products, values: { occurred_on: isoDate(clock.now()), currency: res.locals.business.currency }, errors: {} });
  });

  router.post('/sales', requireWriter, async (req, res) => {
    const business = res.locals.business;
    const fail = async (errors: Record<string, string[]>) => render(req, res, { ...page, status: 422 }, { products: await sales.products(db, business.id), values: req.body, errors });
    const input = parseForm(sales.saleForm(business.currency, business.decimal_mark ?? '.'), req.body);
    if (!input.ok) return fail(input.errors);
    try {
      await sales.create(db, business, { userId: res.locals.user.id, now: clock.now() }, input.data);
    } catch (err) {
      if (err instanceof Validation) return fail(err.details ?? {});
      throw err;
    }
    flash(req, 'success', `Sale recorded: “${input.data.description}”. It counts in the dashboard and the P&L now.`);
    redirectAfterPost(req, res, `/b/${business.id}/sales/new`);
  });

  return router;
}
