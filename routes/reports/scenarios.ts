import { day } from '../../services/core/dates.ts';
import { Router } from 'express';
import { z } from 'zod';
import * as scenarios from '../../services/reports/scenarios.ts';
import { isoDate } from '../../services/core/clock.ts';
import { type DecimalMark, parseMoney, toDecimal } from '../../services/core/money.ts';
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

/** A saved scenario as its form shows it: percentages as percent, money in major units. */
function formValues(s: scenarios.Scenario, currency: string): Record<string, string> {
  const pct = (v: number) => String(Math.round(v * 100 * 1000) / 1000);
  return {
    name: s.name,
    revenue_growth: pct(s.revenue_growth),
    price_change: pct(s.price_change),
    ad_spend_change: pct(s.ad_spend_change),
    hire_monthly_cost: s.hire_monthly_cost ? toDecimal(Number(s.hire_monthly_cost), currency) : '',
    hire_from: s.hire_from ? String(s.hire_from).slice(0, 10) : '',
    loan_amount: s.loan_amount ? toDecimal(Number(s.loan_amount), currency) : '',
    loan_on: s.loan_on ? String(s.loan_on).slice(0, 10) : '',
    loan_monthly_repayment: s.loan_monthly_repayment ? toDecimal(Number(s.loan_monthly_repayment), currency) : '',
    loan_months: s.loan_months ? String(s.loan_months) : '',
  };
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
  // Literal "/edit" is matched before the bare id only because it is longer; the order does not matter here.
  router.get('/scenarios/:scenarioId/edit', requireWriter, async (req, res) => {
    const id = uuid().safeParse(req.params.scenarioId);
    const scenario = await scenarios.get(db, res.locals.business.id, id.success ? id.data : NO_ID);
    render(req, res, { page: 'pages/business/scenario-edit.njk' }, { scenario, values: formValues(scenario, res.locals.business.currency), errors: {} });
  });
  router.post('/scenarios/:scenarioId', requireWriter, async (req, res) => {
    const id = uuid().safeParse(req.params.scenarioId);
    const scenario = await scenarios.get(db, res.locals.business.id, id.success ? id.data : NO_ID);
    const parsed = parseForm(scenarioSchema(res.locals.business.currency), req.body);
    if (!parsed.ok) {
      render(req, res, { page: 'pages/business/scenario-edit.njk', partial: 'partials/scenarios/form.njk', status: 422 }, { scenario, values: req.body, errors: parsed.errors });
      return;
    }
    await scenarios.update(db, res.locals.business.id, scenario.id, parsed.data);
    flash(req, 'success', `Saved the scenario “${parsed.data.name}”.`);
    redirectAfterPost(req, res, `/b/${res.locals.business.id}/scenarios/${scenario.id}`);
  });
  router.get('/scenarios/:scenarioId', async (req, res) => {
    const id = uuid().safeParse(req.params.scenarioId);
    const data = await scenarios.compare(db, res.locals.business.id, id.success ? id.data : NO_ID, isoDate(clock.now()));
    render(req, res, { page: 'pages/business/scenario.njk' }, data);
  });
  return router;
}
