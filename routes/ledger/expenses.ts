import { z } from 'zod';
import { Router, type Request, type Response } from 'express';
import * as expenses from '../../services/ledger/expenses.ts';
import * as categories from '../../services/ledger/categories.ts';
import { isoDate } from '../../services/core/clock.ts';
import { toDecimal } from '../../services/core/money.ts';
import { Validation } from '../../services/core/errors.ts';
import type { AppDeps } from '../support/deps.ts';
import { currentPage, redirectAfterPost, render, wantsFragment } from '../support/render.ts';
import { parseForm, parseOrThrow } from '../support/validate.ts';
import { flash } from '../support/session.ts';
import { requireWriter } from '../support/tenant.ts';
import { writeExpensesCsv } from './expenses-export.ts';
import { limitHeavy } from '../support/heavy.ts';

type Params = { businessId: string; expenseId: string };

const base = (res: Response) => `/b/${res.locals.business.id}/expenses`;
const actor = (res: Response, deps: AppDeps) => ({ userId: res.locals.user.id as string, now: deps.clock.now() });

/** The expense form's values for an existing expense, as a person of the business would type them. */
function formValues(e: expenses.Expense, res: Response) {
  return { ...e, amount: toDecimal(e.spent, e.currency, res.locals.business.decimal_mark) };
}

/** The business's number format, with which typed amounts are read. */
const decimalOf = (res: Response) => res.locals.business.decimal_mark ?? '.';

/** Expenses: the filtered list, add inline, edit in place, delete with undo, history, export. */
export function expenseRoutes(deps: AppDeps): Router {
  const { db } = deps;
  const router = Router({ mergeParams: true });

  /** Everything the list page and its partials render from. */
  async function listData(req: Request, res: Response) {
    const query = parseOrThrow(expenses.filterQuery, req.query);
    const filter = expenses.toFilter(query, res.locals.business.currency, decimalOf(res));
    // Totals of a large filter cost more than its page, so the page asks for them separately.
    const [page, cats] = await Promise.all([expenses.list(db, res.locals.business.id, filter), categories.list(db, res.locals.business.id)]);
    return { ...page, totals: null, categories: cats, query, link: expenses.filterLink, undo: typeof req.query.undo === 'string' ? req.query.undo : null };
  }
  const newValues = () => ({ occurred_on: isoDate(deps.clock.now()) });

  /**
   * A changed row, and out of band the list's count and total for the filter of the page
   * it sits in, so they never disagree with the rows after an edit, delete or undo.
   * A page whose filter no longer reads gets the totals of the whole list.
   */
  async function renderChangedRow(req: Request, res: Response, partial: string, expense: expenses.Expense) {
    const page = currentPage(req);
    const view = { page: 'pages/expenses/edit.njk', partial: 'partials/expenses/row-changed.njk' };
    // Only the list has a count and total to keep true (the expense's own page has none).
    if (page?.pathname !== base(res)) return render(req, res, view, { expense, rowPartial: partial, totals: null });
    const parsed = expenses.filterQuery.safeParse(Object.fromEntries(page.searchParams));
    const query = parsed.success ? parsed.data : expenses.filterQuery.parse({});
    let filter: expenses.Filter;
    try {
      filter = expenses.toFilter(query, res.locals.business.currency, decimalOf(res));
    } catch (err) {
      if (!(err instanceof Validation)) throw err;
      filter = expenses.toFilter(expenses.filterQuery.parse({}), res.locals.business.currency, decimalOf(res));
    }
    const totals = await expenses.totals(db, res.locals.business.id, filter);
    render(req, res, view, { expense, rowPartial: partial, totals, query, link: expenses.filterLink });
  }

  const trashQuery = z.object({ before: z.coerce.number().int().positive().max(Number.MAX_SAFE_INTEGER).optional() });

  // ---- list and export (literal paths before /expenses/:expenseId) ----
  router.get('/expenses', async (req, res) => {
    render(req, res, { page: 'pages/expenses/index.njk', partial: 'partials/expenses/list.njk' }, { ...(await listData(req, res)), values: newValues(), errors: {} });
  });

  // The trash: deleted expenses from the audit trail, each with a restore button (the restoration below).
  router.get('/deleted-expenses', async (req, res) => {
    const { before } = parseOrThrow(trashQuery, req.query);
    const trash = await expenses.deleted(db, res.locals.business.id, before);
    render(req, res, { page: 'pages/expenses/deleted.njk' }, { trash, paged: Boolean(before) });
  });

  router.get('/expenses/totals', async (req, res) => {
    const query = parseOrThrow(expenses.filterQuery, req.query);
    const totals = await expenses.totals(db, res.locals.business.id, expenses.toFilter(query, res.locals.business.currency, decimalOf(res)));
    render(req, res, { page: 'pages/expenses/totals.njk', partial: 'partials/expenses/totals.njk' }, { totals, query, link: expenses.filterLink });
  });

  router.get('/expenses/export.csv', limitHeavy(deps, 'export'), async (req, res) => {
    const filter = expenses.toFilter(parseOrThrow(expenses.filterQuery, req.query), res.locals.business.currency, decimalOf(res));
    await writeExpensesCsv(res, expenses.each(db, res.locals.business.id, filter), `expenses-${isoDate(deps.clock.now())}.csv`, res.locals.business.currency);
  });

  // ---- add ----
  router.post('/expenses', requireWriter, async (req, res) => {
    const input = parseForm(expenses.expenseForm(res.locals.business.currency, decimalOf(res)), req.body);
    const formView = { page: 'pages/expenses/index.njk', partial: 'partials/expenses/form.njk', status: 422 };
    if (!input.ok) return render(req, res, formView, { ...(await listData(req, res)), values: req.body, errors: input.errors });
    try {
      await expenses.create(db, res.locals.business, actor(res, deps), input.data);
    } catch (err) {
      if (!(err instanceof Validation)) throw err;
      return render(req, res, formView, { ...(await listData(req, res)), values: req.body, errors: err.details });
    }
    if (!wantsFragment(req)) return redirectAfterPost(req, res, base(res));
    render(
      req,
      res,
      { page: 'pages/expenses/index.njk', partial: 'partials/expenses/created.njk' },
      { ...(await listData(req, res)), values: { ...newValues(), currency: input.data.currency }, errors: {} },
    );
  });

  // ---- one expense ----
  router.get('/expenses/:expenseId/edit', requireWriter, async (req: Request<Params>, res) => {
    const expense = await expenses.find(db, res.locals.business.id, req.params.expenseId);
    const cats = await categories.list(db, res.locals.business.id);
    render(req, res, { page: 'pages/expenses/edit.njk', partial: 'partials/expenses/row-form.njk' }, { expense, values: formValues(expense, res), errors: {}, categories: cats });
  });

  router.get('/expenses/:expenseId', async (req: Request<Params>, res) => {
    const expense = await expenses.find(db, res.locals.business.id, req.params.expenseId);
    render(req, res, { page: 'pages/expenses/edit.njk', partial: 'partials/expenses/row.njk' }, { expense, readonlyView: true });
  });

  router.post('/expenses/:expenseId', requireWriter, async (req: Request<Params>, res) => {
    const current = await expenses.find(db, res.locals.business.id, req.params.expenseId);
    const view = { page: 'pages/expenses/edit.njk', partial: 'partials/expenses/row-form.njk', status: 422 };
    const input = parseForm(expenses.expenseForm(res.locals.business.currency, decimalOf(res)), req.body);
    const cats = () => categories.list(db, res.locals.business.id);
    if (!input.ok) return render(req, res, view, { expense: current, values: req.body, errors: input.errors, categories: await cats() });
    let expense: expenses.Expense;
    try {
      expense = await expenses.update(db, res.locals.business, actor(res, deps), current.id, input.data);
    } catch (err) {
      if (!(err instanceof Validation)) throw err;
      return render(req, res, view, { expense: current, values: req.body, errors: err.details, categories: await cats() });
    }
    if (!wantsFragment(req)) return redirectAfterPost(req, res, base(res));
    await renderChangedRow(req, res, 'partials/expenses/row.njk', expense);
  });

  // Delete and restore are resources of their own, so plain HTML forms can post them.
  router.post('/expenses/:expenseId/deletion', requireWriter, async (req: Request<Params>, res) => {
    const expense = await expenses.remove(db, res.locals.business.id, actor(res, deps), req.params.expenseId);
    if (!wantsFragment(req)) {
      flash(req, 'info', `Deleted “${expense.description}”.`);
      return redirectAfterPost(req, res, `${base(res)}?undo=${expense.id}`);
    }
    await renderChangedRow(req, res, 'partials/expenses/deleted-row.njk', expense);
  });

  router.post('/expenses/:expenseId/restoration', requireWriter, async (req: Request<Params>, res) => {
    const expense = await expenses.restore(db, res.locals.business.id, actor(res, deps), req.params.expenseId);
    if (!wantsFragment(req)) {
      flash(req, 'success', `Restored “${expense.description}”.`);
      return redirectAfterPost(req, res, base(res));
    }
    await renderChangedRow(req, res, 'partials/expenses/row.njk', expense);
  });

  router.get('/expenses/:expenseId/history', async (req: Request<Params>, res) => {
    const entries = await expenses.history(db, res.locals.business.id, req.params.expenseId);
    const expense = await expenses.get(db, res.locals.business.id, req.params.expenseId);
    render(req, res, { page: 'pages/expenses/history.njk', partial: 'partials/expenses/history.njk' }, { entries, expense, expenseId: req.params.expenseId });
  });

  return router;
}
