import { Router } from 'express';
import * as suggestedChanges from '../../services/agent/suggested-changes.ts';
import { Validation } from '../../services/core/errors.ts';
import type { AppDeps } from '../support/deps.ts';
import { redirectAfterPost, render } from '../support/render.ts';
import { parseForm } from '../support/validate.ts';
import { flash } from '../support/session.ts';
import { requireWriter } from '../support/tenant.ts';

const page = { page: 'pages/suggested-changes/confirm.njk' };

/**
 * A change the AI CFO suggested (a categorisation rule, recategorising expenses), made
 * only when the user confirms it. One resource, two steps of the same form: posted
 * without `confirm=yes` it shows what would change and writes nothing; posted with it,
 * the change is made under the user's role. Viewers are refused both steps.
 */
export function suggestedChangeRoutes({ db, clock }: AppDeps): Router {
  const router = Router({ mergeParams: true });

  router.post('/suggested-changes', requireWriter, async (req, res) => {
    const input = parseForm(suggestedChanges.suggestedChangeForm, req.body);
    const refuse = (errors: Record<string, string[]>) => render(req, res, { ...page, status: 422 }, { change: null, preview: null, errors });
    if (!input.ok) return refuse(input.errors);
    try {
      if (input.data.confirm !== 'yes') {
        return render(req, res, page, { change: input.data, preview: await suggestedChanges.preview(db, res.locals.business.id, input.data), errors: {} });
      }
      const done = await suggestedChanges.apply(db, res.locals.business, { userId: res.locals.user.id, now: clock.now() }, input.data);
      flash(req, 'success', done.message);
      redirectAfterPost(req, res, done.next);
    } catch (err) {
      if (err instanceof Validation) return refuse(err.details ?? {});
      throw err;
    }
  });

  return router;
}
