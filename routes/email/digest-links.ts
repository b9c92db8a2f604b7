import { Router, type Request, type Response } from 'express';
import * as links from '../../services/email/digest-links.ts';
import * as preferences from '../../services/email/digest-preferences.ts';
import { Forbidden, NotFound } from '../../services/core/errors.ts';
import type { AppDeps } from '../support/deps.ts';
import { render } from '../support/render.ts';
import { parseForm, type FieldErrors } from '../support/validate.ts';

const choices = { frequencies: preferences.FREQUENCIES, frequencyLabels: preferences.FREQUENCY_LABELS };

/**
 * The signed link of every digest (/u/:token): it opens and changes the preference of
 * the one recipient and business its signature names, with no session and no CSRF token
 * (verifyCsrf lets this path through; the signature is the authority, and nobody signed
 * in gains anything from a forged request here). A POST without a `frequency` is the
 * one-click unsubscribe of RFC 8058 (`List-Unsubscribe=One-Click`, sent by mail clients).
 * A link that does not verify is a 403 and changes nothing.
 */
export function digestLinkRoutes({ db, clock }: AppDeps): Router {
  const router = Router();

  async function recipientOf(req: Request<{ token: string }>) {
    const recipient = await links.readToken(db, req.params.token);
    if (!recipient) throw new Forbidden('This link is not valid. Open the newest digest and use its link, or sign in to change your digests.');
    const preference = await preferences.preferenceOf(db, recipient.businessId, recipient.userId);
    if (!preference) throw new NotFound('You are no longer a member of this business, so no digest about it comes to you.');
    return { recipient, preference };
  }

  function page(req: Request, res: Response, data: { preference: preferences.Preference; saved: boolean; errors: FieldErrors }, status = 200) {
    // The token is the key to this page: it must not leave in a Referer header.
    res.set('Referrer-Policy', 'no-referrer');
    res.set('Cache-Control', 'no-store');
    render(req, res, { page: 'pages/email/signed-preference.njk', status }, { ...data, action: req.originalUrl, ...choices });
  }

  router.get('/u/:token', async (req, res) => {
    const { preference } = await recipientOf(req);
    page(req, res, { preference, saved: false, errors: {} });
  });

  router.post('/u/:token', async (req, res) => {
    const { recipient, preference } = await recipientOf(req);
    const body = (req.body ?? {}) as Record<string, unknown>;
    const oneClick = body.frequency === undefined;
    const input = oneClick ? ({ ok: true, data: { frequency: 'off' } } as const) : parseForm(preferences.preferenceInput, body);
    if (!input.ok) return page(req, res, { preference, saved: false, errors: input.errors }, 422);
    await preferences.setPreference(db, clock, recipient.businessId, recipient.userId, input.data.frequency);
    if (oneClick && body['List-Unsubscribe'] === 'One-Click') {
      res.set('Cache-Control', 'no-store').type('text').send(`Unsubscribed: no more digests about ${preference.businessName} go to ${preference.email}.`);
      return;
    }
    page(req, res, { preference: { ...preference, frequency: input.data.frequency, isDefault: false }, saved: true, errors: {} });
  });

  return router;
}
