import { Router, type Request, type Response } from 'express';
import * as preferences from '../../services/email/digest-preferences.ts';
import type { AppDeps } from '../support/deps.ts';
import { redirectAfterPost, render } from '../support/render.ts';
import { parseForm, type FieldErrors } from '../support/validate.ts';
import { flash } from '../support/session.ts';
import { requireUser } from '../support/auth.ts';

const choices = { frequencies: preferences.FREQUENCIES, frequencyLabels: preferences.FREQUENCY_LABELS };

/** A member's own digest preference for the business (any role: it is about oneself, so viewers may set it too). */
export function digestPreferenceRoutes({ db, clock }: AppDeps): Router {
  const router = Router({ mergeParams: true });

  async function page(req: Request, res: Response, status: number, errors: FieldErrors) {
    const preference = await preferences.preferenceOf(db, res.locals.business.id, res.locals.user.id);
    render(req, res, { page: 'pages/email/digest-preference.njk', status }, { preference, errors, ...choices });
  }

  router.get('/digest', (req, res) => page(req, res, 200, {}));

  router.post('/digest', async (req, res) => {
    const input = parseForm(preferences.preferenceInput, req.body);
    if (!input.ok) return page(req, res, 422, input.errors);
    await preferences.setPreference(db, clock, res.locals.business.id, res.locals.user.id, input.data.frequency);
    flash(req, 'success', input.data.frequency === 'off' ? 'No more digests for this business.' : 'Digest preference saved.');
    redirectAfterPost(req, res, `/b/${res.locals.business.id}/digest`);
  });

  return router;
}

/** Every business's digest preference of the signed-in user, each form posting to its business's route. */
export function accountDigestRoutes({ db }: AppDeps): Router {
  const router = Router();
  router.get('/account/digests', requireUser, async (req, res) => {
    render(req, res, { page: 'pages/account/digests.njk' }, { preferences: await preferences.preferencesOfUser(db, res.locals.user.id), ...choices });
  });
  return router;
}
