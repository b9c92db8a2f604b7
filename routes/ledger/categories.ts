import { Router, type Request, type Response } from 'express';
import { z } from 'zod';
import * as categories from '../../services/ledger/categories.ts';
import { Validation } from '../../services/core/errors.ts';
import type { AppDeps } from '../support/deps.ts';
import { redirectAfterPost, render } from '../support/render.ts';
import { parseForm } from '../support/validate.ts';
import { flash } from '../support/session.ts';
import { requireWriter } from '../support/tenant.ts';
import { uuid } from '../../services/core/ids.ts';

type Params = { businessId: string; categoryId: string };
const listView = { page: 'pages/categories/index.njk' };
const mergeForm = z.object({ from: uuid('Pick the category to merge.'), into: uuid('Pick the category to keep.') });

/** Categories: list with row counts, add, rename and re-icon in place, merge two. */
export function categoryRoutes({ db, clock }: AppDeps): Router {
  const router = Router({ mergeParams: true });
  const home = (res: Response) => `/b/${res.locals.business.id}/categories`;
  const listData = async (res: Response, extra: Record<string, unknown> = {}) => ({
    categories: await categories.listWithCounts(db, res.locals.business.id),
    values: {},
    errors: {},
    mergeErrors: {},
    ...extra,
  });

  router.get('/categories', async (req, res) => {
    render(req, res, listView, await listData(res));
  });

  router.post('/categories', requireWriter, async (req, res) => {
    const input = parseForm(categories.categoryInput, req.body);
    const fail = async (errors: Record<string, string[]>) => render(req, res, { ...listView, status: 422 }, await listData(res, { values: req.body, errors }));
    if (!input.ok) return fail(input.errors);
    try {
      await categories.create(db, res.locals.business.id, input.data);
    } catch (err) {
      if (err instanceof Validation) return fail(err.details ?? {});
      throw err;
    }
    redirectAfterPost(req, res, home(res));
  });

  // A merge is a resource of its own (literal path, not under /categories/:categoryId).
  router.post('/category-merges', requireWriter, async (req, res) => {
    const input = parseForm(mergeForm, req.body);
    if (!input.ok) return render(req, res, { ...listView, status: 422 }, await listData(res, { mergeErrors: input.errors }));
    const moved = await categories.merge(db, res.locals.business.id, { userId: res.locals.user.id, now: clock.now() }, input.data.from, input.data.into);
    flash(req, 'success', `Merged: ${moved} row${moved === 1 ? '' : 's'} moved.`);
    redirectAfterPost(req, res, home(res));
  });

  router.get('/categories/:categoryId/edit', requireWriter, async (req: Request<Params>, res) => {
    const category = await categories.get(db, res.locals.business.id, req.params.categoryId);
    render(req, res, { page: 'pages/categories/edit.njk', partial: 'partials/categories/form.njk' }, { category, values: category, errors: {} });
  });

  router.post('/categories/:categoryId', requireWriter, async (req: Request<Params>, res) => {
    const category = await categories.get(db, res.locals.business.id, req.params.categoryId);
    const view = { page: 'pages/categories/edit.njk', partial: 'partials/categories/form.njk', status: 422 };
    const input = parseForm(categories.categoryInput, req.body);
    if (!input.ok) return render(req, res, view, { category, values: req.body, errors: input.errors });
    try {
      await categories.update(db, res.locals.business.id, category.id, input.data);
    } catch (err) {
      if (err instanceof Validation) return render(req, res, view, { category, values: req.body, errors: err.details });
      throw err;
    }
    redirectAfterPost(req, res, home(res));
  });

  return router;
}
