import { Router } from 'express';
import * as readiness from '../../services/readiness/scores.ts';
import * as recommendations from '../../services/readiness/recommendations.ts';
import { TIERS } from '../../services/readiness/formula.ts';
import type { AppDeps } from '../support/deps.ts';
import { currentPage, redirectAfterPost, render } from '../support/render.ts';
import { parseForm } from '../support/validate.ts';
import { requireWriter } from '../support/tenant.ts';
import { BadRequest } from '../../services/core/errors.ts';

/** The readiness score with its breakdown and history, and the recommendations it leads to. */
export function readinessRoutes({ db, clock }: AppDeps): Router {
  const router = Router({ mergeParams: true });

  router.get('/readiness', async (req, res) => {
    const id = res.locals.business.id;
    const [current, history] = await Promise.all([readiness.latest(db, id), readiness.history(db, id)]);
    render(req, res, { page: 'pages/business/readiness.njk' }, { current, history, tiers: TIERS });
  });

  router.get('/recommendations', async (req, res) => {
    const filter = recommendations.listFilter.safeParse(req.query);
    const f = filter.success ? filter.data : recommendations.listFilter.parse({});
    const [items, counts] = await Promise.all([recommendations.list(db, res.locals.business.id, f), recommendations.counts(db, res.locals.business.id)]);
    render(req, res, { page: 'pages/business/recommendations.njk', partial: 'partials/readiness/recommendation-list.njk' }, { items, counts, filter: f });
  });

  // The user's decision on one recommendation: accepted, dismissed or done.
  router.post('/recommendations/:recommendationId', requireWriter, async (req, res) => {
    const input = parseForm(recommendations.statusInput, req.body);
    if (!input.ok) throw new BadRequest(input.errors.status?.join(' ') ?? 'Choose a status.');
    const item = await recommendations.setStatus(db, clock, res.locals.business.id, String(req.params.recommendationId), input.data.status, res.locals.user.id);
    if (req.get('HX-Request') === 'true') {
      // On the recommendations page the status counts change with the decision: they go out of band.
      const page = currentPage(req);
      const onList = page?.pathname === `/b/${res.locals.business.id}/recommendations`;
      const filter = recommendations.listFilter.safeParse(onList ? Object.fromEntries(page.searchParams) : {});
      const counts = onList ? await recommendations.counts(db, res.locals.business.id) : null;
      const view = 'partials/readiness/recommendation-decided.njk';
      return render(req, res, { page: view, partial: view }, { item, counts, filter: filter.success ? filter.data : recommendations.listFilter.parse({}) });
    }
    redirectAfterPost(req, res, `/b/${res.locals.business.id}/recommendations`);
  });

  return router;
}
