import { Router } from 'express';
import * as dashboard from '../../services/reports/dashboard.ts';
import { isoDate } from '../../services/core/clock.ts';
import { PRESETS, PRESET_LABELS } from '../../services/reports/periods.ts';
import type { AppDeps } from '../support/deps.ts';
import { redirectAfterPost, renderCached, wantsFragment } from '../support/render.ts';
import * as onboarding from '../../services/access/onboarding.ts';
import { requireWriter } from '../support/tenant.ts';
import { parseOrThrow } from '../support/validate.ts';
import { rangeQuery, rangeOf } from '../support/range.ts';

const query = rangeQuery('last_30_days');

/** The business's home page: the dashboard; a period change swaps only the cards. */
export function dashboardRoutes({ db, clock }: AppDeps): Router {
  const router = Router({ mergeParams: true });
  router.get('/', async (req, res) => {
    const now = clock.now();
    const today = isoDate(now);
    const { preset, range } = rangeOf(parseOrThrow(query, req.query), today);
    const checklist = wantsFragment(req) ? null : await onboarding.checklist(db, res.locals.business);
    // Today is in the key: runway and burn are figures of today whatever the range.
    await renderCached(
      req,
      res,
      { page: 'pages/business/dashboard.njk', partial: 'partials/dashboard/cards.njk' },
      `${preset}|${range.from}|${range.to}|${today}`,
      async () => ({
        stats: await dashboard.stats(db, res.locals.business.id, range, { preset, today, now }),
        preset,
        presets: PRESETS,
        presetLabels: PRESET_LABELS,
      }),
      checklist && { checklist },
    );
  });
  // Hiding the first-run checklist is a resource of its own, so a plain form can post it.
  router.post('/checklist-dismissal', requireWriter, async (req, res) => {
    await onboarding.dismiss(db, res.locals.business.id, clock.now());
    redirectAfterPost(req, res, `/b/${res.locals.business.id}`);
  });
  return router;
}
