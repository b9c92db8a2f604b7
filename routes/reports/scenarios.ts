import { day } from '../../services/core/dates.ts';
import { Router } from 'express';
import { z } from 'zod';
import * as scenarios from '../../services/reports/scenarios.ts';
import { isoDate } from '../../services/core/clock.ts';
import { type DecimalMark, parseMoney } from '../../services/core/money.ts';
import type { AppDeps } from '../support/deps.ts';
import { render, redirectAfterPost } from '../support/render.ts';
import { parseForm } from '../support/validate.ts';
import { requireWriter } from '../support/tenant.ts';
import { flash } from '../support/session.ts';
import { uuid } from '../../services/core/ids.ts';

const percent = z.preprocess((v) => (v === '' || v === undefined ? 0 : Number(v) / 100), z.number().min(-0.99, 'At least -99 %.').max(10, 'At most +1000 %.'));
const optionalDay = z.preprocess((v) => (v === '' ? null : v), day().nullable().default(null));

/** The scenario form; money fields are typed in major units and stored in minor units. */
function scenarioSchema(currency: string, decimal: DecimalMark = '.') {
  const money = z.preprocess((v) => (v === '' || v === undefined ? 0 : parseMoney(String(v), currency, decimal)), z.number({ message: 'Enter an amount like 1,250.00.' }).int().min(0));
  return z
    .object({
      name: z.string().trim().min(1, 'Give the scenario a name.').max(80),
      revenue_growth: percent,
      ad_spend_change: percent,
      price_change: percent,
      hire_monthly_cost: money,
      hire_from: optionalDay,
      loan_amount: money,
      loan_on: optionalDay,
      loan_monthly_repayment: money,
      loan_months: z.preprocess((v) => (v === '' || v === undefined ? 0 : Number(v)), z.number().int().min(0).max(360)),
    })
    .refine((s) => !s.hire_monthly_cost || s.hire_from, { message: 'Say from when the hire is paid.', path: ['hire_from'] })
    .refine((s) => !s.loan_amount || s.loan_on, { message: 'Say when the loan arrives.', path: ['loan_on'] });
}

const NO_ID = '00000000-0000-0000-0000-000000000000';

/** What-if scenarios, saved per business, each compared with the baseline. */
export function scenarioRoutes({ db, clock }: AppDeps): Router {
  const router = Router({ mergeParams: true });
  router.get('/scenarios', async (req, res) => {
    const list = await scenarios.list(db, res.locals.business.id);
    render(req, res, { page: 'pages/business/scenarios.njk', partial: 'partials/scenarios/form.njk' }, { list, values: {}, errors: {} });
  });
  router.post('/scenarios', requireWriter, async (req, res) => {
    const parsed = parseForm(scenarioSchema(res.locals.business.currency, res.locals.business.decimal_mark), req.body);
    if (!parsed.ok) {
      const list = await scenarios.list(db, res.locals.business.id);
      render(req, res, { page: 'pages/business/scenarios.njk', partial: 'partials/scenarios/form.njk', status: 422 }, { list, values: req.body, errors: parsed.errors });
      return;
    }
    const created = await scenarios.create(db, res.locals.business.id, res.locals.user.id, parsed.data);
    redirectAfterPost(req, res, `/b/${res.locals.business.id}/scenarios/${created.id}`);
  });
  router.post('/scenarios/:scenarioId/deletion', requireWriter, async (req, res) => {
    const id = uuid().safeParse(req.params.scenarioId);
    const scenario = await scenarios.get(db, res.locals.business.id, id.success ? id.data : NO_ID);
    await scenarios.remove(db, res.locals.business.id, scenario.id);
    flash(req, 'success', `Deleted the scenario “${scenario.name}”.`);
    redirectAfterPost(req, res, `/b/${res.locals.business.id}/scenarios`);
  });
  router.get('/scenarios/:scenarioId', async (req, res) => {
    const id = uuid().safeParse(req.params.scenarioId);
    const data = await scenarios.compare(db, res.locals.business.id, id.success ? id.data : NO_ID, isoDate(clock.now()));
    render(req, res, { page: 'pages/business/scenario.njk' }, data);
  });
  return router;
}
