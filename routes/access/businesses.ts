import { Router } from 'express';
import * as businesses from '../../services/access/businesses.ts';
import type { AppDeps } from '../support/deps.ts';
import { redirectAfterPost, render } from '../support/render.ts';
import { parseForm } from '../support/validate.ts';
import { flash } from '../support/session.ts';
import { requireUser } from '../support/auth.ts';

const newView = { page: 'pages/businesses/new.njk', partial: 'partials/businesses/form.njk' };

/** Businesses the user belongs to, and creating one; the business pages themselves live under /b/:businessId. */
export function businessListRoutes({ db }: AppDeps): Router {
  const router = Router();

  router.get('/', (_req, res) => {
    const user = res.locals.user;
    if (!user) return res.redirect('/login');
    if (user.businesses.length === 0) return res.redirect('/businesses/new');
    res.redirect(`/b/${user.businesses[0].id}`);
  });

  // --- literal paths before any parameter
  router.get('/businesses/new', requireUser, (req, res) => {
    render(req, res, newView, { values: { currency: 'USD' }, errors: {}, industries: businesses.INDUSTRIES });
  });

  router.get('/businesses', requireUser, async (req, res) => {
    const list = await businesses.listForUser(db, res.locals.user.id);
    render(req, res, { page: 'pages/businesses/index.njk' }, { businesses: list });
  });

  router.post('/businesses', requireUser, async (req, res) => {
    const input = parseForm(businesses.businessInput, req.body);
    if (!input.ok) {
      return render(req, res, { ...newView, status: 422 }, { values: req.body, errors: input.errors, industries: businesses.INDUSTRIES });
    }
    const business = await businesses.create(db, res.locals.user.id, input.data);
    flash(req, 'success', `${business.name} is ready.`);
    redirectAfterPost(req, res, `/b/${business.id}`);
  });

  // The header's switcher is a GET form, so it works without JavaScript; membership is checked at /b/:id.
  router.get('/switch', requireUser, (req, res) => {
    const id = typeof req.query.business === 'string' ? req.query.business : '';
    res.redirect(id ? `/b/${encodeURIComponent(id)}` : '/businesses');
  });

  return router;
}
