import { Router, type Request, type Response } from 'express';
import { z } from 'zod';
import * as rules from '../../services/ledger/rules.ts';
import * as categories from '../../services/ledger/categories.ts';
import * as expenses from '../../services/ledger/expenses.ts';
import { Validation } from '../../services/core/errors.ts';
import { toDecimal } from '../../services/core/money.ts';
import type { AppDeps } from '../support/deps.ts';
import { redirectAfterPost, render } from '../support/render.ts';
import { parseForm, parseOrThrow } from '../support/validate.ts';
import { flash } from '../support/session.ts';
import { requireWriter } from '../support/tenant.ts';

const listView = { page: 'pages/rules/index.njk', partial: 'partials/rules/preview.njk' };

const positionForm = z.object({ position: z.coerce.number({ error: 'Give a place in the order.' }).int().min(1, 'Places start at 1.').max(100_000) });
const statusForm = z.object({ enabled: z.enum(['true', 'false'], { error: 'Say on or off.' }).transform((v) => v === 'true') });

/**
 * Categorisation rules: list, add with a preview of the rows it would change, edit,
 * reorder, switch on and off, delete, apply to a filter.
 */
export function ruleRoutes({ db, clock }: AppDeps): Router {
  const router = Router({ mergeParams: true });
  const home = (res: Response) => `/b/${res.locals.business.id}/rules`;

  async function listData(_req: Request, res: Response, values: Record<string, unknown> = {}, errors: Record<string, string[]> = {}) {
    const id = res.locals.business.id;
    const [list, cats] = await Promise.all([rules.list(db, id), categories.list(db, id)]);
    return { rules: list, categories: cats, values, errors, preview: null as Awaited<ReturnType<typeof rules.preview>> | null };
  }

  router.get('/rules', async (req, res) => {
    render(req, res, listView, await listData(req, res));
  });

  // The preview is a read: the same form, sent with GET, shows the rows the rule would change.
  router.get('/rule-previews', async (req, res) => {
    const input = parseForm(rules.ruleForm(res.locals.business.currency, res.locals.business.decimal_mark), req.query);
    const data = await listData(req, res, req.query, input.ok ? {} : input.errors);
    try {
      if (input.ok) data.preview = await rules.preview(db, res.locals.business.id, input.data, {});
    } catch (err) {
      if (!(err instanceof Validation)) throw err;
      data.errors = err.details ?? {};
    }
    render(req, res, { ...listView, status: input.ok && !Object.keys(data.errors).length ? 200 : 422 }, data);
  });

  router.post('/rules', requireWriter, async (req, res) => {
    const input = parseForm(rules.ruleForm(res.locals.business.currency, res.locals.business.decimal_mark), req.body);
    const fail = async (errors: Record<string, string[]>) => render(req, res, { page: listView.page, status: 422 }, await listData(req, res, req.body, errors));
    if (!input.ok) return fail(input.errors);
    try {
      await rules.create(db, res.locals.business.id, input.data);
    } catch (err) {
      if (err instanceof Validation) return fail(err.details ?? {});
      throw err;
    }
    redirectAfterPost(req, res, home(res));
  });

  router.get('/rules/:ruleId/edit', requireWriter, async (req: Request<{ businessId: string; ruleId: string }>, res) => {
    const rule = await rules.get(db, res.locals.business.id, req.params.ruleId);
    const data = await listData(req, res, formValues(rule, res.locals.business.currency));
    render(req, res, { page: 'pages/rules/edit.njk' }, { ...data, rule, place: data.rules.findIndex((r) => r.id === rule.id) + 1 });
  });

  router.post('/rules/:ruleId', requireWriter, async (req: Request<{ businessId: string; ruleId: string }>, res) => {
    const rule = await rules.get(db, res.locals.business.id, req.params.ruleId);
    const input = parseForm(rules.ruleForm(res.locals.business.currency), req.body);
    const fail = async (errors: Record<string, string[]>) => {
      const data = await listData(req, res, req.body, errors);
      render(req, res, { page: 'pages/rules/edit.njk', status: 422 }, { ...data, rule, place: data.rules.findIndex((r) => r.id === rule.id) + 1 });
    };
    if (!input.ok) return fail(input.errors);
    try {
      await rules.update(db, res.locals.business.id, rule.id, input.data);
    } catch (err) {
      if (err instanceof Validation) return fail(err.details ?? {});
      throw err;
    }
    flash(req, 'success', 'Rule saved.');
    redirectAfterPost(req, res, home(res));
  });

  // A rule's place in the order, 1 first: the Up and Down buttons and a drag both send it.
  router.post('/rules/:ruleId/position', requireWriter, async (req: Request<{ businessId: string; ruleId: string }>, res) => {
    const { position } = parseOrThrow(positionForm, req.body);
    await rules.move(db, res.locals.business.id, req.params.ruleId, position);
    redirectAfterPost(req, res, home(res));
  });

  router.post('/rules/:ruleId/status', requireWriter, async (req: Request<{ businessId: string; ruleId: string }>, res) => {
    const { enabled } = parseOrThrow(statusForm, req.body);
    await rules.setEnabled(db, res.locals.business.id, req.params.ruleId, enabled);
    redirectAfterPost(req, res, home(res));
  });

  router.post('/rules/:ruleId/deletion', requireWriter, async (req: Request<{ businessId: string; ruleId: string }>, res) => {
    await rules.remove(db, res.locals.business.id, req.params.ruleId);
    redirectAfterPost(req, res, home(res));
  });

  // Applying the rules to the rows of an expense filter is a resource too: one application.
  router.post('/rule-applications', requireWriter, async (req, res) => {
    const query = parseOrThrow(expenses.filterQuery, req.body);
    const filter = expenses.toFilter(query, res.locals.business.currency, res.locals.business.decimal_mark);
    const changed = await rules.applyToLedger(db, res.locals.business.id, { userId: res.locals.user.id, now: clock.now() }, { filter });
    flash(req, 'success', `Rules applied: ${changed} row${changed === 1 ? '' : 's'} changed.`);
    redirectAfterPost(req, res, `/b/${res.locals.business.id}/expenses${expenses.filterLink(query)}`);
  });

  return router;
}

/** A saved rule as the form shows it: amounts typed in the base currency. */
function formValues(rule: rules.Rule, currency: string): Record<string, string> {
  const amount = (v: number | null) => (v === null ? '' : toDecimal(v, currency));
  return {
    field: rule.field,
    match: rule.match,
    pattern: rule.pattern,
    min_amount: amount(rule.min_amount),
    max_amount: amount(rule.max_amount),
    category_id: rule.category_id ?? '',
    set_counterparty: rule.set_counterparty ?? '',
  };
}
